import { beforeEach, expect, it } from "vitest";
import { ManualClock } from "../src/core/clock.ts";
import { EventBus } from "../src/core/events.ts";
import type { PrismaClient } from "../src/db/generated/client.ts";
import { CustomerRepository } from "../src/db/repositories/customer-repository.ts";
import { InteractionRepository } from "../src/db/repositories/interaction-repository.ts";
import { CODE_ALPHABET, randomCode } from "../src/linking/code.ts";
import { LinkService } from "../src/linking/link-service.ts";
import { describeEachDatabase } from "./support/databases.ts";
import { seedCustomer } from "./support/seed-customer.ts";


const BASE = new Date("2026-03-01T08:00:00Z");
const MINUTE = 60_000;
let seq = 0;
const uniqueTag = (name: string) => `${name}${++seq}${Math.random().toString(36).slice(2, 6)}`;

describeEachDatabase("linking channels", (db) => {
  let clock: ManualClock;
  let service: LinkService;
  const stranger = async (platform: "telegram" | "discord" | "slack" | "web" = "discord") =>
    (await new CustomerRepository(db().prisma).resolveIdentity({ platform, platformUserId: uniqueTag("u"), address: "addr" }, clock.now())).customer;

  beforeEach(() => {
    clock = new ManualClock("2026-03-02T09:30:00Z");
    service = new LinkService(db().prisma, clock);
  });

  it("issues a short unambiguous code, one active code per customer", async () => {
    const issuer = await stranger("telegram");
    const first = await service.issueLinkCode(issuer.id);
    expect(first.code).toHaveLength(6);
    for (const char of first.code) expect(CODE_ALPHABET).toContain(char);
    expect(CODE_ALPHABET).not.toMatch(/[0O1I]/);
    expect(first.expiresAt.getTime() - clock.now().getTime()).toBe(10 * MINUTE);

    const second = await service.issueLinkCode(issuer.id);
    expect(await db().prisma.linkCode.findMany({ where: { customerId: issuer.id } })).toEqual([
      expect.objectContaining({ code: second.code }),
    ]);
    if (first.code !== second.code) expect(await service.redeemLinkCode(first.code, (await stranger()).id)).toEqual({ kind: "unknown" });

    const short = new LinkService(db().prisma, clock, { codeTtlMinutes: 2 });
    expect((await short.issueLinkCode(issuer.id)).expiresAt.getTime() - clock.now().getTime()).toBe(2 * MINUTE);
    await expect(service.issueLinkCode("00000000-0000-4000-8000-000000000000")).rejects.toMatchObject({ code: "CUSTOMER_NOT_FOUND" });
  });

  it("accepts the code in any case and with spaces, once", async () => {
    const issuer = await stranger("telegram");
    const redeemer = await stranger("discord");
    const { code } = await service.issueLinkCode(issuer.id);
    const typed = `  ${code.slice(0, 3).toLowerCase()} ${code.slice(3).toLowerCase()}\n`;
    const result = await service.redeemLinkCode(typed, redeemer.id);
    expect(result.kind).toBe("linked");
    if (result.kind !== "linked") return;
    expect(result.customer.id).toBe(issuer.id);
    expect(result.mergedCustomerId).toBe(redeemer.id);
    expect(result.moved.identities).toBe(1);
    expect(await db().prisma.customer.findUnique({ where: { id: redeemer.id } })).toBeNull();
    const platforms = (await new CustomerRepository(db().prisma).identities(issuer.id)).map((i) => i.platform).sort();
    expect(platforms).toEqual(["discord", "telegram"]);
    // Used up.
    expect(await service.redeemLinkCode(code, (await stranger()).id)).toEqual({ kind: "unknown" });
  });

  it("says so when the code is the customer's own, expired or unknown", async () => {
    const issuer = await stranger("telegram");
    const redeemer = await stranger("discord");
    const { code } = await service.issueLinkCode(issuer.id);
    expect(await service.redeemLinkCode(code, issuer.id)).toEqual({ kind: "same-customer" });
    // Still valid for the other channel afterwards.
    expect(await db().prisma.linkCode.count({ where: { code } })).toBe(1);

    const wrong = code.startsWith("A") ? `B${code.slice(1)}` : `A${code.slice(1)}`;
    expect(await service.redeemLinkCode(wrong, redeemer.id)).toEqual({ kind: "unknown" });
    expect(await service.redeemLinkCode("hello there", redeemer.id)).toEqual({ kind: "unknown" });

    clock.advance(10 * MINUTE - 1);
    const { code: fresh } = await service.issueLinkCode(issuer.id);
    clock.advance(10 * MINUTE);
    expect(await service.redeemLinkCode(fresh, redeemer.id)).toEqual({ kind: "expired" });
    // An expired code is removed when found; asking again it is simply unknown.
    expect(await service.redeemLinkCode(fresh, redeemer.id)).toEqual({ kind: "unknown" });
    expect(await db().prisma.customer.count({ where: { id: { in: [issuer.id, redeemer.id] } } })).toBe(2);
  });

  it("refuses further attempts after five wrong codes within ten minutes", async () => {
    const issuer = await stranger("telegram");
    const guesser = await stranger("discord");
    const { code } = await service.issueLinkCode(issuer.id);
    const wrongCodes = Array.from({ length: 5 }, () => {
      let guess = randomCode();
      while (guess === code) guess = randomCode();
      return guess;
    });
    const firstWrongAt = clock.now();
    for (const guess of wrongCodes) {
      expect(await service.redeemLinkCode(guess, guesser.id)).toEqual({ kind: "unknown" });
      clock.advance(MINUTE);
    }
    const limited = await service.redeemLinkCode(code, guesser.id);
    expect(limited).toEqual({ kind: "rate_limited", retryAt: new Date(firstWrongAt.getTime() + 10 * MINUTE) });
    // Another customer is not affected.
    expect(await service.redeemLinkCode(wrongCodes[0] ?? "", (await stranger()).id)).toEqual({ kind: "unknown" });
    expect(await db().prisma.linkCode.count({ where: { code } })).toBe(1);

    clock.set(new Date(firstWrongAt.getTime() + 10 * MINUTE - 1));
    expect((await service.redeemLinkCode(code, guesser.id)).kind).toBe("rate_limited");
    clock.set(new Date(firstWrongAt.getTime() + 10 * MINUTE));
    const { code: again } = await service.issueLinkCode(issuer.id);
    expect((await service.redeemLinkCode(again, guesser.id)).kind).toBe("linked");
  });

  it("merges two customers with data everywhere into one, timelines interleaved in time order", async () => {
    const prisma = db().prisma;
    const targetTag = uniqueTag("tgt");
    const sourceTag = uniqueTag("src");
    // The issuer has no email, a default time zone and has said no to surveys; the redeemer said no to care.
    const target = await seedCustomer(prisma, targetTag, BASE, {
      email: null,
      timeZone: "UTC",
      externalId: null,
      surveyConsent: false,
      surveyConsentAt: new Date("2026-02-01T00:00:00Z"),
      careConsentAt: new Date("2026-01-01T00:00:00Z"),
    });
    const source = await seedCustomer(prisma, sourceTag, new Date(BASE.getTime() + MINUTE / 2), {
      displayName: "Other name",
      careConsent: false,
      careConsentAt: new Date("2026-02-15T00:00:00Z"),
      maxCareMessagesPerWeek: 1,
    });
    const targetBefore = await counts(prisma, target.id);
    const sourceBefore = await counts(prisma, source.id);
    const merged: string[] = [];
    const bus = new EventBus();
    bus.on("customer.merged", (e) => void merged.push(`${e.sourceId}->${e.targetId}`));
    service = new LinkService(prisma, clock, {}, bus);

    const { code } = await service.issueLinkCode(target.id);
    const result = await service.redeemLinkCode(code, source.id, { platform: "slack" });
    expect(result.kind).toBe("linked");
    if (result.kind !== "linked") return;
    expect(merged).toEqual([`${source.id}->${target.id}`]);
    expect(await prisma.customer.findUnique({ where: { id: source.id } })).toBeNull();

    const after = await counts(prisma, target.id);
    expect(after).toEqual({
      identities: targetBefore.identities + sourceBefore.identities,
      interactions: targetBefore.interactions + sourceBefore.interactions + 1,
      orders: 2,
      ledgerEntries: 4,
      surveyInvitations: 2,
      surveyResponses: 2,
      feedbackCases: 4,
      outboxMessages: 6,
      // Both histories, plus the merge turning care off for the issuer.
      consentChanges: targetBefore.consentChanges + sourceBefore.consentChanges + 1,
      pendingActions: 2,
      linkCodes: 0, // issuing replaced the seeded code, redeeming used it up, the source's went with it
      balance: 14,
    });
    expect(result.moved).toMatchObject({ identities: 1, interactions: 2, orders: 1, ledgerEntries: 2, feedbackCases: 2, outboxMessages: 3 });

    const timeline = await new InteractionRepository(prisma).timeline(target.id, { limit: 100 });
    const oldestFirst = [...timeline].reverse();
    expect(oldestFirst.map((i) => i.text ?? `<${(i.metadata as { event?: string } | null)?.event}>`)).toEqual([
      `hello from ${targetTag} 你好`,
      `hello from ${sourceTag} 你好`,
      `reply to ${targetTag}`,
      `reply to ${sourceTag}`,
      "<linked>",
    ]);
    expect(oldestFirst.at(-1)).toMatchObject({ kind: "system", platform: "slack", metadata: { event: "linked", mergedCustomerId: source.id } });

    const customer = await prisma.customer.findUniqueOrThrow({ where: { id: target.id } });
    expect(customer).toMatchObject({
      displayName: `Name ${targetTag}`, // the issuer keeps their own
      email: `${sourceTag}@example.com`, // taken where the issuer had none
      timeZone: "Asia/Shanghai",
      externalId: `crm-${sourceTag}`,
      maxCareMessagesPerWeek: 1,
      careConsent: false,
      surveyConsent: false,
      marketingConsent: false,
    });
    expect(customer.tags.sort()).toEqual(["tag-" + sourceTag, "tag-" + targetTag, "vip"].sort());
    expect(customer.careConsentAt?.toISOString()).toBe("2026-02-15T00:00:00.000Z");
    expect(customer.surveyConsentAt?.toISOString()).toBe("2026-02-01T00:00:00.000Z");
    expect(customer.createdAt.toISOString()).toBe(BASE.toISOString());
    const mergeConsent = await prisma.consentChange.findMany({ where: { customerId: target.id, source: "link:merge" } });
    expect(mergeConsent.map((c) => [c.topic, c.granted])).toEqual([["care", false]]);
  });

  it("links once when one code is redeemed twice at the same time", async () => {
    const prisma = db().prisma;
    const issuer = await stranger("telegram");
    const first = await stranger("discord");
    const second = await stranger("slack");
    const { code } = await service.issueLinkCode(issuer.id);
    const results = await Promise.all([service.redeemLinkCode(code, first.id), service.redeemLinkCode(code, second.id)]);
    expect(results.map((r) => r.kind).sort()).toEqual(["linked", "unknown"]);
    expect(await prisma.channelIdentity.count({ where: { customerId: issuer.id } })).toBe(2);
    expect(await prisma.customer.count({ where: { id: { in: [first.id, second.id] } } })).toBe(1);

    // The same person double-tapping: one link, and the second attempt finds nothing to do.
    const { code: next } = await service.issueLinkCode(issuer.id);
    const third = await stranger("web");
    const twice = await Promise.all([service.redeemLinkCode(next, third.id), service.redeemLinkCode(next, third.id)]);
    expect(twice.map((r) => r.kind).sort()).toEqual(["linked", "unknown"]);
    expect(await prisma.channelIdentity.count({ where: { customerId: issuer.id } })).toBe(3);
  });
});

async function counts(prisma: PrismaClient, customerId: string) {
  const where = { customerId };
  const ledger = await prisma.loyaltyLedgerEntry.findMany({ where });
  return {
    identities: await prisma.channelIdentity.count({ where }),
    interactions: await prisma.interaction.count({ where }),
    orders: await prisma.order.count({ where }),
    ledgerEntries: ledger.length,
    surveyInvitations: await prisma.surveyInvitation.count({ where }),
    surveyResponses: await prisma.surveyResponse.count({ where }),
    feedbackCases: await prisma.feedbackCase.count({ where }),
    outboxMessages: await prisma.outboxMessage.count({ where }),
    consentChanges: await prisma.consentChange.count({ where }),
    pendingActions: await prisma.pendingAction.count({ where }),
    linkCodes: await prisma.linkCode.count({ where }),
    balance: ledger.reduce((sum, e) => sum + e.points, 0),
  };
}
