import { expect, it } from "vitest";
import { ManualClock } from "../src/core/clock.ts";
import { ERASURE_OF_TABLE } from "../src/db/repositories/privacy-repository.ts";
import { MERGE_OF_TABLE } from "../src/db/repositories/link-repository.ts";
import { LinkService } from "../src/linking/link-service.ts";
import { EXPORTED_TABLES } from "../src/privacy/export-document.ts";
import { PrivacyService } from "../src/privacy/privacy-service.ts";
import { type CustomerForeignKey, customerForeignKeys, rowTexts, rowsOf } from "./support/customer-relations.ts";
import { describeEachDatabase } from "./support/databases.ts";
import { seedCustomer } from "./support/seed-customer.ts";

const BASE = new Date("2026-04-01T08:00:00Z");
const MINUTE = 60_000;
let seq = 0;
const uniqueTag = (name: string) => `${name}${++seq}${Math.random().toString(36).slice(2, 6)}`;

/** The value at "a" or "a.b" in the export document. */
const at = (document: unknown, path: string): unknown => path.split(".").reduce<unknown>((value, key) => (value as Record<string, unknown> | null)?.[key], document);

describeEachDatabase("every table tied to a customer is exported, erased and merged", (db) => {
  let keys: CustomerForeignKey[] = [];
  const tables = async () => {
    if (keys.length === 0) keys = await customerForeignKeys(db().prisma);
    return keys;
  };

  it("has an export, erasure and merge rule for each foreign key to Customer in the schema", async () => {
    const names = [...new Set((await tables()).map((k) => k.table))].sort();
    expect(names.length).toBeGreaterThanOrEqual(12);
    expect(Object.keys(EXPORTED_TABLES).sort()).toEqual(names);
    expect(Object.keys(ERASURE_OF_TABLE).sort()).toEqual(names);
    expect(Object.keys(MERGE_OF_TABLE).sort()).toEqual(names);
    // A rule that lets rows stay or go says why.
    for (const [table, rule] of Object.entries(ERASURE_OF_TABLE)) if (rule.action !== "delete") expect(rule.why, table).toBeTruthy();
    for (const [table, rule] of Object.entries(MERGE_OF_TABLE)) if (rule.action === "drop") expect(rule.why, table).toBeTruthy();
  });

  it("seeds a test customer with a row in every such table, so the checks below cover them all", async () => {
    const customer = await seedCustomer(db().prisma, uniqueTag("seed"), BASE);
    for (const key of await tables()) expect(await rowsOf(db().prisma, key, customer.id), `${key.table}.${key.column}`).toBeGreaterThan(0);
  });

  it("exports the customer's rows of every table in its section", async () => {
    const prisma = db().prisma;
    const customer = await seedCustomer(prisma, uniqueTag("exp"), BASE);
    // Before the seeded link code expires, after the outbox message was queued.
    const { document } = await new PrivacyService(prisma, new ManualClock(new Date(BASE.getTime() + 15 * MINUTE))).exportCustomerData(customer.id);
    for (const key of await tables()) {
      const rule = EXPORTED_TABLES[key.table as keyof typeof EXPORTED_TABLES];
      const stored = await rowsOf(prisma, key, customer.id);
      const section = at(document, rule.section);
      const shown = Array.isArray(section) ? section.length : section === null || section === undefined ? 0 : 1;
      if (rule.rows === "all") expect(shown, `${key.table} in ${rule.section}`).toBe(stored);
      else expect(shown, `${key.table} in ${rule.section}`).toBeGreaterThan(0);
    }
  });

  it("erases: no personal text of the customer is left in any table, deleted tables are empty, others keep their rows", async () => {
    const prisma = db().prisma;
    const tag = uniqueTag("era");
    const customer = await seedCustomer(prisma, tag, BASE);
    const before = new Map<string, number>();
    for (const key of await tables()) before.set(key.table, await rowsOf(prisma, key, customer.id));

    await new PrivacyService(prisma, new ManualClock(new Date(BASE.getTime() + 30 * MINUTE))).eraseCustomer(customer.id, { requestedVia: "staff" });

    for (const key of await tables()) {
      const rule = ERASURE_OF_TABLE[key.table as keyof typeof ERASURE_OF_TABLE];
      const texts = await rowTexts(prisma, key, customer.id);
      expect(texts.filter((text) => text.includes(tag)), key.table).toEqual([]);
      if (rule.action === "delete") expect(texts, key.table).toHaveLength(0);
      // The erasure adds its own timeline entry and consent withdrawals.
      else expect(texts.length, key.table).toBeGreaterThanOrEqual(before.get(key.table)!);
    }
    const row = await prisma.$queryRaw<{ row: string }[]>`SELECT row_to_json(c)::text AS row FROM "Customer" c WHERE id = ${customer.id}::uuid`;
    expect(row[0]?.row).not.toContain(tag);
  });

  it("merges: every moved table's rows of both customers end up on the survivor; dropped ones do not", async () => {
    const prisma = db().prisma;
    const target = await seedCustomer(prisma, uniqueTag("tgt"), BASE);
    const source = await seedCustomer(prisma, uniqueTag("src"), new Date(BASE.getTime() + MINUTE / 2));
    const count = async (customerId: string) => {
      const counts = new Map<string, number>();
      for (const key of await tables()) counts.set(key.table, await rowsOf(prisma, key, customerId));
      return counts;
    };
    const targetBefore = await count(target.id);
    const sourceBefore = await count(source.id);

    const service = new LinkService(prisma, new ManualClock(new Date(BASE.getTime() + 30 * MINUTE)));
    const { code } = await service.issueLinkCode(target.id);
    expect((await service.redeemLinkCode(code, source.id)).kind).toBe("linked");

    const after = await count(target.id);
    for (const key of await tables()) {
      const rule = MERGE_OF_TABLE[key.table as keyof typeof MERGE_OF_TABLE];
      const label = `${key.table}: target ${targetBefore.get(key.table)}, source ${sourceBefore.get(key.table)}, after ${after.get(key.table)}`;
      // The merge adds its own timeline entry and consent changes, so "at least".
      if (rule.action === "move") expect(after.get(key.table)!, label).toBeGreaterThanOrEqual(targetBefore.get(key.table)! + sourceBefore.get(key.table)!);
      else expect(after.get(key.table)!, label).toBeLessThanOrEqual(targetBefore.get(key.table)!);
    }
  });
});
