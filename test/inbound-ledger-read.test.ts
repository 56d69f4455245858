import { expect, it } from "vitest";
import { LoyaltyRepository } from "../src/db/repositories/loyalty-repository.ts";
import { describeEachDatabase } from "./support/databases.ts";
import { createEngineHarness, only, uniqueUser } from "./support/engine-harness.ts";

describeEachDatabase("the inbound read brings the ledger along for a points or rewards question", (db) => {
  it("gives exactly the entries the ledger read gives: kinds, nulls, expiry and microsecond timestamps", async () => {
    const h = await createEngineHarness(db());
    const user = uniqueUser("ledger-read");
    await h.say(user, "hi");
    const customer = await h.requireCustomer(user);
    await h.services.loyalty.awardBonus({ customerId: customer.id, points: 40, reason: "survey", idempotencyKey: `ledger-read:${customer.id}` });
    await h.services.loyalty.adjust({ customerId: customer.id, points: -5, reason: "correction" });
    // Written by the database's own clock (microseconds) and with an expiry, as an import might.
    await h.db.prisma.$executeRaw`INSERT INTO "LoyaltyLedgerEntry" ("id", "customerId", "kind", "points", "expiresAt")
      VALUES (gen_random_uuid(), ${customer.id}::uuid, 'earn', 12, now() + interval '400 days')`;
    const identity = { platform: "telegram" as const, platformUserId: user, address: `telegram:chat:${user}` };
    const withLedger = await h.services.interactions.lookupInbound(identity, undefined, h.clock.now(), { ledger: true });
    const expected = await new LoyaltyRepository(h.db.prisma).entries(customer.id);
    expect(expected).toHaveLength(3);
    expect(withLedger?.ledger).toEqual(expected);
    const without = await h.services.interactions.lookupInbound(identity, undefined, h.clock.now());
    expect(without?.ledger).toBeUndefined();
    expect(without?.customer).toEqual(withLedger?.customer);
    expect(only(await h.say(user, "points")).text).toMatch(/^You have 47 points\./);
    expect(only(await h.say(user, "rewards")).text).toMatch(/47/);
  });
});
