import { expect, it } from "vitest";
import type { InboundMessage } from "../src/core/channel.ts";
import { describeEachDatabase } from "./support/databases.ts";
import { createEngineHarness, only, uniqueUser } from "./support/engine-harness.ts";

describeEachDatabase("recording what became of a message's replies", (db) => {
  it("records the platform's ids in one statement, and falls back row by row when a platform reuses an id", async () => {
    const h = await createEngineHarness(db());
    const user = uniqueUser("delivery");
    const message = (id: string, text: string): InboundMessage => ({
      platform: "telegram",
      platformUserId: user,
      address: `telegram:chat:${user}`,
      platformMessageId: id,
      text,
      receivedAt: h.clock.now(),
      raw: null,
    });
    const first = message(`${user}-1`, "hi");
    const [reply] = await h.engine.handleInbound(first);
    await h.engine.recordReplyDelivery(first, [{ reply: reply!, sent: true, platformMessageId: `${user}-out-1` }]);
    const customer = await h.requireCustomer(user);
    const sent = await h.services.interactions.repliesTo(customer.id, `telegram:${user}-1`);
    expect(sent.map((r) => r.platformMessageId)).toEqual([`${user}-out-1`]);

    // The platform numbered the reply like the inbound message (one sequence per chat): the
    // one-statement update hits the unique index; the reply is kept, without that id.
    const second = message(`${user}-2`, "hi");
    const [again] = await h.engine.handleInbound(second);
    await h.engine.recordReplyDelivery(second, [{ reply: again!, sent: true, platformMessageId: `${user}-2` }]);
    const kept = await h.services.interactions.repliesTo(customer.id, `telegram:${user}-2`);
    expect(kept.map((r) => r.platformMessageId)).toEqual([null]);

    // A failed send is marked as such; and the database is as usable as before.
    const third = message(`${user}-3`, "points");
    const [points] = await h.engine.handleInbound(third);
    await h.engine.recordReplyDelivery(third, [{ reply: points!, sent: false, error: "blocked by the user" }]);
    const failed = await h.services.interactions.repliesTo(customer.id, `telegram:${user}-3`);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.metadata).toMatchObject({ delivery: "failed", deliveryError: "blocked by the user" });
    expect(only(await h.engine.handleInbound(message(`${user}-4`, "points"))).text).toMatch(/^You have 0 points/);
  });
});
