import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { afterAll, afterEach, expect, it } from "vitest";
import { registerImportCommands, runImport } from "../src/cli/import-commands.ts";
import { ManualClock } from "../src/core/clock.ts";
import { EventBus } from "../src/core/events.ts";
import type { Database } from "../src/db/database.ts";
import { type ImportProgress, importCsv } from "../src/ingest/csv-import.ts";
import { IngestService } from "../src/ingest/ingest-service.ts";
import { describeEachDatabase } from "./support/databases.ts";

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");
const fixture = (name: string) => path.join(fixtures, name);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tend-import-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Collects what a command writes. */
function sink() {
  let text = "";
  return {
    stream: { write: (chunk: string) => ((text += chunk), true) } as unknown as NodeJS.WritableStream,
    text: () => text,
  };
}

describeEachDatabase("CSV import", (db) => {
  const clock = new ManualClock("2026-11-23T12:00:00Z");
  const events = new EventBus();
  const recorded: string[] = [];
  events.on("order.recorded", (event) => {
    recorded.push(event.orderId);
  });
  const ingest = () => new IngestService(db().prisma, events, clock);
  // The suite's database outlives each command, which would otherwise close it.
  const openDb = async (): Promise<Database> => ({ ...db(), close: async () => {} });

  afterEach(() => {
    process.exitCode = undefined;
  });

  it("imports customers, rejecting broken and invalid rows by line number and keeping the rest", async () => {
    const rejectsFile = path.join(tmp, "customer-rejects.csv");
    const report = await importCsv({ kind: "customers", file: fixture("customers-mixed.csv"), ingest: ingest(), rejectsFile });
    expect(report.rows).toBe(10);
    expect(report.counts).toEqual({ created: 4, updated: 0, duplicate: 0, rejected: 6 });
    expect(report.rejects.map((r) => r.line)).toEqual([4, 5, 6, 10, 11, 12]);
    const reasons = Object.fromEntries(report.rejects.map((r) => [r.line, r.reason]));
    expect(reasons[4]).toBe("email: must be a valid email address");
    expect(reasons[5]).toMatch(/wrong number of columns: the header has 9, this row has 3/);
    expect(reasons[6]).toMatch(/^bad quoting/);
    expect(reasons[10]).toMatch(/^birthday: /);
    expect(reasons[11]).toBe("external_id: is required");
    expect(reasons[12]).toMatch(/time_zone: .*; locale: .*; marketing_consent: must be true or false/);

    const zhang = await db().prisma.customer.findUnique({ where: { externalId: "c-001" } });
    expect(zhang).toMatchObject({ displayName: "张伟", phone: "+86 138 0000 0001", timeZone: "Asia/Shanghai", locale: "zh-CN", tags: ["vip", "早鸟"], marketingConsent: true });
    expect(zhang?.birthday?.toISOString().slice(0, 10)).toBe("1990-05-12");
    expect((await db().prisma.customer.findUnique({ where: { externalId: "c-002" } }))?.displayName).toBe("Smith, Anna");
    expect((await db().prisma.customer.findUnique({ where: { externalId: "c-006" } }))?.displayName).toBe("李娜\n(Li Na)");
    expect(await db().prisma.customer.findUnique({ where: { externalId: "c-009" } })).toMatchObject({ displayName: 'OK "Last"', tags: ["a", "b"] });
    expect(await db().prisma.customer.findUnique({ where: { externalId: "c-003" } })).toBeNull();
    const consent = await db().prisma.consentChange.findFirst({ where: { customer: { externalId: "c-001" } } });
    expect(consent).toMatchObject({ topic: "marketing", granted: true, source: "import:customers-mixed.csv" });

    const rejects = fs.readFileSync(rejectsFile, "utf8");
    expect(rejects.startsWith("\uFEFFexternal_id,display_name,")).toBe(true);
    const lines = rejects.slice(1).trimEnd().split("\r\n");
    expect(lines[0]).toBe("external_id,display_name,email,phone,birthday,time_zone,locale,tags,marketing_consent,line,reason");
    expect(lines).toHaveLength(7);
    expect(lines[1]).toBe("c-003,Bad Email,not-an-email,,,,,,,4,email: must be a valid email address");
    expect(lines[5]).toMatch(/^,No Id,/);
    expect(lines[6]).toMatch(/^c-008,王芳,/);

    // The same file again changes nothing and creates nobody.
    const again = await importCsv({ kind: "customers", file: fixture("customers-mixed.csv"), ingest: ingest() });
    expect(again.counts).toEqual({ created: 0, updated: 4, duplicate: 0, rejected: 6 });
  });

  it("imports orders: bare customers for unknown ones, duplicates once, broken rows skipped, one event per new order", async () => {
    const before = recorded.length;
    const report = await importCsv({ kind: "orders", file: fixture("orders-mixed.csv"), ingest: ingest() });
    expect(report.rows).toBe(11);
    expect(report.counts).toEqual({ created: 3, updated: 0, duplicate: 1, rejected: 7 });
    expect(report.customersCreated).toBe(2);
    expect(report.rejects.map((r) => r.line)).toEqual([3, 5, 6, 7, 8, 10, 11]);
    const reasons = Object.fromEntries(report.rejects.map((r) => [r.line, r.reason]));
    expect(reasons[7]).toMatch(/never closed/);
    expect(reasons[8]).toBe("amount: must have at most 2 decimal places");
    expect(reasons[10]).toBe("placed_at: is in the future");
    expect(reasons[11]).toMatch(/^placed_at: needs a time zone/);

    const stored = await db().prisma.order.findMany({ where: { externalId: { in: ["o-1", "o-3", "o-10"] } }, orderBy: { externalId: "asc" }, include: { customer: true } });
    expect(stored.map((o) => [o.externalId, o.amount.toFixed(2), o.currency, o.customer.externalId])).toEqual([
      ["o-1", "199.00", "CNY", "c-001"],
      ["o-10", "42.00", "GBP", "c-003"],
      ["o-3", "25.50", "USD", "c-new"],
    ]);
    expect(recorded.length - before).toBe(3);
    expect(new Set(recorded.slice(before))).toEqual(new Set(stored.map((o) => o.id)));

    const second = await importCsv({ kind: "orders", file: fixture("orders-again.csv"), ingest: ingest() });
    expect(second.counts).toEqual({ created: 1, updated: 0, duplicate: 1, rejected: 1 });
    expect(second.rejects).toEqual([{ line: 3, reason: expect.stringMatching(/^external_id: conflicts with the order already recorded/) }]);
    expect(second.ignoredColumns).toEqual(["note"]);
    expect(recorded.length - before).toBe(4);
    expect((await db().prisma.order.findUnique({ where: { externalId: "o-3" } }))?.amount.toFixed(2)).toBe("25.50");
  });

  it("writes in batches and reports progress", async () => {
    const file = path.join(tmp, "many-orders.csv");
    const lines = ["external_id,customer_external_id,amount,currency,placed_at"];
    for (let i = 1; i <= 1203; i++) lines.push(i === 700 ? "many-700,broken" : `many-${i},many-c-${i % 50},${i}.25,CNY,2026-10-01`);
    fs.writeFileSync(file, `${lines.join("\n")}\n`);
    const before = recorded.length;
    const progress: ImportProgress[] = [];
    const report = await importCsv({ kind: "orders", file, ingest: ingest(), batchSize: 500, onProgress: (p) => progress.push(p) });
    expect(report.counts).toEqual({ created: 1202, updated: 0, duplicate: 0, rejected: 1 });
    expect(report.rejects).toEqual([{ line: 701, reason: expect.stringMatching(/wrong number of columns/) }]);
    expect(report.customersCreated).toBe(50);
    expect(recorded.length - before).toBe(1202);
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.at(-1)).toMatchObject({ rows: 1203, rejected: 1, bytesRead: fs.statSync(file).size });
    expect(await db().prisma.order.count({ where: { externalId: { startsWith: "many-" } } })).toBe(1202);
  });

  it("stops with one clear line on a missing file, a missing column, an empty file or a non-UTF-8 file", async () => {
    const run = (file: string) => runImport("orders", file, {}, openDb);
    await expect(run(path.join(tmp, "nope.csv"))).rejects.toThrow(/^cannot read .*nope\.csv: no such file$/);
    await expect(run(fixture("orders-missing-column.csv"))).rejects.toThrow(/missing required columns amount, placed_at in the header row/);
    const empty = path.join(tmp, "empty.csv");
    fs.writeFileSync(empty, "\uFEFF\r\n");
    await expect(run(empty)).rejects.toThrow(/is empty: expected a header row/);
    const gbk = path.join(tmp, "gbk.csv");
    fs.writeFileSync(gbk, Buffer.concat([Buffer.from("external_id,display_name\nc-1,"), Buffer.from([0xd5, 0xc5, 0xce, 0xb0]), Buffer.from("\n")]));
    await expect(runImport("customers", gbk, {}, openDb)).rejects.toThrow(/not UTF-8 text \(near line 2\): save it as "CSV UTF-8"/);
    expect(await db().prisma.customer.findUnique({ where: { externalId: "c-1" } })).toBeNull();
  });

  it("runs as `tend import orders FILE` with a report on stdout and exit status 2 when rows were rejected", async () => {
    const out = sink();
    const err = sink();
    const subscribed: string[] = [];
    const program = new Command("tend").exitOverride();
    registerImportCommands(program, openDb, {
      clock,
      stdout: out.stream,
      stderr: err.stream,
      subscribe: (bus) => {
        bus.on("order.recorded", (event) => {
          subscribed.push(event.orderId);
        });
        return async () => {
          subscribed.push("settled");
        };
      },
    });
    const file = path.join(tmp, "cli-orders.csv");
    fs.writeFileSync(file, "external_id,customer_external_id,amount,currency,placed_at\r\ncli-1,c-001,3.00,CNY,2026-11-01\r\ncli-2,c-001,-3,CNY,2026-11-01\r\n");
    const rejectsFile = path.join(tmp, "cli-rejects.csv");
    await program.parseAsync(["node", "tend", "import", "orders", file, "--rejects", rejectsFile]);
    expect(process.exitCode).toBe(2);
    expect(subscribed).toEqual([expect.any(String), "settled"]);
    expect(out.text()).toContain("orders from cli-orders.csv: 2 rows read");
    expect(out.text()).toMatch(/created: +1\n/);
    expect(out.text()).toMatch(/rejected: +1\n/);
    expect(out.text()).toContain("line 3: amount: must be a positive decimal amount");
    expect(out.text()).toContain(`rejected rows written to ${rejectsFile}`);
    // Not a TTY: no progress bar.
    expect(err.text()).toBe("");
    expect(fs.readFileSync(rejectsFile, "utf8")).toContain(`cli-2,c-001,-3,CNY,2026-11-01,3,"amount: must be a positive decimal amount`);
  });
});
