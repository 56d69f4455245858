import type { PrismaClient } from "../../src/db/generated/client.ts";

export interface CustomerForeignKey {
  table: string;
  column: string;
}

/** Every foreign key to "Customer" in the migrated database, as the catalog has it, sorted by table. */
export async function customerForeignKeys(prisma: PrismaClient): Promise<CustomerForeignKey[]> {
  return prisma.$queryRaw<CustomerForeignKey[]>`
    SELECT child.relname::text AS "table", a.attname::text AS "column"
    FROM pg_constraint c
    JOIN pg_class child ON child.oid = c.conrelid
    JOIN pg_class parent ON parent.oid = c.confrelid
    JOIN pg_namespace n ON n.oid = parent.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
    WHERE c.contype = 'f' AND parent.relname = 'Customer' AND n.nspname = current_schema()
    ORDER BY 1, 2`;
}

const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

/** How many rows of `key.table` point at the customer. */
export async function rowsOf(prisma: PrismaClient, key: CustomerForeignKey, customerId: string): Promise<number> {
  const rows = await prisma.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${quote(key.table)} WHERE ${quote(key.column)} = $1::uuid`, customerId);
  return rows[0]?.n ?? 0;
}

/** The customer's rows of `key.table`, each as its JSON text. */
export async function rowTexts(prisma: PrismaClient, key: CustomerForeignKey, customerId: string): Promise<string[]> {
  const rows = await prisma.$queryRawUnsafe<{ row: string }[]>(
    `SELECT row_to_json(t)::text AS row FROM ${quote(key.table)} t WHERE ${quote(key.column)} = $1::uuid`,
    customerId,
  );
  return rows.map((r) => r.row);
}
