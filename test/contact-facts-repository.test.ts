import { expect, it } from "vitest";
import type { Platform, Prisma, PrismaClient } from "../src/db/generated/client.ts";
import { ContactFactsRepository } from "../src/db/repositories/contact-facts-repository.ts";
import { TendError } from "../src/errors.ts";
import { contactGate } from "../src/outreach/contact-gate.ts";
import { decide } from "../src/outreach/contact-policy.ts";
import type { ContactPolicySettings } from "../src/outreach/contact-policy-settings.ts";
import type { OutreachTopic } from "../src/outreach/topics.ts";
import { describeEachDatabase } from "./support/databases.ts";

const NOW = new Date("2026-06-10T12:00:00.000Z");
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const settings: ContactPolicySettings = { defaultQuietHours: null, poorRatingPauseDays: 14 };
let seq = 0;
const tag = () => `facts-${++seq}-${Math.random().toString(36).slice(2, 8)}`;

async function newCustomer(prisma: PrismaClient, data: Prisma.CustomerCreateInput = {}) {
  const t = tag();
  const customer = await prisma.customer.create({ data: { displayName: t, ...data } });
  for (const platform of ["telegram", "discord"] as const) {
    await prisma.channelIdentity.create({ data: { customerId: customer.id, platform, platformUserId: `${platform}-${t}`, address: `${platform}:${t}` } });
  }
  return customer;
}

interface OutboxRow {
  topic: OutreachTopic;
  status: Prisma.OutboxMessageCreateManyInput["status"];
  sentAt?: Date;
  platform?: Platform;
}

async function outbox(prisma: PrismaClient, customerId: string, rows: OutboxRow[]) {
  await prisma.outboxMessage.createMany({
    data: rows.map((row) => ({
      customerId,
      kind: row.topic,
      topic: row.topic,
      payload: { text: "hello" },
      dedupeKey: `${row.topic}:${tag()}`,
      status: row.status,
      notBefore: row.sentAt ?? NOW,
      sentAt: row.sentAt ?? null,
      sentPlatform: row.sentAt ? (row.platform ?? "telegram") : null,
    })),
  });
}

async function rating(prisma: PrismaClient, customerId: string, kind: "csat" | "nps", score: number, respondedAt: Date) {
  const invitation = await prisma.surveyInvitation.create({
    data: { customerId, kind, platform: "telegram", status: "answered", sentAt: new Date(respondedAt.getTime() - HOUR), expiresAt: new Date(respondedAt.getTime() + DAY) },
  });
  await prisma.surveyResponse.create({ data: { invitationId: invitation.id, customerId, score, respondedAt } });
}

describeEachDatabase("contact facts repository", (db) => {
  const facts = () => new ContactFactsRepository(db().prisma);

  it("reads the customer's own settings as the policy needs them", async () => {
    const prisma = db().prisma;
    const paused = new Date("2026-06-20T08:30:00.123Z");
    const handed = new Date("2026-06-09T07:00:00.456Z");
    const customer = await newCustomer(prisma, {
      timeZone: "Europe/Berlin",
      quietHoursStart: 22 * 60,
      quietHoursEnd: 7 * 60,
      maxCareMessagesPerWeek: 3,
      careConsent: false,
      marketingConsent: true,
      surveyConsent: false,
      handedOverAt: handed,
      outreachPausedUntil: paused,
    });
    expect(await facts().factsFor(customer.id, NOW)).toEqual({
      now: NOW,
      customer: {
        timeZone: "Europe/Berlin",
        quietHoursStart: 22 * 60,
        quietHoursEnd: 7 * 60,
        maxCareMessagesPerWeek: 3,
        careConsent: false,
        marketingConsent: true,
        surveyConsent: false,
        handedOverAt: handed,
        erasedAt: null,
        outreachPausedUntil: paused,
      },
      hasOpenCase: false,
      lastPoorRatingAt: null,
      recentOutreachAt: [],
    });
  });

  it("counts care, marketing and survey messages sent in the last 7 days on every channel, and nothing else", async () => {
    const prisma = db().prisma;
    const customer = await newCustomer(prisma, { marketingConsent: true, maxCareMessagesPerWeek: 2 });
    const telegramCare = ago(1 * DAY);
    const discordSurvey = ago(3 * DAY);
    const slackMarketing = ago(7 * DAY - 1);
    await outbox(prisma, customer.id, [
      { topic: "care", status: "sent", sentAt: telegramCare, platform: "telegram" },
      { topic: "survey", status: "sent", sentAt: discordSurvey, platform: "discord" },
      { topic: "marketing", status: "sent", sentAt: slackMarketing, platform: "slack" },
      // Not in the budget: older than 7 days, later than now, other topics, not sent.
      { topic: "care", status: "sent", sentAt: ago(7 * DAY) },
      { topic: "care", status: "sent", sentAt: new Date(NOW.getTime() + HOUR) },
      { topic: "case_followup", status: "sent", sentAt: ago(2 * HOUR) },
      { topic: "staff", status: "sent", sentAt: ago(2 * HOUR) },
      { topic: "transactional", status: "sent", sentAt: ago(2 * HOUR) },
      { topic: "care", status: "pending" },
      { topic: "care", status: "skipped" },
      { topic: "care", status: "dead" },
      { topic: "care", status: "control" },
    ]);
    const read = await facts().factsFor(customer.id, NOW);
    expect(read.recentOutreachAt).toEqual([slackMarketing, discordSurvey, telegramCare]);
    // Three channels, one budget: with a cap of 2 and three in the window, a slot opens when the
    // two oldest have left it, i.e. 7 days after the survey went out on Discord.
    expect(decide("care", read, settings)).toEqual({ action: "defer", until: new Date(discordSurvey.getTime() + 7 * DAY), reason: "weekly_cap" });
    expect(decide("case_followup", read, settings)).toEqual({ action: "send" });
  });

  it("sees an open feedback case, not a closed one", async () => {
    const prisma = db().prisma;
    const closedOnly = await newCustomer(prisma);
    await prisma.feedbackCase.create({ data: { customerId: closedOnly.id, source: "complaint", summary: "late", status: "closed", closedAt: ago(DAY) } });
    const open = await newCustomer(prisma);
    await prisma.feedbackCase.create({ data: { customerId: open.id, source: "complaint", summary: "late", status: "closed", closedAt: ago(DAY) } });
    await prisma.feedbackCase.create({ data: { customerId: open.id, source: "complaint", summary: "broken" } });
    expect((await facts().factsFor(closedOnly.id, NOW)).hasOpenCase).toBe(false);
    const read = await facts().factsFor(open.id, NOW);
    expect(read.hasOpenCase).toBe(true);
    expect(decide("care", read, settings)).toEqual({ action: "skip", reason: "open_case" });
    expect(decide("case_followup", read, settings)).toEqual({ action: "send" });
  });

  it("takes the latest poor rating: CSAT 1-2 and NPS 0-6 are poor, CSAT 3 and NPS 7 are not", async () => {
    const prisma = db().prisma;
    const customer = await newCustomer(prisma);
    await rating(prisma, customer.id, "csat", 2, ago(10 * DAY));
    await rating(prisma, customer.id, "nps", 6, ago(5 * DAY));
    await rating(prisma, customer.id, "csat", 3, ago(2 * DAY));
    await rating(prisma, customer.id, "nps", 7, ago(1 * DAY));
    // Answered after `now`: not known yet at that moment.
    await rating(prisma, customer.id, "csat", 1, new Date(NOW.getTime() + HOUR));
    const read = await facts().factsFor(customer.id, NOW);
    expect(read.lastPoorRatingAt).toEqual(ago(5 * DAY));
    expect(decide("care", read, settings)).toEqual({ action: "defer", until: new Date(NOW.getTime() + 9 * DAY), reason: "poor_rating" });

    const satisfied = await newCustomer(prisma);
    await rating(prisma, satisfied.id, "csat", 3, ago(DAY));
    await rating(prisma, satisfied.id, "nps", 7, ago(DAY));
    expect((await facts().factsFor(satisfied.id, NOW)).lastPoorRatingAt).toBeNull();
  });

  it("reads many customers in one call, each with only their own rows; unknown ids are left out", async () => {
    const prisma = db().prisma;
    const a = await newCustomer(prisma);
    const b = await newCustomer(prisma, { erasedAt: ago(DAY) });
    await outbox(prisma, a.id, [{ topic: "care", status: "sent", sentAt: ago(HOUR) }]);
    await prisma.feedbackCase.create({ data: { customerId: b.id, source: "staff", summary: "call back" } });
    const unknown = "00000000-0000-4000-8000-000000000000";
    const many = await facts().factsForMany([a.id, b.id, a.id, unknown, "not-a-uuid", b.id.toUpperCase()], NOW);
    expect([...many.keys()].sort()).toEqual([a.id, b.id].sort());
    expect(many.get(a.id)).toMatchObject({ hasOpenCase: false, recentOutreachAt: [ago(HOUR)] });
    expect(many.get(b.id)).toMatchObject({ hasOpenCase: true, recentOutreachAt: [] });
    expect(many.get(b.id)?.customer.erasedAt).toEqual(ago(DAY));
    expect((await facts().factsForMany([], NOW)).size).toBe(0);
  });

  it("the gate the dispatcher calls reads the facts afresh for each message: an opt-out after planning counts", async () => {
    const prisma = db().prisma;
    const customer = await newCustomer(prisma);
    const gate = contactGate(facts(), settings);
    expect(await gate("care", customer.id, NOW)).toEqual({ action: "send" });
    await prisma.customer.update({ where: { id: customer.id }, data: { careConsent: false } });
    expect(await gate("care", customer.id, NOW)).toEqual({ action: "skip", reason: "no_consent:care" });
    await prisma.customer.update({ where: { id: customer.id }, data: { erasedAt: NOW } });
    expect(await gate("case_followup", customer.id, NOW)).toEqual({ action: "skip", reason: "erased" });
  });

  it("factsFor names a customer that does not exist", async () => {
    for (const id of ["00000000-0000-4000-8000-000000000000", "nobody"]) {
      const error = await facts().factsFor(id, NOW).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TendError);
      expect(error).toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
      expect((error as Error).message).toContain(id);
    }
  });
});
