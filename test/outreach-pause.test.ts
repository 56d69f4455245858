import { describe, expect, it } from "vitest";
import type { Customer } from "../src/db/generated/client.ts";
import { ContactFactsRepository } from "../src/db/repositories/contact-facts-repository.ts";
import { CustomerRepository } from "../src/db/repositories/customer-repository.ts";
import { TendError } from "../src/errors.ts";
import { mergeProfiles } from "../src/linking/merge-profile.ts";
import { decide } from "../src/outreach/contact-policy.ts";
import { describeEachDatabase } from "./support/databases.ts";

const NOW = new Date("2026-06-10T12:00:00.000Z");
const UNTIL = new Date("2026-06-24T00:00:00.000Z");
const settings = { defaultQuietHours: null, poorRatingPauseDays: 14 };

describeEachDatabase("staff pause a customer's outreach", (db) => {
  const customers = () => new CustomerRepository(db().prisma);

  it("holds care, marketing and surveys until the date, and the timeline says who paused it", async () => {
    const prisma = db().prisma;
    const customer = await prisma.customer.create({ data: { displayName: "Paused", marketingConsent: true } });
    await prisma.channelIdentity.create({ data: { customerId: customer.id, platform: "discord", platformUserId: `d-${customer.id}`, address: "d" } });

    const paused = await customers().pauseOutreach(customer.id, UNTIL, "  mei@shop  ", NOW);
    expect(paused?.outreachPausedUntil).toEqual(UNTIL);
    const facts = await new ContactFactsRepository(prisma).factsFor(customer.id, NOW);
    for (const topic of ["care", "marketing", "survey"] as const) {
      expect(decide(topic, facts, settings), topic).toEqual({ action: "defer", until: UNTIL, reason: "paused_by_staff" });
    }
    expect(decide("case_followup", facts, settings)).toEqual({ action: "send" });

    const events = await prisma.interaction.findMany({ where: { customerId: customer.id, kind: "system" } });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ platform: "discord", direction: "in", text: null, occurredAt: NOW, metadata: { event: "outreach_paused", until: UNTIL.toISOString(), by: "mei@shop" } });
  });

  it("lifts the pause with null", async () => {
    const prisma = db().prisma;
    const customer = await prisma.customer.create({ data: { displayName: "Resumed" } });
    await customers().pauseOutreach(customer.id, UNTIL, "mei", NOW);
    const later = new Date(NOW.getTime() + 60_000);
    const resumed = await customers().pauseOutreach(customer.id, null, "li", later);
    expect(resumed?.outreachPausedUntil).toBeNull();
    expect(decide("care", await new ContactFactsRepository(prisma).factsFor(customer.id, later), settings)).toEqual({ action: "send" });
    const events = await prisma.interaction.findMany({ where: { customerId: customer.id, kind: "system" }, orderBy: { occurredAt: "asc" } });
    // No identity yet: the event still lands on the timeline, under the web chat.
    expect(events.map((e) => [e.platform, e.metadata])).toEqual([
      ["web", { event: "outreach_paused", until: UNTIL.toISOString(), by: "mei" }],
      ["web", { event: "outreach_resumed", by: "li" }],
    ]);
  });

  it("refuses a pause that ends now or earlier, or without who asked, and changes nothing", async () => {
    const prisma = db().prisma;
    const customer = await prisma.customer.create({ data: { displayName: "Refused" } });
    for (const [until, by] of [[NOW, "mei"], [new Date(NOW.getTime() - 1), "mei"], [new Date("nonsense"), "mei"], [UNTIL, "  "]] as const) {
      const error = await customers().pauseOutreach(customer.id, until, by, NOW).catch((e: unknown) => e);
      expect(error, `${String(until)} ${by}`).toBeInstanceOf(TendError);
      expect(error).toMatchObject({ code: "OUTREACH_PAUSE_INVALID" });
    }
    expect((await prisma.customer.findUnique({ where: { id: customer.id } }))?.outreachPausedUntil).toBeNull();
    expect(await prisma.interaction.count({ where: { customerId: customer.id } })).toBe(0);
  });

  it("answers null for a customer that does not exist", async () => {
    expect(await customers().pauseOutreach("00000000-0000-4000-8000-000000000000", UNTIL, "mei", NOW)).toBeNull();
    expect(await customers().pauseOutreach("crm-42", UNTIL, "mei", NOW)).toBeNull();
  });
});

describe("a pause survives linking two channels", () => {
  const base = { outreachPausedUntil: null } as unknown as Customer;
  const paused = (until: string | null) => ({ ...base, outreachPausedUntil: until ? new Date(until) : null, tags: [], createdAt: NOW }) as Customer;

  it("keeps the later of the two pauses", () => {
    expect(mergeProfiles(paused(null), paused("2026-07-01T00:00:00Z"), NOW).patch.outreachPausedUntil).toEqual(new Date("2026-07-01T00:00:00Z"));
    expect(mergeProfiles(paused("2026-06-20T00:00:00Z"), paused("2026-07-01T00:00:00Z"), NOW).patch.outreachPausedUntil).toEqual(new Date("2026-07-01T00:00:00Z"));
    expect(mergeProfiles(paused("2026-07-01T00:00:00Z"), paused("2026-06-20T00:00:00Z"), NOW).patch).not.toHaveProperty("outreachPausedUntil");
    expect(mergeProfiles(paused("2026-07-01T00:00:00Z"), paused(null), NOW).patch).not.toHaveProperty("outreachPausedUntil");
  });
});
