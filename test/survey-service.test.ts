import { describe, expect, it } from "vitest";
import { ManualClock } from "../src/core/clock.ts";
import { type DomainEvents, EventBus } from "../src/core/events.ts";
import { FeedbackService } from "../src/feedback/feedback-service.ts";
import { parseSurveyAction, surveyActionId } from "../src/surveys/actions.ts";
import { surveySettingsFromConfig } from "../src/surveys/settings.ts";
import { type AnswerResult, type InviteResult, SurveyService } from "../src/surveys/survey-service.ts";
import { loadConfig } from "../src/config/env.ts";
import { describeEachDatabase } from "./support/databases.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = "2026-03-02T09:00:00.000Z";

function invited(result: InviteResult) {
  if (result.status !== "invited") throw new Error(`expected an invitation, got ${JSON.stringify(result)}`);
  return result;
}

function recorded(result: AnswerResult) {
  if (result.status !== "recorded") throw new Error(`expected a recorded answer, got ${JSON.stringify(result)}`);
  return result;
}

describe("survey actions", () => {
  it("round-trips button ids and rejects anything else", () => {
    const id = "0b7c8f7e-4a4e-4d3a-9f1e-2a6b1c9d0e11";
    expect(surveyActionId(id, 10)).toBe(`survey:${id}:10`);
    expect(parseSurveyAction(`survey:${id}:10`)).toEqual({ invitationId: id, score: 10 });
    expect(parseSurveyAction(`survey:${id.toUpperCase()}:0`)).toEqual({ invitationId: id, score: 0 });
    expect(Buffer.byteLength(surveyActionId(id, 10))).toBeLessThanOrEqual(64);
    for (const bad of ["", "survey:", `survey:${id}`, `survey:${id}:`, `survey:${id}:100`, `survey:${id}:-1`, `loyalty:${id}:1`, `survey:not-a-uuid:3`, `survey:${id}:3:x`]) {
      expect(parseSurveyAction(bad), bad).toBeNull();
    }
  });

  it("reads its settings from the configuration, with defaults", () => {
    expect(surveySettingsFromConfig(loadConfig({}))).toEqual({ answerWindowHours: 72, npsMinDaysBetween: 90, reasonWindowMinutes: 60 });
    const custom = loadConfig({ SURVEY_ANSWER_WINDOW_HOURS: "24", NPS_MIN_DAYS_BETWEEN: "30", SURVEY_REASON_WINDOW_MINUTES: "15" });
    expect(surveySettingsFromConfig(custom)).toEqual({ answerWindowHours: 24, npsMinDaysBetween: 30, reasonWindowMinutes: 15 });
    expect(() => loadConfig({ SURVEY_ANSWER_WINDOW_HOURS: "0" })).toThrow(/SURVEY_ANSWER_WINDOW_HOURS must be/);
  });
});

describeEachDatabase("survey service", (db) => {
  function setup(options: { onCompleted?: (customerId: string, invitationId: string) => void | Promise<void> } = {}) {
    const clock = new ManualClock(T0);
    const events = new EventBus();
    const seen: { [K in keyof DomainEvents]?: DomainEvents[K][] } = {};
    const record = <K extends keyof DomainEvents>(name: K) =>
      events.on(name, (event) => {
        (seen[name] ??= [] as never[]).push(event as never);
      });
    record("survey.answered");
    record("feedback.case_opened");
    const errors: [string, unknown][] = [];
    const onError = (what: string, error: unknown) => void errors.push([what, error]);
    const feedback = new FeedbackService({ prisma: db().prisma, clock, events, onError });
    const service = new SurveyService({ prisma: db().prisma, clock, events, feedback, settings: { onCompleted: options.onCompleted }, onError });
    return { clock, events, seen, errors, service };
  }

  const customer = (data: { locale?: string; surveyConsent?: boolean; erasedAt?: Date } = {}) => db().prisma.customer.create({ data });
  const responsesOf = (invitationId: string) => db().prisma.surveyResponse.findMany({ where: { invitationId } });
  const casesOf = (customerId: string) => db().prisma.feedbackCase.findMany({ where: { customerId }, orderBy: { openedAt: "asc" } });

  it("invites with an answer window, the question in the customer's language and one button per score", async () => {
    const { service } = setup();
    const ann = await customer();
    const csat = invited(await service.invite(ann.id, "csat", "telegram", "order 1001"));
    expect(csat.invitation).toMatchObject({ customerId: ann.id, kind: "csat", platform: "telegram", status: "pending", context: "order 1001" });
    expect(csat.invitation.sentAt.toISOString()).toBe(T0);
    expect(csat.invitation.expiresAt.getTime() - csat.invitation.sentAt.getTime()).toBe(72 * HOUR);
    expect(csat.language).toBe("en");
    expect(csat.question).toMatch(/satisfied/);
    expect(csat.choices.map((c) => parseSurveyAction(c.id))).toEqual([1, 2, 3, 4, 5].map((score) => ({ invitationId: csat.invitation.id, score })));
    expect(csat.choices[0]?.label).toMatch(/^1/);

    const li = await customer({ locale: "zh-CN" });
    const nps = invited(await service.invite(li.id, "nps", "web"));
    expect(nps.language).toBe("zh-CN");
    expect(nps.question).toContain("推荐");
    expect(nps.choices.map((c) => c.label)).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]);
    expect(nps.choices.map((c) => parseSurveyAction(c.id)?.score)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

    const shortWindow = new SurveyService({ prisma: db().prisma, clock: new ManualClock(T0), settings: { answerWindowHours: 2 } });
    const short = invited(await shortWindow.invite(ann.id, "csat", "slack"));
    expect(short.invitation.expiresAt.toISOString()).toBe("2026-03-02T11:00:00.000Z");
  });

  it("refuses customers without survey consent, erased customers and unknown ones, without inviting", async () => {
    const { service } = setup();
    const noConsent = await customer({ surveyConsent: false });
    const erased = await customer({ erasedAt: new Date("2026-01-01T00:00:00Z") });
    expect(await service.invite(noConsent.id, "csat", "telegram")).toEqual({ status: "refused", reason: "no_consent" });
    expect(await service.invite(noConsent.id, "nps", "telegram")).toEqual({ status: "refused", reason: "no_consent" });
    expect(await service.invite(erased.id, "csat", "web")).toEqual({ status: "refused", reason: "erased" });
    expect(await service.invite("5d1f7c2e-0000-4000-8000-000000000000", "csat", "web")).toEqual({ status: "refused", reason: "unknown_customer" });
    expect(await db().prisma.surveyInvitation.count({ where: { customerId: { in: [noConsent.id, erased.id] } } })).toBe(0);
  });

  it("sends at most one NPS per 90 days (CSAT is not limited), even when two invites race", async () => {
    const { service, clock } = setup();
    const ann = await customer();
    const first = invited(await service.invite(ann.id, "nps", "telegram"));
    clock.advance(89 * DAY);
    const tooSoon = await service.invite(ann.id, "nps", "discord");
    expect(tooSoon).toEqual({ status: "refused", reason: "too_soon", nextAllowedAt: new Date(first.invitation.sentAt.getTime() + 90 * DAY) });
    invited(await service.invite(ann.id, "csat", "telegram"));
    invited(await service.invite(ann.id, "csat", "telegram"));
    clock.set(new Date(first.invitation.sentAt.getTime() + 90 * DAY));
    invited(await service.invite(ann.id, "nps", "telegram"));
    expect(await db().prisma.surveyInvitation.count({ where: { customerId: ann.id, kind: "nps" } })).toBe(2);

    const bob = await customer();
    const racing = await Promise.all(Array.from({ length: 6 }, () => service.invite(bob.id, "nps", "web")));
    expect(racing.filter((r) => r.status === "invited")).toHaveLength(1);
    expect(racing.filter((r) => r.status === "refused" && r.reason === "too_soon")).toHaveLength(5);
    expect(await db().prisma.surveyInvitation.count({ where: { customerId: bob.id } })).toBe(1);

    const noGap = new SurveyService({ prisma: db().prisma, clock, settings: { npsMinDaysBetween: 0 } });
    invited(await noGap.invite(ann.id, "nps", "telegram"));
  });

  it("records an answer once, asks why, emits survey.answered and runs the completion hook", async () => {
    const completed: [string, string][] = [];
    const { service, seen, clock } = setup({ onCompleted: (c, i) => void completed.push([c, i]) });
    const ann = await customer();
    const { invitation } = invited(await service.invite(ann.id, "csat", "telegram"));
    clock.advance(HOUR);
    const result = recorded(await service.answer(invitation.id, ann.id, 5));
    expect(result.response).toMatchObject({ invitationId: invitation.id, customerId: ann.id, score: 5, reason: null });
    expect(result.invitation.status).toBe("answered");
    expect(result.caseId).toBeNull();
    expect(result.reply).toMatch(/reason/);
    expect((await db().prisma.surveyInvitation.findUniqueOrThrow({ where: { id: invitation.id } })).status).toBe("answered");
    expect(seen["survey.answered"]).toEqual([{ invitationId: invitation.id, customerId: ann.id, kind: "csat", score: 5, at: clock.now() }]);
    expect(completed).toEqual([[ann.id, invitation.id]]);
    expect(await service.pendingReasonFor(ann.id)).toMatchObject({ responseId: result.response.id, invitationId: invitation.id });
    expect(await service.openInvitationFor(ann.id)).toBeNull();

    const again = await service.answer(invitation.id, ann.id, 1);
    expect(again.status).toBe("already_answered");
    if (again.status === "already_answered") expect(again.response.score).toBe(5);
    expect(await responsesOf(invitation.id)).toHaveLength(1);
    expect(completed).toHaveLength(1);
  });

  it("records concurrent double taps once", async () => {
    const completed: string[] = [];
    const { service, seen } = setup({ onCompleted: (_c, i) => void completed.push(i) });
    const ann = await customer();
    const { invitation } = invited(await service.invite(ann.id, "nps", "discord"));
    const results = await Promise.all([3, 3, 9, 0, 10].map((score) => service.answer(invitation.id, ann.id, score)));
    const winners = results.filter((r) => r.status === "recorded");
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.status === "already_answered")).toHaveLength(4);
    const stored = await responsesOf(invitation.id);
    expect(stored).toHaveLength(1);
    expect(stored[0]?.score).toBe(winners[0]?.status === "recorded" ? winners[0].response.score : -1);
    for (const r of results) if (r.status === "already_answered") expect(r.response.id).toBe(stored[0]?.id);
    expect(seen["survey.answered"]?.filter((e) => e.invitationId === invitation.id)).toHaveLength(1);
    expect(completed).toEqual([invitation.id]);
    // However the race went, a low winning score opened one case and a high one none.
    expect(await casesOf(ann.id)).toHaveLength((stored[0]?.score ?? 10) <= 6 ? 1 : 0);
  });

  it("refuses answers after the window, marking the invitation expired without recording", async () => {
    const { service, clock, seen } = setup();
    const li = await customer({ locale: "zh-CN" });
    const late = invited(await service.invite(li.id, "csat", "web")).invitation;
    const justInTime = invited(await service.invite(li.id, "csat", "web")).invitation;
    clock.advance(72 * HOUR - 1);
    recorded(await service.answer(justInTime.id, li.id, 4));
    clock.advance(1);
    const result = await service.answer(late.id, li.id, 1);
    expect(result.status).toBe("expired");
    if (result.status === "expired") expect(result.reply).toBe("抱歉，这份问卷已经结束。");
    expect((await db().prisma.surveyInvitation.findUniqueOrThrow({ where: { id: late.id } })).status).toBe("expired");
    expect(await responsesOf(late.id)).toHaveLength(0);
    expect(await casesOf(li.id)).toHaveLength(0);
    expect(seen["survey.answered"]?.map((e) => e.invitationId)).toEqual([justInTime.id]);
    // Moving the clock back does not reopen an invitation already marked expired.
    clock.advance(-DAY);
    expect((await service.answer(late.id, li.id, 5)).status).toBe("expired");
  });

  it("sweeps overdue invitations to expired", async () => {
    const { service, clock } = setup();
    const ann = await customer();
    const old = invited(await service.invite(ann.id, "csat", "slack")).invitation;
    clock.advance(10 * HOUR);
    const fresh = invited(await service.invite(ann.id, "csat", "slack")).invitation;
    expect((await service.openInvitationFor(ann.id))?.id).toBe(fresh.id);
    clock.advance(70 * HOUR);
    expect(await service.expireOverdue()).toBeGreaterThanOrEqual(1);
    const statuses = await db().prisma.surveyInvitation.findMany({ where: { id: { in: [old.id, fresh.id] } }, select: { id: true, status: true } });
    expect(Object.fromEntries(statuses.map((s) => [s.id, s.status]))).toEqual({ [old.id]: "expired", [fresh.id]: "pending" });
  });

  it("refuses scores out of range, other customers' invitations and unknown ones, recording nothing", async () => {
    const { service } = setup();
    const ann = await customer();
    const bob = await customer({ locale: "zh-CN" });
    const csat = invited(await service.invite(ann.id, "csat", "telegram")).invitation;
    const nps = invited(await service.invite(ann.id, "nps", "telegram")).invitation;
    for (const score of [0, 6, 2.5, Number.NaN, -1]) {
      expect(await service.answer(csat.id, ann.id, score)).toEqual({ status: "out_of_range", min: 1, max: 5, reply: "Please choose a score from 1 to 5." });
    }
    for (const score of [11, -1, 7.5]) expect((await service.answer(nps.id, ann.id, score)).status).toBe("out_of_range");
    expect(await service.answer(csat.id, bob.id, 5)).toEqual({ status: "not_yours", reply: "抱歉，这份问卷无法使用。" });
    expect((await service.answer("5d1f7c2e-0000-4000-8000-000000000000", ann.id, 5)).status).toBe("not_found");
    expect((await service.answer("garbage", ann.id, 5)).status).toBe("not_found");
    expect(await responsesOf(csat.id)).toHaveLength(0);
    expect(await responsesOf(nps.id)).toHaveLength(0);
    // The invitation is still there to be answered properly.
    recorded(await service.answer(nps.id, ann.id, 0));
  });

  it("takes the customer's next message as the reason, once, within the reason window", async () => {
    const { service, clock } = setup();
    const ann = await customer();
    expect(await service.takeReason(ann.id, "random chat")).toBeNull();
    const { invitation } = invited(await service.invite(ann.id, "csat", "telegram"));
    const { response } = recorded(await service.answer(invitation.id, ann.id, 4));
    expect(await service.takeReason(ann.id, "   ")).toEqual({ status: "empty" });
    const reason = await service.takeReason(ann.id, "  Quick delivery 🚀, friendly staff  ");
    expect(reason).toMatchObject({ status: "recorded", caseId: null, caseOpened: false, complaintWords: [], reply: "Thank you for telling us." });
    const stored = await db().prisma.surveyResponse.findUniqueOrThrow({ where: { id: response.id } });
    expect(stored.reason).toBe("Quick delivery 🚀, friendly staff");
    expect(stored.reasonAt?.toISOString()).toBe(clock.now().toISOString());
    expect(await service.pendingReasonFor(ann.id)).toBeNull();
    expect(await service.takeReason(ann.id, "and another thing")).toBeNull();
    expect((await service.addReason(response.id, "overwrite?")).status).toBe("already_given");
    expect((await db().prisma.surveyResponse.findUniqueOrThrow({ where: { id: response.id } })).reason).toBe("Quick delivery 🚀, friendly staff");
    expect((await service.addReason("5d1f7c2e-0000-4000-8000-000000000000", "x")).status).toBe("not_found");

    // Past the window the next message is ordinary chat again.
    const second = invited(await service.invite(ann.id, "csat", "telegram")).invitation;
    recorded(await service.answer(second.id, ann.id, 5));
    clock.advance(60 * 60_000);
    expect(await service.pendingReasonFor(ann.id)).toBeNull();
    expect(await service.takeReason(ann.id, "hello")).toBeNull();
  });

  it("answers from a bare number typed in chat when an invitation is open", async () => {
    const { service } = setup();
    const ann = await customer();
    expect(await service.answerFromText(ann.id, "5")).toBeNull();
    const { invitation } = invited(await service.invite(ann.id, "csat", "web"));
    expect(await service.answerFromText(ann.id, "hello 5")).toBeNull();
    expect((await service.answerFromText(ann.id, " 9 "))?.status).toBe("out_of_range");
    const result = recorded((await service.answerFromText(ann.id, "４！"))!);
    expect(result.invitation.id).toBe(invitation.id);
    expect(result.response.score).toBe(4);
    expect(await service.answerFromText(ann.id, "4")).toBeNull();
  });

  it.each([
    ["csat", 1, true],
    ["csat", 2, true],
    ["csat", 3, false],
    ["csat", 4, false],
    ["nps", 0, true],
    ["nps", 6, true],
    ["nps", 7, false],
    ["nps", 10, false],
  ] as const)("%s %i %s a feedback case", async (kind, score, opens) => {
    const { service, seen } = setup();
    const ann = await customer();
    const { invitation } = invited(await service.invite(ann.id, kind, "slack", "order 77"));
    const result = recorded(await service.answer(invitation.id, ann.id, score));
    const cases = await casesOf(ann.id);
    expect(cases).toHaveLength(opens ? 1 : 0);
    expect(result.caseId).toBe(cases[0]?.id ?? null);
    if (opens) {
      expect(cases[0]).toMatchObject({ source: "survey", status: "open", surveyResponseId: result.response.id });
      expect(cases[0]?.summary).toContain(`${kind.toUpperCase()} ${score}/${kind === "csat" ? 5 : 10} on slack (order 77)`);
      expect(seen["feedback.case_opened"]).toEqual([{ caseId: cases[0]?.id, customerId: ann.id, source: "survey", at: cases[0]?.openedAt }]);
    } else {
      expect(seen["feedback.case_opened"]).toBeUndefined();
    }
  });

  it("adds a low score's reason to its case instead of opening a second one", async () => {
    const { service, seen } = setup();
    const ann = await customer();
    const { invitation } = invited(await service.invite(ann.id, "csat", "telegram"));
    const answered = recorded(await service.answer(invitation.id, ann.id, 1));
    const reason = await service.takeReason(ann.id, "It arrived broken and support was rude. I want a refund!");
    expect(reason).toMatchObject({ status: "recorded", caseId: answered.caseId, caseOpened: false });
    if (reason?.status === "recorded") {
      expect(reason.complaintWords).toEqual(expect.arrayContaining(["broken", "rude", "refund"]));
      expect(reason.reply).toMatch(/look into it/);
    }
    const cases = await casesOf(ann.id);
    expect(cases).toHaveLength(1);
    expect(cases[0]?.source).toBe("survey");
    expect(cases[0]?.summary).toContain('reason: "It arrived broken and support was rude. I want a refund!"');
    expect(cases[0]?.summary).toContain("complaint words:");
    expect(seen["feedback.case_opened"]).toHaveLength(1);

    // A low score with a harmless reason keeps its one case too, now with the reason.
    const second = invited(await service.invite(ann.id, "nps", "telegram")).invitation;
    const npsAnswer = recorded(await service.answer(second.id, ann.id, 5));
    await service.takeReason(ann.id, "too expensive for me");
    const npsCase = await db().prisma.feedbackCase.findMany({ where: { surveyResponseId: npsAnswer.response.id } });
    expect(npsCase).toHaveLength(1);
    expect(npsCase[0]?.summary).toContain('reason: "too expensive for me"');
    expect(npsCase[0]?.summary).not.toContain("complaint words");
  });

  it.each([
    ["The box arrived BROKEN, I want a Refund", true],
    ["质量太差了，我要投诉", true],
    ["申请退款", true],
    ["东西坏了😡", true],
    ["给差评", true],
    ["我要refund!!", true],
    ["ＲＥＦＵＮＤ please", true],
    ["This is my formal complaint 🙃", true],
    ["it doesn't work at all", true],
    ["Love it 😍👍 非常满意", false],
    ["breakfast was lovely, refundable ticket too", false],
    ["服务很好，下次再来 🎉", false],
    ["fine", false],
  ])("a good score with reason %j %s a complaint case", async (text, opens) => {
    const { service, seen } = setup();
    const ann = await customer();
    const { invitation } = invited(await service.invite(ann.id, "csat", "discord"));
    const { response } = recorded(await service.answer(invitation.id, ann.id, 5));
    const result = await service.addReason(response.id, text);
    expect(result?.status).toBe("recorded");
    const cases = await casesOf(ann.id);
    expect(cases).toHaveLength(opens ? 1 : 0);
    if (result?.status === "recorded") {
      expect(result.caseOpened).toBe(opens);
      expect(result.caseId).toBe(cases[0]?.id ?? null);
    }
    if (opens) {
      expect(cases[0]).toMatchObject({ source: "complaint", surveyResponseId: response.id });
      expect(cases[0]?.summary).toContain(`CSAT 5/5 on discord — reason: "${text}"`);
      expect(seen["feedback.case_opened"]?.[0]).toMatchObject({ caseId: cases[0]?.id, source: "complaint" });
    }
    expect((await db().prisma.surveyResponse.findUniqueOrThrow({ where: { id: response.id } })).reason).toBe(text);
  });

  it("reports a failing completion hook without losing the answer", async () => {
    const { service, errors } = setup({
      onCompleted: () => {
        throw new Error("loyalty is down");
      },
    });
    const ann = await customer();
    const { invitation } = invited(await service.invite(ann.id, "csat", "telegram"));
    recorded(await service.answer(invitation.id, ann.id, 4));
    expect(await responsesOf(invitation.id)).toHaveLength(1);
    expect(errors.map(([what, error]) => [what, (error as Error).message])).toEqual([["survey.on_completed", "loyalty is down"]]);
  });
});
