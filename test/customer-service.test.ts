import { expect, it } from "vitest";
import { ManualClock } from "../src/core/clock.ts";
import { EventBus } from "../src/core/events.ts";
import { CustomerService } from "../src/customers/customer-service.ts";
import type { Customer } from "../src/db/generated/client.ts";
import { toEntries } from "../src/engine/conversation-history.ts";
import { TendError } from "../src/errors.ts";
import { LoyaltyService } from "../src/loyalty/loyalty-service.ts";
import type { Actor } from "../src/staff/actor.ts";
import { StaffService } from "../src/staff/staff-service.ts";
import { describeEachDatabase } from "./support/databases.ts";

const alice: Actor = { kind: "staff", id: "slack:U0ALICE", name: "Alice", via: "slack" };
const bob: Actor = { kind: "staff", id: "apikey:bob", name: "bob", via: "api" };

describeEachDatabase("customer service", (db) => {
  const clock = new ManualClock("2026-12-02T10:00:00.000Z");
  const events = new EventBus();
  const handedOver: string[] = [];
  events.on("conversation.handed_over", (e) => void handedOver.push(e.customerId));
  const service = () => {
    const prisma = db().prisma;
    const staff = new StaffService({ prisma, clock });
    return { staff, customers: new CustomerService({ prisma, staff, loyalty: new LoyaltyService({ prisma, clock }), clock, events }) };
  };
  let n = 0;
  async function customer(data: Partial<Customer> = {}): Promise<Customer> {
    clock.advance(60_000);
    const prisma = db().prisma;
    const made = await prisma.customer.create({ data: { displayName: `Customer ${++n}`, locale: "en", ...data } as never });
    await prisma.channelIdentity.create({ data: { customerId: made.id, platform: "telegram", platformUserId: `tg-${made.id}`, address: `tg-${made.id}` } });
    return made;
  }
  const outboxOf = (customerId: string) => db().prisma.outboxMessage.findMany({ where: { customerId }, orderBy: { createdAt: "asc" } });
  const auditOf = (customerId: string, action: string) => service().staff.auditLog({ customerId, action });

  it("takes a conversation over: the customer is told who joined (outbox, transactional), the timeline and the audit say who", async () => {
    const c = await customer({ locale: "zh-CN" });
    const result = await service().customers.takeOver(c.id, alice);
    expect(result).toMatchObject({ status: "taken", customerNotified: true, handover: { active: true, since: clock.now(), heldBy: { actorId: "slack:U0ALICE", name: "Alice" } } });
    const [message] = await outboxOf(c.id);
    expect(message).toMatchObject({ topic: "transactional", kind: "handover_taken", status: "pending", payload: { text: expect.stringContaining("Alice") } });
    expect((message!.payload as { text: string }).text).toMatch(/工作人员 Alice/);
    const row = await db().prisma.interaction.findFirstOrThrow({ where: { customerId: c.id, kind: "system" } });
    expect(row.metadata).toMatchObject({ event: "taken_over", by: "Alice", byId: "slack:U0ALICE" });
    const [entry] = await auditOf(c.id, "customer.take_over");
    expect(entry).toMatchObject({
      actorId: "slack:U0ALICE",
      outcome: "ok",
      before: { active: false, heldBy: null },
      after: { active: true, heldBy: { actorId: "slack:U0ALICE", name: "Alice" } },
    });

    expect(await service().customers.takeOver(c.id, alice)).toMatchObject({ status: "already_yours" });
    expect(await outboxOf(c.id)).toHaveLength(1);
    clock.advance(1000);
    expect(await service().customers.takeOver(c.id, bob)).toMatchObject({ status: "held_by_other", handover: { heldBy: { name: "Alice" } } });
    expect((await auditOf(c.id, "customer.take_over"))[0]).toMatchObject({ actorId: "apikey:bob", outcome: "refused", detail: { reason: "held by Alice" } });
    clock.advance(1000);
    expect(await service().customers.takeOver(c.id, bob, { force: true })).toMatchObject({ status: "taken", handover: { heldBy: { name: "bob" } } });
  });

  it("gives one winner when two staff take over at once, and one when two release at once", async () => {
    for (let round = 0; round < 5; round++) {
      const c = await customer();
      const results = await Promise.all([service().customers.takeOver(c.id, alice), service().customers.takeOver(c.id, bob)]);
      expect(results.map((r) => r.status).sort(), `round ${round}`).toEqual(["held_by_other", "taken"]);
      const winner = results.find((r) => r.status === "taken")!;
      const stored = await db().prisma.customer.findUniqueOrThrow({ where: { id: c.id } });
      expect(stored.handedOverTo).toBe(winner.status === "taken" ? winner.handover.heldBy?.actorId : undefined);
      expect(await outboxOf(c.id)).toHaveLength(1);

      const released = await Promise.all([service().customers.release(c.id, alice), service().customers.release(c.id, bob)]);
      expect(released.map((r) => r.status).sort()).toEqual(["not_handed_over", "released"]);
      expect((await outboxOf(c.id)).map((m) => m.kind)).toEqual(["handover_taken", "handover_released"]);
    }
  });

  it("releases: the bot answers again, the customer is told, the audit has before and after; nothing to release is refused and audited", async () => {
    const c = await customer({ handedOverAt: clock.now() });
    const result = await service().customers.release(c.id, bob);
    expect(result).toMatchObject({ status: "released", customerNotified: true, releasedFrom: { active: true, heldBy: null } });
    const stored = await db().prisma.customer.findUniqueOrThrow({ where: { id: c.id } });
    expect(stored).toMatchObject({ handedOverAt: null, handedOverTo: null, handedOverToName: null });
    expect((await outboxOf(c.id))[0]).toMatchObject({ topic: "transactional", kind: "handover_released", payload: { text: expect.stringMatching(/assistant/) } });
    expect((await auditOf(c.id, "customer.release"))[0]).toMatchObject({ actorId: "apikey:bob", outcome: "ok", before: { active: true }, after: { active: false } });
    clock.advance(1000);
    expect(await service().customers.release(c.id, bob)).toEqual({ status: "not_handed_over" });
    expect((await auditOf(c.id, "customer.release"))[0]).toMatchObject({ outcome: "refused" });
    expect(await service().customers.release("00000000-0000-4000-8000-000000000000", bob)).toEqual({ status: "not_found" });
    expect(await service().customers.takeOver("crm-42", bob)).toEqual({ status: "not_found" });
  });

  it("does not tell an erased customer, and does not take over their conversation", async () => {
    const c = await customer({ erasedAt: clock.now(), handedOverAt: clock.now() });
    expect(await service().customers.takeOver(c.id, alice)).toMatchObject({ status: "held_by_other" });
    expect(await service().customers.release(c.id, alice)).toMatchObject({ status: "released", customerNotified: false });
    expect(await outboxOf(c.id)).toEqual([]);
  });

  it("records a customer's own request for a person once: a handover case, the event, the bot quiet", async () => {
    const c = await customer();
    const first = await service().customers.requestHandover(c.id, "wants a refund");
    expect(first).toMatchObject({ status: "handed_over", case: { source: "handover", summary: "wants a refund" }, customer: { handedOverAt: clock.now(), handedOverTo: null } });
    expect(await service().customers.requestHandover(c.id, "again")).toMatchObject({ status: "already_handed_over" });
    expect(handedOver.filter((id) => id === c.id)).toHaveLength(1);
    // Staff then take the waiting conversation; the time the customer asked is kept.
    const asked = clock.now();
    clock.advance(5 * 60_000);
    expect(await service().customers.takeOver(c.id, alice)).toMatchObject({ status: "taken", handover: { since: asked, heldBy: { name: "Alice" } } });
  });

  it("pauses and resumes outreach with the actor on the timeline and the before/after in the audit", async () => {
    const c = await customer();
    const until = new Date(clock.now().getTime() + 7 * 86_400_000);
    const paused = await service().customers.pauseOutreach(c.id, until, alice);
    expect(paused?.outreachPausedUntil).toEqual(until);
    expect((await auditOf(c.id, "customer.pause_outreach"))[0]).toMatchObject({ before: { outreachPausedUntil: null }, after: { outreachPausedUntil: until.toISOString() } });
    clock.advance(1000);
    await service().customers.resumeOutreach(c.id, bob);
    expect((await auditOf(c.id, "customer.resume_outreach"))[0]).toMatchObject({ actorId: "apikey:bob", before: { outreachPausedUntil: until.toISOString() }, after: { outreachPausedUntil: null } });
    const rows = await db().prisma.interaction.findMany({ where: { customerId: c.id, kind: "system" }, orderBy: { occurredAt: "asc" } });
    expect(rows.map((r) => r.metadata)).toMatchObject([
      { event: "outreach_paused", until: until.toISOString(), by: "Alice" },
      { event: "outreach_resumed", by: "bob" },
    ]);
    await expect(service().customers.pauseOutreach(c.id, clock.now(), alice)).rejects.toMatchObject({ code: "OUTREACH_PAUSE_INVALID" });
    expect(await service().customers.pauseOutreach("00000000-0000-4000-8000-000000000000", until, alice)).toBeNull();
  });

  it("adds a note to the timeline with the staff member's name, audited, never shown to the customer", async () => {
    const c = await customer();
    const note = await service().customers.addNote(c.id, alice, "  prefers calls after 6pm  ");
    expect(note).toMatchObject({ kind: "staff_note", direction: "out", platform: "telegram", text: "prefers calls after 6pm", metadata: { by: "Alice", byId: "slack:U0ALICE" } });
    expect((await auditOf(c.id, "customer.note"))[0]).toMatchObject({ actorName: "Alice", target: note.id, detail: { length: 23 } });
    expect(toEntries([note])).toEqual([]);
    await expect(service().customers.addNote(c.id, alice, "   ")).rejects.toMatchObject({ code: "NOTE_EMPTY" });
    await expect(service().customers.addNote("00000000-0000-4000-8000-000000000000", alice, "x")).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
  });

  it("adjusts points through the loyalty service and audits the balance before and after; a refusal is audited too", async () => {
    const c = await customer();
    const added = await service().customers.adjustPoints(c.id, alice, { points: 150, reason: "goodwill: late parcel", purpose: "goodwill" });
    expect(added).toMatchObject({ before: 0, after: 150, result: { status: "adjusted" } });
    clock.advance(1000);
    const taken = await service().customers.adjustPoints(c.id, bob, { points: -50, reason: "double booking", idempotencyKey: "fix-1" });
    expect(taken).toMatchObject({ before: 150, after: 100 });
    clock.advance(1000);
    expect(await service().customers.adjustPoints(c.id, bob, { points: -50, reason: "double booking", idempotencyKey: "fix-1" })).toMatchObject({ before: 100, after: 100, result: { status: "already_adjusted" } });
    clock.advance(1000);
    await expect(service().customers.adjustPoints(c.id, bob, { points: -500, reason: "too much" })).rejects.toBeInstanceOf(TendError);
    const entries = await auditOf(c.id, "loyalty.adjust");
    expect(entries.map((e) => [e.actorName, e.outcome, e.before, e.after])).toEqual([
      ["bob", "refused", null, null],
      ["bob", "ok", { balance: 100 }, { balance: 100 }],
      ["bob", "ok", { balance: 150 }, { balance: 100 }],
      ["Alice", "ok", { balance: 0 }, { balance: 150 }],
    ]);
    expect(entries[3]!.detail).toMatchObject({ points: 150, reason: "goodwill: late parcel", purpose: "goodwill" });
    expect(entries[0]!.detail).toMatchObject({ points: -500, error: expect.stringMatching(/cannot take 500/) });
  });

  it("changes profile and consent for staff with the fields before and after in the audit", async () => {
    const c = await customer();
    const updated = await service().customers.updateProfile(c.id, alice, { timeZone: "Asia/Shanghai", maxCareMessagesPerWeek: 1 });
    expect(updated).toMatchObject({ timeZone: "Asia/Shanghai", maxCareMessagesPerWeek: 1 });
    expect((await auditOf(c.id, "customer.update_profile"))[0]).toMatchObject({ before: { timeZone: "UTC", maxCareMessagesPerWeek: 2 }, after: { timeZone: "Asia/Shanghai", maxCareMessagesPerWeek: 1 } });
    // Personal fields are audited as changed, without their values (the audit outlives an erasure).
    clock.advance(1000);
    await service().customers.updateProfile(c.id, alice, { email: "new@example.com" });
    expect((await auditOf(c.id, "customer.update_profile"))[0]!.after).toEqual({ email: "(personal data, not kept in the audit)" });
    expect(JSON.stringify(await auditOf(c.id, "customer.update_profile"))).not.toContain("new@example.com");
    const consent = await service().customers.setConsent(c.id, alice, "marketing", true);
    expect(consent.marketingConsent).toBe(true);
    expect((await auditOf(c.id, "customer.set_consent"))[0]).toMatchObject({ target: "marketing", before: { marketing: false }, after: { marketing: true } });
    expect((await service().customers.consentHistory(c.id)).at(-1)).toMatchObject({ topic: "marketing", granted: true, source: "staff:slack:U0ALICE" });
  });
});
