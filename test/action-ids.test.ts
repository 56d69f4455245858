import { describe, expect, it } from "vitest";
import { type Action, MENU_ITEMS, actionId, parseAction } from "../src/core/action-ids.ts";
import { readInteractionMetadata } from "../src/core/interaction-metadata.ts";
import { InteractionRepository } from "../src/db/repositories/interaction-repository.ts";
import { describeEachDatabase } from "./support/databases.ts";
import { createEngineHarness, uniqueUser } from "./support/engine-harness.ts";

const INVITATION = "123e4567-e89b-12d3-a456-426614174000";

describe("action ids: one module builds and parses every button id", () => {
  it("parses back every action it builds", () => {
    const actions: Action[] = [
      ...MENU_ITEMS.map((item) => ({ kind: "menu", item }) as const),
      { kind: "reward", code: "coffee" },
      { kind: "reward", code: "" },
      { kind: "confirm", confirmationId: INVITATION },
      { kind: "cancel", confirmationId: INVITATION },
      { kind: "survey", invitationId: INVITATION, score: 0 },
      { kind: "survey", invitationId: INVITATION, score: 10 },
    ];
    for (const action of actions) expect(parseAction(actionId(action)), actionId(action)).toEqual(action);
    expect(actionId({ kind: "menu", item: "points" })).toBe("menu:points");
    expect(actionId({ kind: "survey", invitationId: INVITATION, score: 10 })).toBe(`survey:${INVITATION}:10`);
  });

  it("refuses ids that are none of Tend's", () => {
    for (const id of ["", "menu", "menu:", "menu:bogus", ":", "nonsense:1", "survey:garbage", `survey:${INVITATION}:100`, `survey:${INVITATION}:3:x`, "~abc"]) {
      expect(parseAction(id), id).toBeNull();
    }
  });
});

describeEachDatabase("interaction metadata: one typed shape, checked on write and read", (db) => {
  it("refuses metadata of the wrong shape before anything is written, and reads malformed rows as empty", async () => {
    const h = await createEngineHarness(db());
    const user = uniqueUser("metadata");
    await h.say(user, "hello");
    const customer = await h.requireCustomer(user);
    const interactions = new InteractionRepository(db().prisma);
    const before = await db().prisma.interaction.count({ where: { customerId: customer.id } });
    await expect(
      interactions.record({ customerId: customer.id, platform: "telegram", direction: "out", kind: "message", text: "x", metadata: { inReplyTo: 42 } as never }),
    ).rejects.toThrow(/inReplyTo/);
    await expect(
      interactions.record({ customerId: customer.id, platform: "telegram", direction: "out", kind: "message", text: "x", metadata: { choices: [{ id: "menu:points" }] } as never }),
    ).rejects.toThrow(/label/);
    expect(await db().prisma.interaction.count({ where: { customerId: customer.id } })).toBe(before);

    expect(readInteractionMetadata(null)).toEqual({});
    expect(readInteractionMetadata({ proactive: "yes" })).toEqual({});
    expect(readInteractionMetadata({ event: "linked", mergedCustomerId: "c1" })).toEqual({ event: "linked", mergedCustomerId: "c1" });
    const rows = await h.rowsOf();
    expect(readInteractionMetadata(rows.replies[0]?.metadata).inReplyTo).toBe(`telegram:${h.exchanges[0]?.messageId}`);
  });
});
