import { describe, expect, it } from "vitest";
import { ManualClock } from "../src/core/clock.ts";
import { describeEachDatabase } from "./support/databases.ts";
import { Engine } from "../src/engine/engine.ts";
import { alice, bob, logger, staffRig, telegramCustomer, transient } from "./support/staff-side.ts";

const T0 = "2026-06-01T09:00:00.000Z";

describeEachDatabase("staff alerts through the outbox", (db) => {
  const prisma = () => db().prisma;

  it("writes a poor score's alert with its case, keeps it while no staff app runs, and posts it once one does (retrying a Slack outage)", async () => {
    const clock = new ManualClock(T0);
    const rig = staffRig(db(), clock);
    const c = await telegramCustomer(db(), clock);
    const invitation = await prisma().surveyInvitation.create({ data: { customerId: c.id, kind: "nps", platform: "telegram", expiresAt: new Date("2026-06-05T00:00:00Z") } });
    const response = await prisma().surveyResponse.create({ data: { invitationId: invitation.id, customerId: c.id, score: 3 } });
    const opened = await rig.services.feedback.open(c.id, "survey", "NPS 3/10", { surveyResponseId: response.id });

    const alert = await prisma().staffAlert.findUniqueOrThrow({ where: { caseId: opened.id } });
    expect(alert).toMatchObject({ customerId: c.id, reason: "nps_low", slackTs: null, claimedById: null });
    const row = await prisma().outboxMessage.findUniqueOrThrow({ where: { dedupeKey: `staff_alert:${alert.id}` } });
    expect(row).toMatchObject({ audience: "staff", kind: "staff_alert", topic: "staff", status: "pending" });

    // An instance without the staff app does not take staff rows: they wait, none lost.
    await rig.dispatch({ staffUp: false });
    expect((await prisma().outboxMessage.findUniqueOrThrow({ where: { id: row.id } })).status).toBe("pending");

    // Slack down: retried later, not lost; the customer hears nothing of it.
    rig.notifier.down = transient();
    await rig.dispatch();
    const retried = await prisma().outboxMessage.findUniqueOrThrow({ where: { id: row.id } });
    expect(retried).toMatchObject({ status: "pending", attempts: 1, lastError: "slack: Slack is down" });

    rig.notifier.down = undefined;
    clock.advance(5 * 60_000);
    await rig.dispatch();
    expect(rig.notifier.posted).toHaveLength(1);
    expect(rig.notifier.posted[0]!.alert).toMatchObject({ alertId: alert.id, reason: "nps_low", summary: "NPS 3/10", caseOpen: true, claimedBy: null });
    expect(await prisma().outboxMessage.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({ status: "sent" });
    expect(await prisma().staffAlert.findUniqueOrThrow({ where: { id: alert.id } })).toMatchObject({ slackChannel: "C0STAFF01", slackTs: rig.notifier.posted[0]!.ts });
    expect(rig.telegram.sends).toEqual([]);
    expect(await prisma().interaction.count({ where: { customerId: c.id, direction: "out" } })).toBe(0);
  });

  it("writes nothing when the case's transaction fails, and no alert for a case staff opened themselves", async () => {
    const clock = new ManualClock(T0);
    const rig = staffRig(db(), clock);
    const c = await telegramCustomer(db(), clock);
    await rig.services.feedback.open(c.id, "staff", "opened by staff");
    expect(await prisma().staffAlert.count({ where: { customerId: c.id } })).toBe(0);
    rig.services.feedback.onCaseOpened(async (tx, opened, options) => {
      await rig.side.alerts.caseOpened(tx, opened, options);
      throw new Error("crash after the alert was written");
    });
    await expect(rig.services.feedback.open(c.id, "complaint", "broken")).rejects.toThrow(/crash/);
    expect(await prisma().feedbackCase.count({ where: { customerId: c.id, source: "complaint" } })).toBe(0);
    expect(await prisma().staffAlert.count({ where: { customerId: c.id } })).toBe(0);
    expect(await prisma().outboxMessage.count({ where: { customerId: c.id, audience: "staff" } })).toBe(0);
  });

  it("lets one of two people claiming at once win, tells the other who has it, and audits both", async () => {
    const clock = new ManualClock(T0);
    const rig = staffRig(db(), clock);
    const c = await telegramCustomer(db(), clock);
    const opened = await rig.services.feedback.open(c.id, "complaint", "the parcel arrived broken");
    const alert = await prisma().staffAlert.findUniqueOrThrow({ where: { caseId: opened.id } });
    await rig.dispatch();

    const [first, second] = await Promise.all([rig.side.alerts.claim(alert.id, alice), rig.side.alerts.claim(alert.id, bob)]);
    const results = [first, second];
    const winners = results.filter((r) => r.status === "claimed");
    const losers = results.filter((r) => r.status === "already_claimed");
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(1);
    const stored = await prisma().staffAlert.findUniqueOrThrow({ where: { id: alert.id } });
    expect(losers[0]).toMatchObject({ by: { id: stored.claimedById, name: stored.claimedByName } });
    expect((await rig.services.feedback.get(opened.id))?.assignee).toBe(stored.claimedByName);

    const audit = await rig.services.staff.auditLog({ customerId: c.id, action: "case.claim" });
    expect(audit.map((a) => a.outcome).sort()).toEqual(["ok", "refused"]);
    // The message shows who claimed it.
    await rig.dispatch();
    expect(rig.notifier.updates.at(-1)?.alert.claimedBy).toEqual({ id: stored.claimedById, name: stored.claimedByName });
  });

  it("resolves by closing the case: the customer's follow-up goes to their own channel, a second Resolve changes nothing", async () => {
    const clock = new ManualClock(T0);
    const rig = staffRig(db(), clock);
    const c = await telegramCustomer(db(), clock);
    const opened = await rig.services.feedback.open(c.id, "survey", "CSAT 1/5");
    const alert = await prisma().staffAlert.findUniqueOrThrow({ where: { caseId: opened.id } });
    expect(alert.reason).toBe("csat_low");
    await rig.dispatch();
    await rig.side.alerts.claim(alert.id, alice);

    const resolved = await rig.side.alerts.resolve(alert.id, alice, "We sent a replacement today.");
    expect(resolved).toMatchObject({ status: "resolved", followUpQueued: true });
    expect(await rig.side.alerts.resolve(alert.id, bob, "again")).toMatchObject({ status: "already_resolved", by: { name: "Alice" } });
    await rig.dispatch();
    expect(rig.telegram.sends).toEqual([{ address: c.address, text: expect.stringContaining("We sent a replacement today.") }]);
    expect(await rig.services.feedback.get(opened.id)).toMatchObject({ status: "closed", closedBy: "Alice", resolution: "We sent a replacement today." });
    expect(rig.notifier.updates.at(-1)?.alert).toMatchObject({ resolvedBy: { name: "Alice" }, caseOpen: false, resolution: "We sent a replacement today." });
    const audit = await rig.services.staff.auditLog({ customerId: c.id, action: "case.close" });
    expect(audit.map((a) => [a.actorName, a.outcome])).toEqual(expect.arrayContaining([["Alice", "ok"], ["Bob", "refused"]]));
  });

  it("alerts on a high-value customer's unrecognised message once while the case is open", async () => {
    const clock = new ManualClock(T0);
    const rig = staffRig(db(), clock, { TEND_STAFF_HIGH_VALUE_TIERS: "Bronze" });
    const c = await telegramCustomer(db(), clock);
    expect(await rig.side.alerts.unrecognised(c.id, "do you ship to Macau?")).toBe(true);
    expect(await rig.side.alerts.unrecognised(c.id, "hello??")).toBe(false);
    const alerts = await prisma().staffAlert.findMany({ where: { customerId: c.id } });
    expect(alerts.map((a) => a.reason)).toEqual(["high_value"]);

    const ordinary = staffRig(db(), clock);
    const d = await telegramCustomer(db(), clock);
    expect(await ordinary.side.alerts.unrecognised(d.id, "do you ship to Macau?")).toBe(false);
  });

  it("through the engine: a high-value customer's unrecognised message alerts staff; once handed over, their words go to the thread", async () => {
    const clock = new ManualClock(T0);
    const rig = staffRig(db(), clock, { TEND_STAFF_HIGH_VALUE_TIERS: "Bronze" });
    const engine = new Engine({ services: rig.services, logger, clock, staff: rig.side.engineHooks });
    const say = (text: string, id: string) =>
      engine.handleInbound({ platform: "web", platformUserId: "visitor-high-value-01", address: "visitor-high-value-01", platformMessageId: id, text, receivedAt: clock.now(), raw: null });
    await say("zorblax quux?", "hv-1");
    const customer = (await rig.services.customers.findByIdentity("web", "visitor-high-value-01"))!;
    expect((await prisma().staffAlert.findMany({ where: { customerId: customer.id } })).map((a) => a.reason)).toEqual(["high_value"]);
    expect((await rig.services.feedback.listByCustomer(customer.id))[0]?.summary).toMatch(/zorblax quux\?/);

    await say("agent", "hv-2");
    expect(await say("still there?", "hv-3")).toEqual([]);
    await rig.dispatch();
    const thread = await prisma().staffAlert.findFirstOrThrow({ where: { customerId: customer.id, reason: "handover" } });
    expect(rig.notifier.threadPosts.filter((p) => p.thread.ts === thread.slackTs).map((p) => p.text)).toEqual([expect.stringMatching(/: still there\?$/)]);
  });
});

describe("staff alert settings", () => {
  it("default to the top tier and the champions segment", async () => {
    const { staffAlertSettingsFromConfig } = await import("../src/staff/takeover-setup.ts");
    const { loadConfig } = await import("../src/config/env.ts");
    expect(staffAlertSettingsFromConfig(loadConfig({})).highValue).toEqual({ tiers: ["Platinum"], segments: ["champions"] });
    expect(staffAlertSettingsFromConfig(loadConfig({ TEND_STAFF_HIGH_VALUE_TIERS: "none", TEND_STAFF_HIGH_VALUE_SEGMENTS: "none" })).highValue).toEqual({ tiers: [], segments: [] });
    expect(staffAlertSettingsFromConfig(loadConfig({})).internalPrefix).toBe("//");
  });
});
