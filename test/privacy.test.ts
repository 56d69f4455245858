import { beforeEach, expect, it } from "vitest";
import { ManualClock } from "../src/core/clock.ts";
import { EventBus } from "../src/core/events.ts";
import { CustomerRepository } from "../src/db/repositories/customer-repository.ts";
import { PrivacyService } from "../src/privacy/privacy-service.ts";
import { exportSummaryText } from "../src/privacy/export-summary.ts";
import { describeEachDatabase } from "./support/databases.ts";
import { seedCustomer } from "./support/seed-customer.ts";
import { choice, createEngineHarness, only, uniqueUser } from "./support/engine-harness.ts";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";


const BASE = new Date("2026-03-01T08:00:00Z");
let seq = 0;
const uniqueTag = (name: string) => `${name}${++seq}${Math.random().toString(36).slice(2, 6)}`;

describeEachDatabase("privacy: export and erasure", (db) => {
  let clock: ManualClock;
  let service: PrivacyService;
  beforeEach(() => {
    clock = new ManualClock("2026-03-02T09:30:00Z");
    service = new PrivacyService(db().prisma, clock);
  });

  it("exports every section of a customer's data as plain JSON", async () => {
    const tag = uniqueTag("exp");
    const customer = await seedCustomer(db().prisma, tag, BASE);
    const other = await seedCustomer(db().prisma, uniqueTag("other"), BASE);

    const { document, summary, counts, fileName } = await service.exportCustomerData(customer.id);
    expect(JSON.parse(JSON.stringify(document))).toEqual(document);
    expect(document.format).toBe("tend.customer-export");
    expect(document.formatVersion).toBe(1);
    expect(document.exportedAt).toBe("2026-03-02T09:30:00.000Z");
    expect(fileName).toBe("tend-data-2026-03-02.json");
    expect(document.customer).toMatchObject({
      id: customer.id,
      displayName: `Name ${tag}`,
      email: `${tag}@example.com`,
      birthday: "1990-05-12",
      lunarBirthday: "4-18",
      externalId: `crm-${tag}`,
      tags: ["vip", `tag-${tag}`],
      createdAt: BASE.toISOString(),
      erasedAt: null,
    });
    expect(document.preferences).toMatchObject({ timeZone: "Asia/Shanghai", quietHours: { start: "22:00", end: "08:00" }, maxCareMessagesPerWeek: 2 });
    expect(document.consent.care).toEqual({ granted: true, changedAt: null });
    expect(document.consent.history).toEqual([{ topic: "marketing", granted: true, source: "chat:START", changedAt: "2026-03-01T08:01:00.000Z" }]);
    expect(document.channels).toEqual([
      { platform: "telegram", platformUserId: `tg-${tag}`, address: `tg:${tag}`, displayName: `tg ${tag}`, firstSeenAt: BASE.toISOString(), lastSeenAt: "2026-03-01T08:50:00.000Z" },
    ]);
    expect(document.interactions.map((i) => i.text)).toEqual([`hello from ${tag} 你好`, `reply to ${tag}`]);
    expect(document.interactions[0]).toMatchObject({ direction: "in", kind: "message", metadata: { lang: "zh" }, occurredAt: "2026-03-01T08:02:00.000Z" });
    expect(document.orders).toEqual([expect.objectContaining({ externalId: `order-${tag}`, amount: "12.50", currency: "CNY", placedAt: "2026-03-01T08:03:00.000Z" })]);
    expect(document.loyalty.balance).toBe(7);
    expect(document.loyalty.entries.map((e) => [e.kind, e.points, e.reward?.code ?? null])).toEqual([
      ["earn", 12, null],
      ["redeem", -5, expect.stringMatching(/^coffee-/)],
    ]);
    expect(document.surveys.invitations).toHaveLength(1);
    expect(document.surveys.responses).toEqual([
      expect.objectContaining({ invitationId: document.surveys.invitations[0]?.id, score: 2, reason: `slow delivery for ${tag}` }),
    ]);
    expect(document.feedbackCases.map((f) => [f.summary, f.resolution])).toEqual([
      [`${tag} says delivery was slow`, `refunded ${tag}`],
      [`${tag} complaint`, null],
    ]);
    // Only messages not yet delivered; the sent one is history already.
    expect(document.pendingMessages).toEqual([expect.objectContaining({ kind: "care", status: "pending", payload: { text: `see you soon ${tag}` } })]);
    expect(document.pendingActions.map((a) => a.kind)).toEqual(["survey_reason"]);
    // The seeded code expired before the export.
    expect(document.activeLinkCodes).toEqual([]);
    // Nothing of the other customer leaks in.
    expect(JSON.stringify(document)).not.toContain(other.id);
    expect(JSON.stringify(document)).not.toContain(other.email ?? "?");

    expect(counts).toMatchObject({ channels: 1, interactions: 2, orders: 1, loyaltyBalance: 7, surveysSent: 1, surveysAnswered: 1, feedbackCases: 2, pendingMessages: 1 });
    expect(summary).toContain("Messages and events: 2");
    expect(summary).toContain("Loyalty: 7 points from 2 entries");
    expect(summary).not.toContain(tag);
    const zh = exportSummaryText(document, "zh-CN");
    expect(zh).toContain("消息与事件：2 条");
    expect(zh).toContain("余额 7 分");
  });

  it("writes the summary in the customer's language", async () => {
    const { customer } = await new CustomerRepository(db().prisma).resolveIdentity({
      platform: "web",
      platformUserId: uniqueTag("zh"),
      address: "web:zh",
      locale: "zh-CN",
    });
    const { summary, document } = await service.exportCustomerData(customer.id);
    expect(summary).toContain("订单：0 笔");
    expect(document.channels).toHaveLength(1);
    await expect(service.exportCustomerData("00000000-0000-4000-8000-000000000000")).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
  });

  it("erases personal data and texts everywhere but keeps the rows that counts need", async () => {
    const prisma = db().prisma;
    const tag = uniqueTag("era");
    const customer = await seedCustomer(prisma, tag, BASE);
    const bystander = await seedCustomer(prisma, uniqueTag("by"), BASE);
    const events: string[] = [];
    const bus = new EventBus();
    bus.on("customer.erased", (e) => void events.push(e.customerId));
    service = new PrivacyService(prisma, clock, {}, bus);

    const result = await service.eraseCustomer(customer.id, { requestedVia: "api" });
    expect(result.alreadyErased).toBe(false);
    expect(result.counts).toEqual({
      profileFieldsCleared: 9, // name, email, phone, birthday, lunar birthday, shop id, tags, time zone, quiet hours
      consentsWithdrawn: 2, // care and surveys were on; marketing is off by default
      interactionsScrubbed: 2,
      surveyReasonsErased: 1,
      surveyContextsCleared: 1,
      feedbackCasesScrubbed: 2,
      identitiesDeleted: 1,
      pendingActionsDeleted: 1,
      linkCodesDeleted: 1,
      outboxCancelled: 1,
      ordersUnlinked: 1,
      ledgerEntriesScrubbed: 1,
      scoresDeleted: 1,
    });
    expect(events).toEqual([customer.id]);

    const after = await prisma.customer.findUniqueOrThrow({ where: { id: customer.id } });
    expect(after).toMatchObject({
      displayName: null,
      email: null,
      phone: null,
      birthday: null,
      lunarBirthMonth: null,
      lunarBirthDay: null,
      externalId: null,
      tags: [],
      timeZone: "UTC",
      quietHoursStart: null,
      careConsent: false,
      marketingConsent: false,
      surveyConsent: false,
    });
    expect(after.erasedAt?.toISOString()).toBe(clock.now().toISOString());
    const consentHistory = await prisma.consentChange.findMany({ where: { customerId: customer.id, source: "erasure" } });
    expect(consentHistory.map((c) => [c.topic, c.granted]).sort()).toEqual([
      ["care", false],
      ["surveys", false],
    ]);

    const interactions = await prisma.interaction.findMany({ where: { customerId: customer.id }, orderBy: { occurredAt: "asc" } });
    expect(interactions).toHaveLength(3);
    expect(interactions.slice(0, 2).map((i) => [i.kind, i.direction, i.platform, i.text, i.metadata, i.platformMessageId])).toEqual([
      ["message", "in", "telegram", null, null, null],
      ["care", "out", "telegram", null, null, null],
    ]);
    expect(interactions[2]).toMatchObject({ kind: "system", text: null, platform: "telegram", metadata: { event: "erased", requestedVia: "api" } });

    const response = await prisma.surveyResponse.findFirstOrThrow({ where: { customerId: customer.id } });
    expect(response).toMatchObject({ score: 2, reason: null });
    const cases = await prisma.feedbackCase.findMany({ where: { customerId: customer.id }, orderBy: { openedAt: "asc" } });
    expect(cases.map((c) => [c.summary, c.resolution, c.status])).toEqual([
      ["[erased]", "[erased]", "closed"],
      ["[erased]", null, "open"],
    ]);
    expect(await prisma.channelIdentity.count({ where: { customerId: customer.id } })).toBe(0);
    expect(await prisma.pendingAction.count({ where: { customerId: customer.id } })).toBe(0);
    expect(await prisma.linkCode.count({ where: { customerId: customer.id } })).toBe(0);
    const outbox = await prisma.outboxMessage.findMany({ where: { customerId: customer.id }, orderBy: { createdAt: "asc" } });
    expect(outbox.map((m) => [m.status, m.payload])).toEqual([
      ["cancelled", {}],
      ["sent", {}],
      ["control", {}],
    ]);
    const orders = await prisma.order.findMany({ where: { customerId: customer.id } });
    expect(orders.map((o) => [o.amount.toFixed(2), o.currency, o.externalId])).toEqual([["12.50", "CNY", `erased:${orders[0]?.id}`]]);
    const ledger = await prisma.loyaltyLedgerEntry.findMany({ where: { customerId: customer.id } });
    expect(ledger.reduce((sum, e) => sum + e.points, 0)).toBe(7);
    expect(ledger.every((e) => e.reason === null && e.idempotencyKey === null)).toBe(true);

    // No personal string of the customer is left anywhere in the export.
    const { document } = await service.exportCustomerData(customer.id);
    const json = JSON.stringify(document);
    for (const secret of [tag, "hello from", "slow delivery", "see you soon", "example.com", "1990-05-12"]) expect(json).not.toContain(secret);

    // The same platform account writing again is a stranger.
    const again = await new CustomerRepository(prisma).resolveIdentity({ platform: "telegram", platformUserId: `tg-${tag}`, address: `tg:${tag}` });
    expect(again.created).toBe(true);
    expect(again.customer.id).not.toBe(customer.id);

    // The bystander is untouched.
    const other = await service.exportCustomerData(bystander.id);
    expect(other.document.customer.email).toBe(bystander.email);
    expect(other.counts).toMatchObject({ interactions: 2, channels: 1, feedbackCases: 2 });
    expect(other.document.interactions[0]?.text).toContain("hello from");
  });

  it("is idempotent: erasing again changes nothing and counts zeros", async () => {
    const prisma = db().prisma;
    const customer = await seedCustomer(prisma, uniqueTag("idem"), BASE);
    await service.eraseCustomer(customer.id, { requestedVia: "staff" });
    const firstErasedAt = (await prisma.customer.findUniqueOrThrow({ where: { id: customer.id } })).erasedAt;
    clock.advance(60_000);
    const second = await service.eraseCustomer(customer.id, { requestedVia: "staff" });
    expect(second.alreadyErased).toBe(true);
    expect(Object.values(second.counts).every((n) => n === 0)).toBe(true);
    expect((await prisma.customer.findUniqueOrThrow({ where: { id: customer.id } })).erasedAt).toEqual(firstErasedAt);
    const markers = await prisma.interaction.findMany({ where: { customerId: customer.id, kind: "system" } });
    expect(markers).toHaveLength(1);
    expect(markers[0]?.metadata).toEqual({ event: "erased", requestedVia: "staff" });
    await expect(service.eraseCustomer("00000000-0000-4000-8000-000000000000", { requestedVia: "api" })).rejects.toMatchObject({
      code: "CUSTOMER_NOT_FOUND",
    });
  });

  it("erases only with the customer's own, fresh, unused confirmation token", async () => {
    const prisma = db().prisma;
    const customer = await seedCustomer(prisma, uniqueTag("conf"), BASE);
    const stranger = await seedCustomer(prisma, uniqueTag("str"), BASE);

    const first = await service.requestErasure(customer.id);
    expect(first.token).toMatch(/^[A-HJ-NP-Z2-9]{6}$/);
    expect(first.expiresAt.getTime() - clock.now().getTime()).toBe(10 * 60_000);
    const stored = await prisma.pendingAction.findFirstOrThrow({ where: { customerId: customer.id, kind: "confirm_erase" } });
    expect(JSON.stringify(stored.payload)).not.toContain(first.token);

    const second = await service.requestErasure(customer.id);
    // Asking again replaces the earlier request.
    if (first.token !== second.token) expect(await service.confirmErasure(customer.id, first.token)).toEqual({ kind: "invalid" });
    expect(await service.confirmErasure(customer.id, "not a token")).toEqual({ kind: "invalid" });
    expect(await service.confirmErasure(stranger.id, second.token)).toEqual({ kind: "invalid" });
    expect((await prisma.customer.findUniqueOrThrow({ where: { id: customer.id } })).erasedAt).toBeNull();

    clock.advance(9 * 60_000);
    const typed = ` ${second.token.toLowerCase().slice(0, 3)} ${second.token.toLowerCase().slice(3)} `;
    const done = await service.confirmErasure(customer.id, typed, { requestedVia: "chat", platform: "discord" });
    expect(done.kind).toBe("erased");
    if (done.kind === "erased") expect(done.counts.identitiesDeleted).toBe(1);
    const marker = await prisma.interaction.findFirstOrThrow({ where: { customerId: customer.id, kind: "system" } });
    expect(marker.platform).toBe("discord");
    // Used once.
    expect(await service.confirmErasure(customer.id, second.token)).toEqual({ kind: "invalid" });
    expect((await prisma.customer.findUniqueOrThrow({ where: { id: stranger.id } })).erasedAt).toBeNull();
  });

  it("refuses an expired confirmation and then treats the token as used", async () => {
    const prisma = db().prisma;
    const customer = await seedCustomer(prisma, uniqueTag("exp"), BASE);
    const { token } = await service.requestErasure(customer.id);
    clock.advance(10 * 60_000);
    expect(await service.confirmErasure(customer.id, token)).toEqual({ kind: "expired" });
    expect(await service.confirmErasure(customer.id, token)).toEqual({ kind: "invalid" });
    const after = await prisma.customer.findUniqueOrThrow({ where: { id: customer.id } });
    expect(after.erasedAt).toBeNull();
    expect(after.email).not.toBeNull();
  });

  it("erases once when the same confirmation arrives twice at the same time", async () => {
    const prisma = db().prisma;
    const customer = await seedCustomer(prisma, uniqueTag("twice"), BASE);
    const { token } = await service.requestErasure(customer.id);
    const results = await Promise.all([service.confirmErasure(customer.id, token), service.confirmErasure(customer.id, token)]);
    expect(results.map((r) => r.kind).sort()).toEqual(["erased", "invalid"]);
    expect(await prisma.interaction.count({ where: { customerId: customer.id, kind: "system" } })).toBe(1);
  });

  it("keeps only the erase token's hash when a chat asks to erase, and the confirm button still erases", async () => {
    const h = await createEngineHarness(db());
    const user = uniqueUser("erase-hash");
    await h.say(user, "hello", { displayName: "Ana" });
    const customer = await h.requireCustomer(user);
    const ask = only(await h.say(user, "delete my data"));

    const rows = await db().prisma.pendingAction.findMany({ where: { customerId: customer.id } });
    const request = rows.find((row) => row.kind === "confirm_erase");
    const tokenHash = (request?.payload as { tokenHash?: string } | undefined)?.tokenHash;
    expect(tokenHash).toMatch(/^[0-9a-f]{64}$/);
    // No row holds the token itself under any key: no stored string hashes to the token's hash.
    const strings: string[] = [];
    const collect = (value: unknown, key?: string): void => {
      if (key !== undefined) strings.push(key);
      if (typeof value === "string") strings.push(value);
      else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) collect(v, k);
    };
    for (const row of rows) collect(row.payload);
    expect(strings).not.toContain("token");
    const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
    expect(strings.filter((text) => sha256(text) === tokenHash || sha256(text.toUpperCase()) === tokenHash)).toEqual([]);

    const erased = only(await h.say(user, { action: choice(ask, "confirm:") }));
    expect(erased.text).toBe("Your personal data has been erased. If you write again, we will treat you as a new customer.");
    expect((await db().prisma.customer.findUniqueOrThrow({ where: { id: customer.id } })).erasedAt).not.toBeNull();
    expect(await db().prisma.pendingAction.count({ where: { customerId: customer.id } })).toBe(0);
  });

  it("erases on a typed yes after a chat erase request, with the token kept only as a hash", async () => {
    const h = await createEngineHarness(db());
    const user = uniqueUser("erase-yes");
    await h.say(user, "hello");
    const customer = await h.requireCustomer(user);
    await h.say(user, "delete my data");
    const payloads = JSON.stringify((await db().prisma.pendingAction.findMany({ where: { customerId: customer.id } })).map((row) => row.payload));
    expect(payloads).not.toMatch(/"token"/);
    expect(only(await h.say(user, "yes")).text).toBe("Your personal data has been erased. If you write again, we will treat you as a new customer.");
    expect((await db().prisma.customer.findUniqueOrThrow({ where: { id: customer.id } })).erasedAt).not.toBeNull();
  });

  it("deletes erase confirmations from before the change, which held the token in clear, and nothing else", async () => {
    const prisma = db().prisma;
    const customer = await seedCustomer(prisma, uniqueTag("old"), BASE);
    const expiresAt = new Date(BASE.getTime() + 10 * 60_000);
    const old = await prisma.pendingAction.create({ data: { customerId: customer.id, kind: "confirm", payload: { op: "erase", token: "94YVBP" }, createdAt: BASE, expiresAt } });
    const kept = await prisma.pendingAction.create({ data: { customerId: customer.id, kind: "confirm", payload: { op: "redeem", reward: "coffee" }, createdAt: BASE, expiresAt } });
    const sql = await readFile(new URL("../prisma/migrations/20261202000600_erase_confirmation_without_token/migration.sql", import.meta.url), "utf8");
    await prisma.$executeRawUnsafe(sql);
    expect(await prisma.pendingAction.findUnique({ where: { id: old.id } })).toBeNull();
    expect(await prisma.pendingAction.findUnique({ where: { id: kept.id } })).not.toBeNull();
    expect(await prisma.pendingAction.count({ where: { customerId: customer.id, kind: "survey_reason" } })).toBe(1);
  });
});
