import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { newPGlite } from "./pglite.ts";
import { describeCatalog } from "./catalog.ts";
import { openDatabase } from "./database.ts";
import { applyMigrations, defaultMigrationsDir, readMigrationFiles } from "./migrations.ts";

const run = promisify(execFile);
const projectRoot = path.resolve(defaultMigrationsDir, "..", "..");

export interface DriftReport {
  /** Lines present in the database built from schema.prisma but not in the migrated one. */
  missingFromMigrations: string[];
  /** Lines present in the migrated database but not in schema.prisma. */
  notInSchema: string[];
}

export function hasDrift(report: DriftReport): boolean {
  return report.missingFromMigrations.length > 0 || report.notInSchema.length > 0;
}

/** The SQL that creates `schemaPath` from nothing, as Prisma would write it (pure, no database). */
export async function schemaToSql(schemaPath: string): Promise<string> {
  const prisma = path.join(projectRoot, "node_modules", ".bin", "prisma");
  const { stdout } = await run(
    prisma,
    ["migrate", "diff", "--from-empty", "--to-schema-datamodel", schemaPath, "--script"],
    {
      cwd: projectRoot,
      maxBuffer: 32 * 1024 * 1024,
      timeout: 120_000,
      // The CLI insists on an adapter even for a pure diff: give it a throwaway one (prisma.config.ts).
      env: { ...process.env, TEND_PRISMA_SCRATCH: "1", CHECKPOINT_DISABLE: "1" },
    },
  );
  return stdout;
}

/**
 * Compares the database the committed migrations build with the one schema.prisma describes.
 * Prisma's own drift detection needs a shadow database its WASM engine cannot drive here, so
 * both are built in fresh in-memory PGlite instances and their catalogs compared.
 */
export async function checkDrift(
  schemaPath = path.join(projectRoot, "prisma", "schema.prisma"),
  migrationsDir = defaultMigrationsDir,
): Promise<DriftReport> {
  const [fromSchemaSql, migrations, migrated, fromSchema] = await Promise.all([
    schemaToSql(schemaPath),
    readMigrationFiles(migrationsDir),
    openDatabase({ kind: "pglite-instance", pglite: newPGlite() }),
    openDatabase({ kind: "pglite-instance", pglite: newPGlite() }),
  ]);
  try {
    await applyMigrations(migrated.sql, migrations);
    await fromSchema.sql.withSession((session) => session.exec(fromSchemaSql));
    const [a, b] = await Promise.all([
      migrated.sql.withSession(describeCatalog),
      fromSchema.sql.withSession(describeCatalog),
    ]);
    const inMigrated = new Set(a);
    const inSchema = new Set(b);
    return {
      missingFromMigrations: b.filter((line) => !inMigrated.has(line)),
      notInSchema: a.filter((line) => !inSchema.has(line)),
    };
  } finally {
    await Promise.all([migrated.close(), fromSchema.close()]);
  }
}
