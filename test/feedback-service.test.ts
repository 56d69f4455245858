import { describe, expect, it } from "vitest";
import { ManualClock } from "../src/core/clock.ts";
import { type DomainEvents, EventBus } from "../src/core/events.ts";
import { TendError } from "../src/errors.ts";
import { complaintWordsIn } from "../src/feedback/complaint-words.ts";
import { enqueue } from "../src/db/repositories/outbox-repository.ts";
import { type EnqueueOutbox, FeedbackService, followUpKey } from "../src/feedback/feedback-service.ts";
import { describeEachDatabase } from "./support/databases.ts";

const T0 = "2026-04-01T08:00:00.000Z";

describe("complaint words", () => {
  it("matches English as whole words, case-insensitively, and Chinese anywhere", () => {
    expect(complaintWordsIn("Terrible service. REFUNDED twice?!")).toEqual(["refunded", "terrible"]);
    expect(complaintWordsIn("I had breakfast; it was unbreakable")).toEqual([]);
    expect(complaintWordsIn("退款还没到，太差了")).toEqual(["退款", "太差"]);
    expect(complaintWordsIn("客服说要refund😡")).toEqual(["refund"]);
    expect(complaintWordsIn("complaints: none 😊")).toEqual(["complaints"]);
    expect(complaintWordsIn("It   never    working")).toEqual(["never working"]);
    expect(complaintWordsIn("非常满意 👍")).toEqual([]);
  });
});

describeEachDatabase("feedback service", (db) => {
  function setup(queue: EnqueueOutbox = enqueue) {
    const clock = new ManualClock(T0);
    const events = new EventBus();
    const opened: DomainEvents["feedback.case_opened"][] = [];
    const closed: DomainEvents["feedback.case_closed"][] = [];
    events.on("feedback.case_opened", (e) => void opened.push(e));
    events.on("feedback.case_closed", (e) => void closed.push(e));
    const errors: [string, unknown][] = [];
    const service = new FeedbackService({ prisma: db().prisma, clock, events, enqueue: queue, onError: (w, e) => void errors.push([w, e]) });
    return { clock, service, opened, closed, errors };
  }
  /** The follow-ups queued for these customers (what the dispatcher will send), oldest first. */
  const queued = async (...customerIds: string[]) =>
    (await db().prisma.outboxMessage.findMany({ where: { customerId: { in: customerIds } }, orderBy: { createdAt: "asc" } })).map((row) => ({
      customerId: row.customerId,
      text: (row.payload as { text: string }).text,
      topic: row.topic,
      dedupeKey: row.dedupeKey,
      status: row.status,
    }));
  const customer = (data: { locale?: string; erasedAt?: Date } = {}) => db().prisma.customer.create({ data });

  async function rejection(promise: Promise<unknown>): Promise<TendError> {
    const error = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TendError);
    return error as TendError;
  }

  it("opens cases, lists open ones oldest first and a customer's newest first, and assigns them", async () => {
    const { service, clock, opened } = setup();
    const ann = await customer();
    const bob = await customer();
    const first = await service.open(ann.id, "handover", "  Asked to talk to a person  ");
    clock.advance(60_000);
    const second = await service.open(bob.id, "staff", "Called about a late delivery 📦");
    clock.advance(60_000);
    const third = await service.open(ann.id, "complaint", "退款还没到");
    expect(first).toMatchObject({ customerId: ann.id, source: "handover", status: "open", summary: "Asked to talk to a person", assignee: null });
    expect(opened.map((e) => [e.caseId, e.source])).toEqual([
      [first.id, "handover"],
      [second.id, "staff"],
      [third.id, "complaint"],
    ]);
    const open = (await service.listOpen()).map((c) => c.id);
    expect(open.indexOf(first.id)).toBeLessThan(open.indexOf(second.id));
    expect(open.indexOf(second.id)).toBeLessThan(open.indexOf(third.id));
    expect((await service.listByCustomer(ann.id)).map((c) => c.id)).toEqual([third.id, first.id]);

    expect((await service.assign(second.id, " Mei ")).assignee).toBe("Mei");
    expect((await service.assign(second.id, null)).assignee).toBeNull();
    expect((await rejection(service.assign("5d1f7c2e-0000-4000-8000-000000000000", "Mei"))).code).toBe("FEEDBACK_CASE_NOT_FOUND");
    expect((await rejection(service.open(ann.id, "staff", "   "))).code).toBe("FEEDBACK_SUMMARY_REQUIRED");
    expect((await rejection(service.open("5d1f7c2e-0000-4000-8000-000000000000", "staff", "x"))).code).toBe("CUSTOMER_NOT_FOUND");
  });

  it("closes a case and queues the follow-up telling the customer, in their language, what was done", async () => {
    const { service, clock, closed } = setup();
    const ann = await customer();
    const li = await customer({ locale: "zh-CN" });
    const annCase = await service.open(ann.id, "survey", "CSAT 1/5 on telegram");
    const liCase = await service.open(li.id, "complaint", "坏了");
    clock.advance(3_600_000);

    const result = await service.close(annCase.id, "We refunded your order and sent a new one.", "mei@shop");
    expect(result.followUpQueued).toBe(true);
    expect(result.notQueuedBecause).toBeUndefined();
    expect(result.case).toMatchObject({ status: "closed", resolution: "We refunded your order and sent a new one.", closedBy: "mei@shop" });
    expect(result.case.closedAt?.toISOString()).toBe(clock.now().toISOString());
    // Told only once the dispatcher has delivered it.
    expect(result.case.customerNotifiedAt).toBeNull();
    expect(await queued(ann.id)).toEqual([
      {
        customerId: ann.id,
        text: "About your feedback: We refunded your order and sent a new one. Thank you for telling us.",
        topic: "case_followup",
        dedupeKey: followUpKey(annCase.id),
        status: "pending",
      },
    ]);
    expect(closed).toEqual([{ caseId: annCase.id, customerId: ann.id, resolution: "We refunded your order and sent a new one.", at: clock.now() }]);

    await service.close(liCase.id, "已为您办理退款。", "mei");
    expect((await queued(li.id)).map((row) => row.text)).toEqual(["关于您的反馈：已为您办理退款。感谢您告诉我们。"]);
    expect((await service.listOpen()).map((c) => c.id)).not.toContain(annCase.id);
    // The dispatcher records the outbound message when it is delivered; closing records none.
    expect(await db().prisma.interaction.count({ where: { customerId: { in: [ann.id, li.id] } } })).toBe(0);

    await service.followUpSent(annCase.id, clock.now());
    expect((await service.get(annCase.id))?.customerNotifiedAt?.toISOString()).toBe(clock.now().toISOString());
  });

  it("writes the closed case and its follow-up together: a failure after writing the case leaves the case open and nothing queued", async () => {
    const { service } = setup(async (tx, drafts) => {
      await enqueue(tx, drafts);
      throw new Error("the database went away after the follow-up was written");
    });
    const ann = await customer();
    const c = await service.open(ann.id, "complaint", "Parcel never came");
    await expect(service.close(c.id, "Sent a new parcel", "mei")).rejects.toThrow(/went away/);
    expect(await service.get(c.id)).toMatchObject({ status: "open", resolution: null, closedBy: null });
    expect(await queued(ann.id)).toEqual([]);

    // Closing again once the database is back writes both.
    const working = new FeedbackService({ prisma: db().prisma, clock: new ManualClock(T0) });
    expect((await working.close(c.id, "Sent a new parcel", "mei")).followUpQueued).toBe(true);
    expect(await queued(ann.id)).toHaveLength(1);
  });

  it("refuses to close twice, or without a resolution, with clear errors", async () => {
    const { service } = setup();
    const ann = await customer();
    const c = await service.open(ann.id, "staff", "Wrong size");
    const empty = await rejection(service.close(c.id, "  ", "mei"));
    expect(empty.code).toBe("FEEDBACK_RESOLUTION_REQUIRED");
    expect(empty.message).toMatch(/resolution/);
    expect((await service.get(c.id))?.status).toBe("open");

    await service.close(c.id, "Exchanged for the right size", "mei");
    const twice = await rejection(service.close(c.id, "Again", "li"));
    expect(twice.code).toBe("FEEDBACK_CASE_ALREADY_CLOSED");
    expect(twice.message).toContain("already closed");
    expect(twice.message).toContain("by mei");
    expect((await rejection(service.assign(c.id, "li"))).code).toBe("FEEDBACK_CASE_CLOSED");
    expect((await service.get(c.id))?.resolution).toBe("Exchanged for the right size");
    expect((await rejection(service.close("not-a-uuid", "x", "mei"))).code).toBe("FEEDBACK_CASE_NOT_FOUND");

    // Two staff closing at the same moment: one wins, the customer hears once.
    const racing = await service.open(ann.id, "staff", "Late");
    const results = await Promise.allSettled([service.close(racing.id, "Sent by express", "a"), service.close(racing.id, "Sent by express", "b")]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect((await queued(ann.id)).filter((s) => s.text.includes("Sent by express"))).toHaveLength(1);
  });

  it("queues a failed or dead-lettered follow-up again on retry, and does nothing once the customer was told", async () => {
    const { service } = setup();
    const ann = await customer();
    const c = await service.open(ann.id, "survey", "NPS 2/10");
    await service.close(c.id, "Called and apologised", "mei");
    // The dispatcher gave up on it (the bot was blocked, say).
    await db().prisma.outboxMessage.updateMany({ where: { dedupeKey: followUpKey(c.id) }, data: { status: "dead", lastError: "telegram: bot was blocked", attempts: 6 } });

    const retried = await service.retryFollowUp(c.id);
    expect(retried.followUpQueued).toBe(true);
    expect(await queued(ann.id)).toEqual([expect.objectContaining({ status: "pending", text: "About your feedback: Called and apologised. Thank you for telling us." })]);
    expect((await db().prisma.outboxMessage.findUniqueOrThrow({ where: { dedupeKey: followUpKey(c.id) } })).attempts).toBe(0);

    await service.followUpSent(c.id, new Date("2026-04-02T00:00:00Z"));
    await db().prisma.outboxMessage.updateMany({ where: { dedupeKey: followUpKey(c.id) }, data: { status: "sent" } });
    expect((await service.retryFollowUp(c.id)).followUpQueued).toBe(true);
    expect(await queued(ann.id)).toEqual([expect.objectContaining({ status: "sent" })]);
  });

  it("does not contact an erased customer, and says so", async () => {
    const { service } = setup();
    const gone = await customer({ erasedAt: new Date("2026-03-01T00:00:00Z") });
    const c = await service.open(gone.id, "staff", "Old case");
    const result = await service.close(c.id, "Nothing more to do", "mei");
    expect(result).toMatchObject({ followUpQueued: false, case: { status: "closed", customerNotifiedAt: null } });
    expect(result.notQueuedBecause).toMatch(/erased/);
    expect(await queued(gone.id)).toEqual([]);
  });
});
