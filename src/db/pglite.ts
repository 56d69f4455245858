import { PGlite, type PGliteOptions } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";

/**
 * The extensions Tend's migrations create (20261202030800_customer_search: pg_trgm for name search).
 * PGlite can only load an extension when it starts, so every PGlite that Tend's migrations or a
 * migrated snapshot run on is opened through `newPGlite`.
 */
export const PGLITE_EXTENSIONS = { pg_trgm };

/** A PGlite with Tend's extensions loaded: a data folder, options (e.g. `loadDataDir`), or in memory. */
export function newPGlite(options: string | PGliteOptions = {}): PGlite {
  const opts: PGliteOptions = typeof options === "string" ? { dataDir: options } : options;
  return new PGlite({ ...opts, extensions: { ...opts.extensions, ...PGLITE_EXTENSIONS } });
}
