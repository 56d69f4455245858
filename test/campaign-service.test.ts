import { expect, it } from "vitest";
import type { ChannelAdapter, OutboundMessage, Platform, SendReceipt } from "../src/core/channel.ts";
import { ManualClock } from "../src/core/clock.ts";
import type { Prisma } from "../src/db/generated/client.ts";
import { CampaignRepository } from "../src/db/repositories/campaign-repository.ts";
import { ContactFactsRepository } from "../src/db/repositories/contact-facts-repository.ts";
import { LoyaltyRepository } from "../src/db/repositories/loyalty-repository.ts";
import { OutboxRepository } from "../src/db/repositories/outbox-repository.ts";
import { createLogger } from "../src/observability/logger.ts";
import { addMonths } from "../src/loyalty/dates.ts";
import { defaultLoyaltySettings } from "../src/loyalty/settings.ts";
import { tierFor } from "../src/loyalty/tiers.ts";
import { type CampaignSegment, segmentPage, segmentPages } from "../src/outreach/campaign-segment.ts";
import { CampaignService } from "../src/outreach/campaign-service.ts";
import type { Actor } from "../src/staff/actor.ts";
import { StaffService } from "../src/staff/staff-service.ts";
import { contactGate } from "../src/outreach/contact-gate.ts";
import type { ContactPolicySettings } from "../src/outreach/contact-policy.ts";
import { Dispatcher } from "../src/outreach/dispatcher.ts";
import { isControl } from "../src/outreach/planner-control.ts";
import { describeEachDatabase } from "./support/databases.ts";

// Noon in London, no quiet hours by default: the tests do not depend on the time of day.
const NOW = "2030-03-04T12:00:00.000Z";
const policy: ContactPolicySettings = { defaultQuietHours: null, poorRatingPauseDays: 14 };
const tierRules = defaultLoyaltySettings;
let seq = 0;
/** A staff member acting through the API. */
const as = (name: string) => ({ actor: { kind: "staff", id: `apikey:${name}`, name, via: "api" } satisfies Actor });
const unique = (prefix: string) => `${prefix}-${++seq}-${Math.random().toString(36).slice(2, 8)}`;

class FakeChannel implements ChannelAdapter {
  readonly sends: { address: string; text: string }[] = [];
  constructor(readonly platform: Platform) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async send(address: string, message: OutboundMessage): Promise<SendReceipt> {
    this.sends.push({ address, text: message.text });
    return { platformMessageId: `${this.platform}-${this.sends.length}-${Math.random()}` };
  }
}

describeEachDatabase("staff campaigns", (db) => {
  const prisma = () => db().prisma;

  function service(clock: ManualClock, options: { enabled?: boolean; control?: number; batchSize?: number } = {}) {
    return new CampaignService({
      db: db(),
      clock,
      tierRules,
      policy,
      plan: { enabled: options.enabled ?? true, control: options.control ?? 0 },
      batchSize: options.batchSize ?? 500,
      staff: new StaffService({ prisma: prisma(), clock }),
    });
  }

  /** A customer tagged `tag` (so each test sees only its own), with marketing consent and a Telegram identity unless told otherwise. */
  async function customer(tag: string, data: Partial<Prisma.CustomerCreateInput> = {}, identities: Platform[] = ["telegram"]) {
    const name = unique("c");
    const created = await prisma().customer.create({ data: { displayName: name, marketingConsent: true, tags: [tag], ...data, ...(data.tags ? { tags: [tag, ...(data.tags as string[])] } : {}) } });
    let minutes = 0;
    for (const platform of identities) {
      await prisma().channelIdentity.create({
        data: { customerId: created.id, platform, platformUserId: `${platform}-${name}`, address: `${platform}:${name}`, lastSeenAt: new Date(Date.parse(NOW) - ++minutes * 60_000) },
      });
    }
    return created;
  }

  async function score(customerId: string, lifecycleStage: "new" | "declining" | "mature", rfmSegment: string | null) {
    await prisma().customerScore.create({
      data: {
        customerId,
        computedAt: new Date(NOW),
        windowStart: new Date("2029-03-04T00:00:00Z"),
        windowMonths: 12,
        orderCount: 1,
        frequency: 1,
        monetary: 10,
        rfmSegment,
        lifecycleStage,
        relationshipLevel: "basic",
        historicClv: 10,
        explanation: {},
      },
    });
  }

  async function earned(customerId: string, points: number, at: string) {
    await prisma().loyaltyLedgerEntry.create({ data: { customerId, kind: "earn", points, createdAt: new Date(at) } });
  }

  const ids = async (segment: CampaignSegment, now = NOW) =>
    (await segmentPage(prisma(), { segment, tierRules, now: new Date(now) }, null, 1000)).map((m) => m.id).sort();

  const draft = (tag: string, extra: Record<string, unknown> = {}) => ({
    name: `campaign ${tag}`,
    message: { en: "Hi {name}, as a {tier} member: {reward}", "zh-CN": "{name}，{tier}会员专享：{reward}" },
    offer: { en: "20% off this week", "zh-CN": "本周八折" },
    segment: { tags: { any: [tag] } },
    by: "Mei",
    ...extra,
  });

  async function create(svc: CampaignService, body: Record<string, unknown>) {
    const parsed = svc.parseDraft(body);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    return svc.create(parsed.value, as("Mei"));
  }

  const campaignRows = (campaignId: string) =>
    prisma().outboxMessage.findMany({ where: { dedupeKey: { startsWith: `campaign:${campaignId}:` } }, orderBy: { dedupeKey: "asc" } });

  it("selects by tags (any, all), tier, lifecycle stage, RFM segment and channel, never erased customers", async () => {
    const tag = unique("seg");
    const vip = await customer(tag, { tags: ["vip", "early"] });
    const early = await customer(tag, { tags: ["early"] });
    const plain = await customer(tag, {}, ["discord", "telegram"]);
    const erased = await customer(tag, { tags: ["vip"], erasedAt: new Date("2030-01-01T00:00:00Z") });
    await score(vip.id, "declining", "at_risk");
    await score(early.id, "mature", "champions");
    // 600 points earned in the window: Silver. Plain's 3000 points are older than the 12-month window: Bronze.
    await earned(vip.id, 600, "2030-01-10T00:00:00Z");
    await earned(plain.id, 3000, "2028-01-10T00:00:00Z");
    await earned(early.id, 2500, "2029-06-01T00:00:00Z");

    const everyone = [vip.id, early.id, plain.id].sort();
    expect(await ids({ tags: { any: [tag] } })).toEqual(everyone);
    expect(await ids({ tags: { any: [tag] } })).not.toContain(erased.id);
    expect(await ids({ tags: { all: [tag, "vip"] } })).toEqual([vip.id]);
    expect(await ids({ tags: { all: [tag, "early"] } })).toEqual([vip.id, early.id].sort());
    expect(await ids({ tags: { any: ["vip", "nobody-has-this"], all: [tag] } })).toEqual([vip.id]);
    expect(await ids({ tags: { any: [tag] }, tiers: ["Silver"] })).toEqual([vip.id]);
    expect(await ids({ tags: { any: [tag] }, tiers: ["Bronze"] })).toEqual([plain.id]);
    expect(await ids({ tags: { any: [tag] }, tiers: ["Gold", "Platinum"] })).toEqual([early.id]);
    expect(await ids({ tags: { any: [tag] }, tiers: ["Bronze", "Silver"] })).toEqual([vip.id, plain.id].sort());
    expect(await ids({ tags: { any: [tag] }, lifecycleStages: ["declining"] })).toEqual([vip.id]);
    expect(await ids({ tags: { any: [tag] }, lifecycleStages: ["declining", "mature"] })).toEqual([vip.id, early.id].sort());
    expect(await ids({ tags: { any: [tag] }, rfmSegments: ["champions"] })).toEqual([early.id]);
    expect(await ids({ tags: { any: [tag] }, channels: ["discord"] })).toEqual([plain.id]);
    expect(await ids({ tags: { any: [tag] }, channels: ["slack"] })).toEqual([]);
    // Dimensions combine with AND.
    expect(await ids({ tags: { any: [tag] }, lifecycleStages: ["declining"], tiers: ["Gold"] })).toEqual([]);

    // The tier is the loyalty service's: the same progress (points earned in the window) through tierFor.
    const ledger = new LoyaltyRepository(prisma());
    const since = addMonths(new Date(NOW), -tierRules.tierWindowMonths);
    const members = await segmentPage(prisma(), { segment: { tags: { any: [tag] } }, tierRules, now: new Date(NOW), withTier: true }, null, 100);
    for (const member of members) {
      expect(member.tier, member.displayName ?? "").toBe(tierFor(tierRules.tiers, await ledger.pointsEarnedSince(member.id, since)).name);
    }
    // Spend-based tiers count the amount of orders placed in the window, as LoyaltyService does.
    const bySpend = { ...tierRules, tierBasis: "spend" as const };
    await prisma().order.create({ data: { customerId: plain.id, externalId: unique("o"), amount: 2500, currency: "CNY", placedAt: new Date("2029-12-01T00:00:00Z") } });
    await prisma().order.create({ data: { customerId: vip.id, externalId: unique("o"), amount: 900, currency: "CNY", placedAt: new Date("2028-12-01T00:00:00Z") } });
    const spendIds = async (tiers: string[]) => (await segmentPage(prisma(), { segment: { tags: { any: [tag] }, tiers }, tierRules: bySpend, now: new Date(NOW) }, null, 100)).map((m) => m.id).sort();
    expect(await spendIds(["Gold"])).toEqual([plain.id]);
    expect(await spendIds(["Bronze"])).toEqual([vip.id, early.id].sort());
    for (const member of await segmentPage(prisma(), { segment: { tags: { any: [tag] } }, tierRules: bySpend, now: new Date(NOW), withTier: true }, null, 100)) {
      expect(member.tier).toBe(tierFor(tierRules.tiers, (await ledger.spendSince(member.id, since))?.toNumber() ?? 0).name);
    }

    // The channel is the most recently active one (among the segment's channels when it names them).
    expect(members.find((m) => m.id === plain.id)?.channel).toBe("discord");
    const onTelegram = await segmentPage(prisma(), { segment: { tags: { any: [tag] }, channels: ["telegram"] }, tierRules, now: new Date(NOW) }, null, 100);
    expect(onTelegram.find((m) => m.id === plain.id)?.channel).toBe("telegram");
  });

  it("pages through the segment by id without holding it all: every member once, in order", async () => {
    const tag = unique("page");
    const made = [];
    for (let i = 0; i < 7; i++) made.push((await customer(tag)).id);
    const seen: string[] = [];
    const sizes: number[] = [];
    for await (const page of segmentPages(prisma(), { segment: { tags: { any: [tag] } }, tierRules, now: new Date(NOW) }, 3)) {
      sizes.push(page.length);
      seen.push(...page.map((m) => m.id));
    }
    expect(sizes).toEqual([3, 3, 1]);
    expect(seen).toEqual([...made].sort());
  });

  it("previews who gets what and counts what the contact policy would send, defer or skip, by reason; marketing consent is required", async () => {
    const clock = new ManualClock(NOW);
    const tag = unique("preview");
    const ok = await customer(tag, { displayName: "Ann" });
    const zh = await customer(tag, { displayName: null, locale: "zh-CN" });
    const noConsent = await customer(tag, { marketingConsent: false, careConsent: true });
    const complaint = await customer(tag);
    await prisma().feedbackCase.create({ data: { customerId: complaint.id, source: "complaint", summary: "late delivery" } });
    const paused = await customer(tag, { outreachPausedUntil: new Date("2030-03-10T00:00:00Z") });
    const handedOver = await customer(tag, { handedOverAt: new Date("2030-03-01T00:00:00Z") });
    const capZero = await customer(tag, { maxCareMessagesPerWeek: 0 });
    const capReached = await customer(tag, { maxCareMessagesPerWeek: 1 });
    await prisma().outboxMessage.create({
      data: { customerId: capReached.id, topic: "care", kind: "birthday", payload: { text: "x" }, dedupeKey: unique("sent"), status: "sent", sentAt: new Date("2030-03-02T12:00:00Z") },
    });
    // Quiet 10:00-14:00 in London: noon is inside, so it waits until 14:00.
    const quiet = await customer(tag, { timeZone: "Europe/London", quietHoursStart: 600, quietHoursEnd: 840 });
    const noChannel = await customer(tag, {}, []);
    await earned(ok.id, 700, "2030-02-01T00:00:00Z");

    const svc = service(clock);
    const campaign = await create(svc, draft(tag));
    const preview = (await svc.preview(campaign.id, 3))!;
    expect(preview.total).toBe(10);
    expect(preview.at).toBe(NOW);
    expect(preview.byReason).toEqual({
      "defer:paused_by_staff": 1,
      "defer:quiet_hours": 1,
      "defer:weekly_cap": 1,
      no_channel: 1,
      send: 2,
      "skip:handed_over": 1,
      "skip:no_consent:marketing": 1,
      "skip:open_case": 1,
      "skip:weekly_cap": 1,
    });
    expect(preview.counts).toEqual({ send: 2, defer: 3, skip: 4, control: 0, noChannel: 1 });
    expect(preview.reasons["skip:no_consent:marketing"]).toMatch(/not agreed to marketing/);
    expect(preview.recipients).toHaveLength(3);
    expect(preview.truncated).toBe(true);

    const all = (await svc.preview(campaign.id, 100))!;
    const byId = new Map(all.recipients.map((r) => [r.customerId, r]));
    expect(byId.get(ok.id)).toMatchObject({ channel: "telegram", tier: "Silver", text: "Hi Ann, as a Silver member: 20% off this week", verdict: { action: "send" } });
    expect(byId.get(zh.id)).toMatchObject({ text: "朋友，青铜会员专享：本周八折", verdict: { action: "send" } });
    expect(byId.get(noConsent.id)?.verdict).toEqual({ action: "skip", reason: "no_consent:marketing" });
    expect(byId.get(paused.id)?.verdict).toEqual({ action: "defer", until: "2030-03-10T00:00:00.000Z", reason: "paused_by_staff" });
    expect(byId.get(quiet.id)?.verdict).toEqual({ action: "defer", until: "2030-03-04T14:00:00.000Z", reason: "quiet_hours" });
    expect(byId.get(capReached.id)?.verdict).toEqual({ action: "defer", until: "2030-03-09T12:00:00.000Z", reason: "weekly_cap" });
    expect(byId.get(handedOver.id)?.verdict).toEqual({ action: "skip", reason: "handed_over" });
    expect(byId.get(capZero.id)?.verdict).toEqual({ action: "skip", reason: "weekly_cap" });
    expect(byId.get(noChannel.id)).toMatchObject({ channel: null, verdict: { action: "no_channel" } });
    expect(all.truncated).toBe(false);
    // A preview queues nothing.
    expect(await campaignRows(campaign.id)).toEqual([]);

    // Judged at the scheduled time when that is ahead: on the 11th the pause is over.
    const later = await create(svc, draft(tag, { scheduledAt: "2030-03-11T12:00:00Z" }));
    const atLater = (await svc.preview(later.id, 0))!;
    expect(atLater.at).toBe("2030-03-11T12:00:00.000Z");
    expect(atLater.byReason["defer:paused_by_staff"]).toBeUndefined();
    expect(atLater.byReason["defer:weekly_cap"]).toBeUndefined();
  });

  it("holds out the control share by the care plans' deterministic draw: the same customers in every preview and the send, recorded as control rows", async () => {
    const clock = new ManualClock(NOW);
    const tag = unique("control");
    for (let i = 0; i < 60; i++) await customer(tag);
    const svc = service(clock, { control: 0.25, batchSize: 16 });
    // No share given: the care plans file's plans.campaigns.control.
    const campaign = await create(svc, draft(tag));
    expect(campaign.controlShare).toBe(0.25);
    const first = (await svc.preview(campaign.id, 100))!;
    const second = (await svc.preview(campaign.id, 100))!;
    const held = (p: typeof first) => p.recipients.filter((r) => r.verdict.action === "control").map((r) => r.customerId);
    expect(held(first)).toEqual(held(second));
    const expected = first.recipients.map((r) => r.customerId).filter((id) => isControl(id, `campaign:${campaign.id}:${id}`, 0.25));
    expect(held(first).sort()).toEqual(expected.sort());
    expect(first.counts.control).toBe(expected.length);
    // A 25 % share of 60 holds out some and not all (the draw is a hash: 5 to 25 with near certainty).
    expect(expected.length).toBeGreaterThan(4);
    expect(expected.length).toBeLessThan(26);

    const sent = await svc.send(campaign.id, as("Mei"));
    expect(sent).toMatchObject({ status: "sent", queued: 60 - expected.length, control: expected.length, unreachable: 0 });
    const rows = await campaignRows(campaign.id);
    expect(rows.filter((r) => r.status === "control").map((r) => r.customerId).sort()).toEqual(expected.sort());
    expect(rows.filter((r) => r.status === "pending")).toHaveLength(60 - expected.length);
    expect(new Set(rows.map((r) => `${r.kind}/${r.topic}`))).toEqual(new Set(["campaign/marketing"]));

    // A campaign that sets its own share keeps it; another campaign draws afresh.
    const none = await create(svc, draft(tag, { controlShare: 0 }));
    expect(none.controlShare).toBe(0);
    expect((await svc.preview(none.id, 0))!.counts.control).toBe(0);
  });

  it("sends once: one outbox row per reachable recipient in batches, and sending again (or completing a cut-off send) queues nothing twice", async () => {
    const clock = new ManualClock(NOW);
    const tag = unique("idem");
    const members = [];
    for (let i = 0; i < 9; i++) members.push(await customer(tag));
    await customer(tag, {}, []);
    const svc = service(clock, { batchSize: 4 });
    const campaign = await create(svc, draft(tag));

    // A send cut off after its first rows: one row is already there.
    await prisma().outboxMessage.create({
      data: { customerId: members[0]!.id, topic: "marketing", kind: "campaign", payload: { text: "x" }, dedupeKey: `campaign:${campaign.id}:${members[0]!.id}`, notBefore: new Date(NOW) },
    });
    const first = await svc.send(campaign.id, as("Mei"));
    expect(first).toMatchObject({ status: "sent", queued: 8, control: 0, unreachable: 1 });
    if (first.status !== "sent") throw new Error("not sent");
    expect(first.campaign).toMatchObject({ status: "sent", sentBy: "Mei", sentAt: NOW, counts: { queued: 8, control: 0, unreachable: 1, cancelled: 0 } });
    const rows = await campaignRows(campaign.id);
    expect(rows).toHaveLength(9);
    expect(rows.every((r) => r.status === "pending" && r.notBefore.toISOString() === NOW && r.platform === null)).toBe(true);

    const again = await svc.send(campaign.id, as("Bo"));
    expect(again).toMatchObject({ status: "already_sent", queued: 0, campaign: { sentBy: "Mei" } });
    expect(await campaignRows(campaign.id)).toHaveLength(9);

    // A segment naming channels is sent on them.
    const onTelegram = await create(svc, draft(tag, { segment: { tags: { any: [tag] }, channels: ["telegram"] } }));
    await svc.send(onTelegram.id, as("Mei"));
    expect(new Set((await campaignRows(onTelegram.id)).map((r) => r.platform))).toEqual(new Set(["telegram"]));
  });

  it("two sends at once queue each recipient once and count them once; a batch after a cancel writes nothing", async () => {
    const clock = new ManualClock(NOW);
    const tag = unique("race");
    for (let i = 0; i < 12; i++) await customer(tag);
    const svc = service(clock, { batchSize: 3 });
    const campaign = await create(svc, draft(tag));
    const outcomes = await Promise.all([svc.send(campaign.id, as("Mei")), svc.send(campaign.id, as("Bo"))]);
    // On PostgreSQL the second finds the campaign's lock taken (busy) or the campaign sent; on PGlite both run, deduplicated.
    for (const outcome of outcomes) expect(["sent", "busy", "already_sent"]).toContain(outcome.status);
    expect(outcomes.some((outcome) => outcome.status === "sent")).toBe(true);
    expect(await campaignRows(campaign.id)).toHaveLength(12);
    expect((await svc.get(campaign.id))?.counts).toEqual({ queued: 12, control: 0, unreachable: 0, cancelled: 0 });

    const stopped = await create(svc, draft(tag));
    await svc.cancel(stopped.id, as("Lee"));
    const members = await prisma().customer.findMany({ where: { tags: { has: tag } }, take: 2 });
    const written = await new CampaignRepository(prisma()).writeBatch(
      stopped.id,
      members.map((m) => ({ customerId: m.id, platform: null, text: "x", control: false })),
      new Date(NOW),
    );
    expect(written).toEqual({ status: "cancelled" });
    expect(await campaignRows(stopped.id)).toEqual([]);
  });

  it("is off until the care plans file turns campaigns on", async () => {
    const clock = new ManualClock(NOW);
    const tag = unique("off");
    await customer(tag);
    const off = service(clock, { enabled: false });
    const campaign = await create(off, draft(tag));
    expect(await off.send(campaign.id, as("Mei"))).toEqual({ status: "disabled" });
    expect(await campaignRows(campaign.id)).toEqual([]);
    expect((await off.preview(campaign.id, 5))!.total).toBe(1);
    expect(await off.send("00000000-0000-4000-8000-000000000000", as("Mei"))).toEqual({ status: "not_found" });
  });

  it("is delivered by the dispatcher under the contact policy at the scheduled time: consenting customers get it, others are skipped with the reason, control rows never go", async () => {
    const clock = new ManualClock(NOW);
    const tag = unique("deliver");
    const yes = await customer(tag, { displayName: "Yan" });
    const no = await customer(tag, { marketingConsent: false });
    const telegram = new FakeChannel("telegram");
    const svc = service(clock);
    const campaign = await create(svc, draft(tag, { scheduledAt: "2030-03-04T15:00:00Z", segment: { tags: { any: [tag] } } }));
    expect(await svc.send(campaign.id, as("Mei"))).toMatchObject({ status: "sent", queued: 2 });

    const outbox = new OutboxRepository(prisma());
    const dispatcher = new Dispatcher({
      outbox,
      channels: { channel: (p) => (p === "telegram" ? telegram : undefined), runningPlatforms: () => ["telegram"] },
      clock,
      logger: createLogger("silent"),
      instanceId: unique("dispatcher"),
      gate: contactGate(new ContactFactsRepository(prisma()), policy),
    });
    const yesIdentity = await prisma().channelIdentity.findFirstOrThrow({ where: { customerId: yes.id } });
    // Before its time nothing goes (other tests' rows may be due: run until nothing is left).
    for (let round = 0; round < 20; round++) if ((await dispatcher.runOnce()) === 0) break;
    expect(telegram.sends.filter((s) => s.address === yesIdentity.address)).toEqual([]);
    clock.set("2030-03-04T15:00:01Z");
    for (let round = 0; round < 20; round++) if ((await dispatcher.runOnce()) === 0) break;
    expect(telegram.sends.filter((s) => s.address === yesIdentity.address)).toEqual([{ address: yesIdentity.address, text: "Hi Yan, as a Bronze member: 20% off this week" }]);
    const rows = new Map((await campaignRows(campaign.id)).map((r) => [r.customerId, r]));
    expect(rows.get(yes.id)).toMatchObject({ status: "sent", sentPlatform: "telegram" });
    expect(rows.get(no.id)).toMatchObject({ status: "skipped", lastError: "no_consent:marketing" });
    const timeline = await prisma().interaction.findMany({ where: { customerId: yes.id, direction: "out" } });
    expect(timeline.map((i) => i.text)).toEqual(["Hi Yan, as a Bronze member: 20% off this week"]);
    const shown = await svc.get(campaign.id);
    expect(shown?.delivery).toEqual({ sent: 1, "skipped:no_consent:marketing": 1 });

    // With a control group the held-out rows stay control after the dispatcher ran.
    const tag2 = unique("deliver-control");
    for (let i = 0; i < 12; i++) await customer(tag2);
    const withControl = await create(service(clock, { control: 0.5 }), draft(tag2));
    const result = await service(clock, { control: 0.5 }).send(withControl.id, as("Mei"));
    if (result.status !== "sent") throw new Error("not sent");
    for (let round = 0; round < 20; round++) if ((await dispatcher.runOnce()) === 0) break;
    const after = await campaignRows(withControl.id);
    expect(after.filter((r) => r.status === "control")).toHaveLength(result.control);
    expect(after.filter((r) => r.status === "sent")).toHaveLength(result.queued);
  });

  it("cancels: a draft is never sent, a sent campaign's queued rows are not delivered, and who did it is recorded", async () => {
    const clock = new ManualClock(NOW);
    const tag = unique("cancel");
    await customer(tag);
    await customer(tag);
    const svc = service(clock);
    const draftOnly = await create(svc, draft(tag));
    expect(await svc.cancel(draftOnly.id, as("Lee"))).toMatchObject({ status: "cancelled", stopped: 0, campaign: { status: "cancelled", cancelledBy: "Lee", cancelledAt: NOW } });
    expect(await svc.send(draftOnly.id, as("Mei"))).toMatchObject({ status: "cancelled" });
    expect(await campaignRows(draftOnly.id)).toEqual([]);

    const sent = await create(svc, draft(tag, { scheduledAt: "2030-03-05T09:00:00Z" }));
    await svc.send(sent.id, as("Mei"));
    const cancelled = await svc.cancel(sent.id, as("Lee"));
    expect(cancelled).toMatchObject({ status: "cancelled", stopped: 2, campaign: { counts: { queued: 2, cancelled: 2 } } });
    expect((await campaignRows(sent.id)).map((r) => [r.status, r.lastError])).toEqual([
      ["cancelled", "the campaign was cancelled"],
      ["cancelled", "the campaign was cancelled"],
    ]);
    expect(await svc.cancel(sent.id, as("Lee"))).toMatchObject({ status: "already_cancelled", stopped: 0 });

    // The staff audit log has each action with its actor, written with the change; a refused send too.
    const audit = await prisma().staffAuditEntry.findMany({ where: { target: sent.id }, orderBy: { action: "asc" } });
    expect(audit.map((a) => [a.action, a.actorName, a.actorId, a.outcome])).toEqual([
      ["campaign.cancel", "Lee", "apikey:Lee", "ok"],
      ["campaign.create", "Mei", "apikey:Mei", "ok"],
      ["campaign.send", "Mei", "apikey:Mei", "ok"],
    ]);
    expect(audit[0]!.detail).toEqual({ stopped: 2 });
    expect(audit[1]!.after).toMatchObject({ name: `campaign ${tag}`, audience: `tags any of ${tag}`, scheduledAt: "2030-03-05T09:00:00.000Z" });
    expect(audit[2]!.detail).toEqual({ queued: 2, control: 0, unreachable: 0 });
    const refused = await prisma().staffAuditEntry.findMany({ where: { target: draftOnly.id, action: "campaign.send" } });
    expect(refused.map((a) => [a.outcome, a.detail])).toEqual([["refused", { reason: "cancelled" }]]);
    expect(await svc.cancel("nope", as("Lee"))).toBeNull();
  });
});
