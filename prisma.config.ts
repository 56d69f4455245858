// Prisma CLI configuration: the WASM query compiler and a driver adapter, never a downloaded engine.
// The CLI reads the same variables as Tend: DATABASE_URL for PostgreSQL, else PGlite in TEND_DATA_DIR.
import fs from "node:fs";
import path from "node:path";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { defineConfig } from "prisma/config";

/**
 * The CLI asks for the adapter even for commands that never touch a database (generate,
 * migrate diff); opening the database only on first connect keeps those from creating or
 * locking a data folder.
 */
function onFirstConnect(
  adapterName: string,
  make: () => Promise<SqlMigrationAwareDriverAdapterFactory>,
): SqlMigrationAwareDriverAdapterFactory {
  let made: Promise<SqlMigrationAwareDriverAdapterFactory> | undefined;
  const get = () => (made ??= make());
  return {
    provider: "postgres",
    adapterName,
    connect: async () => (await get()).connect(),
    connectToShadowDb: async () => (await get()).connectToShadowDb(),
  };
}

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations") },
  async adapter() {
    const url = process.env.DATABASE_URL;
    if (url) {
      return onFirstConnect("@prisma/adapter-pg", async () => {
        const { PrismaPg } = await import("@prisma/adapter-pg");
        return new PrismaPg({ connectionString: url });
      });
    }
    return onFirstConnect("pglite-prisma-adapter", async () => {
      const { PGlite } = await import("@electric-sql/pglite");
      // The extensions Tend's migrations create (as src/db/pglite.ts loads them).
      const { pg_trgm } = await import("@electric-sql/pglite/contrib/pg_trgm");
      const extensions = { pg_trgm };
      const { PrismaPGlite } = await import("pglite-prisma-adapter");
      // Same folder as pgliteDir() in src/db/database.ts; the 0.6 adapter's older types need the cast.
      // TEND_PRISMA_SCRATCH=1: a throwaway in-memory database, for commands that only compare schemas.
      if (process.env.TEND_PRISMA_SCRATCH === "1") {
        return new PrismaPGlite(new PGlite({ extensions })) as unknown as SqlMigrationAwareDriverAdapterFactory;
      }
      const dataDir = path.resolve(process.env.TEND_DATA_DIR ?? "./data", "pglite");
      fs.mkdirSync(dataDir, { recursive: true });
      return new PrismaPGlite(new PGlite({ dataDir, extensions })) as unknown as SqlMigrationAwareDriverAdapterFactory;
    });
  },
});
