import { describe, expect, it } from "vitest";
import { ManualClock } from "../src/core/clock.ts";
import { type DomainEvents, EventBus } from "../src/core/events.ts";
import { TendError } from "../src/errors.ts";
import { complaintWordsIn } from "../src/feedback/complaint-words.ts";
import { FeedbackService, type NotifyCustomer } from "../src/feedback/feedback-service.ts";
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
  function setup(notify?: NotifyCustomer) {
    const clock = new ManualClock(T0);
    const events = new EventBus();
    const opened: DomainEvents["feedback.case_opened"][] = [];
    const closed: DomainEvents["feedback.case_closed"][] = [];
    events.on("feedback.case_opened", (e) => void opened.push(e));
    events.on("feedback.case_closed", (e) => void closed.push(e));
    const sent: { customerId: string; text: string }[] = [];
    const errors: [string, unknown][] = [];
    const notifier: NotifyCustomer =
      notify ??
      (async (customerId, message) => {
        sent.push({ customerId, text: message.text });
      });
    const service = new FeedbackService({ prisma: db().prisma, clock, events, notifier, onError: (w, e) => void errors.push([w, e]) });
    return { clock, service, opened, closed, sent, errors };
  }
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

  it("closes a case, then tells the customer in their language what was done", async () => {
    const { service, clock, closed, sent } = setup();
    const ann = await customer();
    const li = await customer({ locale: "zh-CN" });
    const annCase = await service.open(ann.id, "survey", "CSAT 1/5 on telegram");
    const liCase = await service.open(li.id, "complaint", "坏了");
    clock.advance(3_600_000);

    const result = await service.close(annCase.id, "We refunded your order and sent a new one.", "mei@shop");
    expect(result.notified).toBe(true);
    expect(result.notifyError).toBeUndefined();
    expect(result.case).toMatchObject({ status: "closed", resolution: "We refunded your order and sent a new one.", closedBy: "mei@shop" });
    expect(result.case.closedAt?.toISOString()).toBe(clock.now().toISOString());
    expect(result.case.customerNotifiedAt?.toISOString()).toBe(clock.now().toISOString());
    expect(sent).toEqual([{ customerId: ann.id, text: "About your feedback: We refunded your order and sent a new one. Thank you for telling us." }]);
    expect(closed).toEqual([{ caseId: annCase.id, customerId: ann.id, resolution: "We refunded your order and sent a new one.", at: clock.now() }]);

    await service.close(liCase.id, "已为您办理退款。", "mei");
    expect(sent[1]).toEqual({ customerId: li.id, text: "关于您的反馈：已为您办理退款。感谢您告诉我们。" });
    expect((await service.listOpen()).map((c) => c.id)).not.toContain(annCase.id);
    // The notifier records the outbound message; the service does not record it a second time.
    expect(await db().prisma.interaction.count({ where: { customerId: { in: [ann.id, li.id] } } })).toBe(0);
  });

  it("refuses to close twice, or without a resolution, with clear errors", async () => {
    const { service, sent } = setup();
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
    expect(sent.filter((s) => s.text.includes("Sent by express"))).toHaveLength(1);
  });

  it("keeps the case closed but customerNotifiedAt empty when the follow-up fails, and reports it", async () => {
    const { service, errors } = setup(async () => {
      throw new Error("telegram said 403: bot was blocked by the user");
    });
    const ann = await customer();
    const c = await service.open(ann.id, "survey", "NPS 2/10");
    const result = await service.close(c.id, "Called and apologised", "mei");
    expect(result.notified).toBe(false);
    expect(result.notifyError).toContain("bot was blocked");
    const stored = await service.get(c.id);
    expect(stored).toMatchObject({ status: "closed", resolution: "Called and apologised", customerNotifiedAt: null });
    expect(errors.map(([what]) => what)).toEqual(["feedback.follow_up"]);

    // Sending again later, once the channel works, sets it.
    const sent: string[] = [];
    const working = new FeedbackService({ prisma: db().prisma, clock: new ManualClock("2026-04-02T00:00:00Z"), notifier: { notifyCustomer: async (_id, m) => void sent.push(m.text) } });
    const retried = await working.retryFollowUp(c.id);
    expect(retried.notified).toBe(true);
    expect(retried.case.customerNotifiedAt?.toISOString()).toBe("2026-04-02T00:00:00.000Z");
    expect(sent).toEqual(["About your feedback: Called and apologised. Thank you for telling us."]);
    expect((await working.retryFollowUp(c.id)).notified).toBe(true);
    expect(sent).toHaveLength(1);
  });

  it("does not contact an erased customer, and says so", async () => {
    const { service, sent } = setup();
    const gone = await customer({ erasedAt: new Date("2026-03-01T00:00:00Z") });
    const c = await service.open(gone.id, "staff", "Old case");
    const result = await service.close(c.id, "Nothing more to do", "mei");
    expect(result).toMatchObject({ notified: false, case: { status: "closed", customerNotifiedAt: null } });
    expect(result.notifyError).toMatch(/erased/);
    expect(sent).toEqual([]);
  });
});
