import type { SqlSession } from "./sql.ts";

/**
 * The shape of the public schema as plain lines (one per column, index, constraint, enum value),
 * so two databases can be compared with a set difference. Prisma's bookkeeping table is left out.
 */
export async function describeCatalog(session: SqlSession): Promise<string[]> {
  const lines: string[] = [];
  const columns = await session.query<Record<string, string | null>>(`
    SELECT table_name, column_name, udt_name, is_nullable, column_default,
           character_maximum_length::text AS length, numeric_precision::text AS precision, numeric_scale::text AS scale
      FROM information_schema.columns
     WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`);
  for (const c of columns) {
    lines.push(
      `column ${c.table_name}.${c.column_name} ${c.udt_name}${c.length ? `(${c.length})` : ""}${c.precision && c.udt_name === "numeric" ? `(${c.precision},${c.scale})` : ""} ${c.is_nullable === "YES" ? "null" : "not null"} default ${c.column_default ?? "none"}`,
    );
  }
  const indexes = await session.query<{ indexdef: string }>(
    `SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`,
  );
  for (const i of indexes) lines.push(`index ${i.indexdef}`);
  const constraints = await session.query<{ tbl: string; conname: string; def: string }>(`
    SELECT t.relname AS tbl, c.conname, pg_get_constraintdef(c.oid) AS def
      FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
     WHERE c.connamespace = 'public'::regnamespace AND t.relname <> '_prisma_migrations'`);
  for (const c of constraints) lines.push(`constraint ${c.tbl}.${c.conname} ${c.def}`);
  const enums = await session.query<{ typname: string; labels: string }>(`
    SELECT t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) AS labels
      FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
     WHERE t.typnamespace = 'public'::regnamespace
     GROUP BY t.typname`);
  for (const e of enums) lines.push(`enum ${e.typname} (${e.labels})`);
  return lines.sort();
}
