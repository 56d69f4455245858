import { createHash } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { registerStaffCommands } from "../src/cli/staff-commands.ts";
import { ManualClock } from "../src/core/clock.ts";
import type { BuiltServices } from "../src/engine/build-services.ts";
import { TendError } from "../src/errors.ts";
import { describeEachDatabase } from "./support/databases.ts";
import { runCommands, staffApiApp } from "./support/staff-api-app.ts";

const LEGACY = "legacy-shared-key-0123456789";

describeEachDatabase("named API keys", (db) => {
  const clock = new ManualClock("2026-12-02T08:00:00Z");
  let app: FastifyInstance;
  let services: BuiltServices;
  let customerId: string;

  beforeAll(async () => {
    ({ app, services } = await staffApiApp(db(), clock, { TEND_API_KEY: LEGACY }));
    customerId = (await db().prisma.customer.create({ data: { displayName: "Keyed", externalId: "keys-1" } })).id;
  });
  afterAll(async () => {
    await app?.close();
  });

  // Each test a minute later, so "newest first" has one answer (audit entries of one instant are in id order).
  beforeEach(() => clock.advance(60_000));

  const note = (key: string, text = "called about the parcel") =>
    app.inject({ method: "POST", url: `/api/customers/${customerId}/notes`, headers: { authorization: `Bearer ${key}` }, payload: { text } });

  it("makes a key shown once and stored only as its sha256; the API acts as the key and the audit names it", async () => {
    const created = await services.staff.createApiKey("mei", "staff");
    expect(created.key).toMatch(/^tend_[A-Za-z0-9_-]{43}$/);
    const row = await db().prisma.apiKey.findUniqueOrThrow({ where: { name: "mei" } });
    expect(row.hash).toBe(createHash("sha256").update(created.key).digest("hex"));
    expect(JSON.stringify(row)).not.toContain(created.key);

    const response = await note(created.key);
    expect(response.statusCode).toBe(201);
    const [entry] = await services.staff.auditLog({ customerId, action: "customer.note" });
    expect(entry).toMatchObject({ actorKind: "staff", actorId: "apikey:mei", actorName: "mei", via: "api", outcome: "ok" });
    const timeline = await db().prisma.interaction.findUniqueOrThrow({ where: { id: response.json().id } });
    expect(timeline).toMatchObject({ kind: "staff_note", text: "called about the parcel", metadata: { by: "mei", byId: "apikey:mei" } });
    expect((await db().prisma.apiKey.findUniqueOrThrow({ where: { name: "mei" } })).lastUsedAt).toEqual(clock.now());
  });

  it("refuses a revoked key with 401 and keeps its name for the audit", async () => {
    const created = await services.staff.createApiKey("leaver", "staff");
    expect((await note(created.key)).statusCode).toBe(201);
    const revoked = await services.staff.revokeApiKey("leaver");
    expect(revoked.revokedAt).toEqual(clock.now());
    const refused = await note(created.key);
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error).toMatch(/revoked/);
    await expect(services.staff.revokeApiKey("leaver")).rejects.toThrow(/already revoked/);
    await expect(services.staff.createApiKey("leaver", "staff")).rejects.toMatchObject({ code: "STAFF_KEY_EXISTS" });
    expect((await services.staff.auditLog({ actorId: "apikey:leaver" })).map((e) => e.action)).toEqual(["customer.note"]);
  });

  it("keeps TEND_API_KEY working as the key named TEND_API_KEY; a wrong key is 401", async () => {
    expect((await note(LEGACY, "legacy")).statusCode).toBe(201);
    const [entry] = await services.staff.auditLog({ customerId, action: "customer.note" });
    expect(entry).toMatchObject({ actorKind: "integration", actorId: "apikey:TEND_API_KEY", actorName: "TEND_API_KEY" });
    expect((await note("tend_not-a-key-at-all-0000000000000000000000")).statusCode).toBe(401);
    expect((await app.inject({ method: "GET", url: "/api/cases" })).statusCode).toBe(401);
  });

  it("refuses bad names", async () => {
    for (const name of ["", "has space", "TEND_API_KEY", "x".repeat(65)]) {
      await expect(services.staff.createApiKey(name, "integration"), JSON.stringify(name)).rejects.toMatchObject({ code: "STAFF_KEY_NAME_INVALID" });
    }
  });

  it("tend staff add-key / keys / revoke-key / audit", async () => {
    const register = (program: import("commander").Command, openDb: () => Promise<import("../src/db/database.ts").Database>, stdout: NodeJS.WritableStream) =>
      registerStaffCommands(program, openDb, (t) => void stdout.write(t), { clock, userName: "ops" });
    const added = await runCommands(db(), register, ["staff", "add-key", "shop-sync", "--integration"]);
    expect(added.error).toBeUndefined();
    const key = /^ {2}(tend_\S+)$/m.exec(added.stdout)?.[1];
    expect(key).toBeDefined();
    expect((await app.inject({ method: "GET", url: "/api/cases", headers: { authorization: `Bearer ${key}` } })).statusCode).toBe(200);

    const listed = await runCommands(db(), register, ["staff", "keys"]);
    expect(listed.stdout).toMatch(/shop-sync +integration/);
    expect(listed.stdout).not.toContain(key!);
    const json = JSON.parse((await runCommands(db(), register, ["staff", "keys", "--json"])).stdout);
    expect(json.find((k: { name: string }) => k.name === "shop-sync")).toMatchObject({ kind: "integration", revokedAt: null });

    expect((await runCommands(db(), register, ["staff", "revoke-key", "shop-sync"])).stdout).toMatch(/revoked/);
    expect((await app.inject({ method: "GET", url: "/api/cases", headers: { authorization: `Bearer ${key}` } })).statusCode).toBe(401);
    const missing = await runCommands(db(), register, ["staff", "revoke-key", "nobody"]);
    expect(missing.error).toBeInstanceOf(TendError);

    const audit = await runCommands(db(), register, ["staff", "audit", "--since", "2026-12-01"]);
    expect(audit.stdout).toMatch(/staff\.api_key_created +ops \(cli:ops, cli\) +target shop-sync/);
    expect(audit.stdout).toMatch(/staff\.api_key_revoked +ops/);
    const byCustomer = JSON.parse((await runCommands(db(), register, ["staff", "audit", "--customer", "keys-1", "--json"])).stdout);
    expect(byCustomer.length).toBeGreaterThan(0);
    expect(byCustomer.every((e: { customerId: string }) => e.customerId === customerId)).toBe(true);
    expect((await runCommands(db(), register, ["staff", "audit", "--since", "yesterday"])).error).toBeDefined();
  });

  it("GET /api/audit lists entries newest first, by customer (id or external id) and since", async () => {
    const byExternal = await app.inject({ method: "GET", url: "/api/audit?customer=keys-1", headers: { authorization: `Bearer ${LEGACY}` } });
    expect(byExternal.statusCode).toBe(200);
    const entries = byExternal.json().entries as { at: string; customerId: string }[];
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.every((e) => e.customerId === customerId)).toBe(true);
    const later = await app.inject({ method: "GET", url: "/api/audit?since=2030-01-01", headers: { authorization: `Bearer ${LEGACY}` } });
    expect(later.json().entries).toEqual([]);
    const bad = await app.inject({ method: "GET", url: "/api/audit?since=soon&limit=0", headers: { authorization: `Bearer ${LEGACY}` } });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors.map((e: { path: string }) => e.path)).toEqual(["since", "limit"]);
  });
});

describeEachDatabase("the API without TEND_API_KEY", (db) => {
  const clock = new ManualClock("2026-12-02T08:00:00Z");
  let app: FastifyInstance;
  let services: BuiltServices;
  beforeAll(async () => {
    ({ app, services } = await staffApiApp(db(), clock));
  });
  afterAll(async () => {
    await app?.close();
  });

  it("is off (503) until a named key exists, then answers to that key only", async () => {
    const off = await app.inject({ method: "GET", url: "/api/cases", headers: { authorization: "Bearer anything-at-all-000000" } });
    expect(off.statusCode).toBe(503);
    const { key } = await services.staff.createApiKey("first", "staff");
    expect((await app.inject({ method: "GET", url: "/api/cases", headers: { authorization: "Bearer anything-at-all-000000" } })).statusCode).toBe(401);
    expect((await app.inject({ method: "GET", url: "/api/cases", headers: { authorization: `Bearer ${key}` } })).statusCode).toBe(200);
    await services.staff.revokeApiKey("first");
    expect((await app.inject({ method: "GET", url: "/api/cases", headers: { authorization: `Bearer ${key}` } })).statusCode).toBe(503);
  });
});
