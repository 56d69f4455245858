import { expect, it } from "vitest";
import { readInteractionMetadata } from "../src/core/interaction-metadata.ts";
import { enqueue } from "../src/db/repositories/outbox-repository.ts";
import { describeEachDatabase } from "./support/databases.ts";
import { createEngineHarness, uniqueUser } from "./support/engine-harness.ts";

/** What the engine sends on its own is queued, and only the dispatcher delivers it. */
describeEachDatabase("engine outreach through the outbox", (db) => {
  it("notify only queues: nothing is sent or on the timeline until the dispatcher delivered it", async () => {
    const h = await createEngineHarness(db());
    const user = uniqueUser("notify-queues");
    await h.say(user, "hi");
    const customer = await h.requireCustomer(user);
    const before = h.sent.length;
    const timelineBefore = (await h.timeline(customer.id)).length;

    await h.engine.notify(customer.id, { text: "Your parcel is on its way." });
    expect(h.sent.length).toBe(before);
    expect(await h.timeline(customer.id)).toHaveLength(timelineBefore);
    const [row] = await db().prisma.outboxMessage.findMany({ where: { customerId: customer.id } });
    expect(row).toMatchObject({ status: "pending", topic: "staff", kind: "staff_message", platform: null });

    await h.dispatch();
    expect(h.sent.slice(before)).toEqual([{ platform: "telegram", address: `telegram:chat:${user}`, message: { text: "Your parcel is on its way." } }]);
    const last = (await h.timeline(customer.id)).find((i) => i.direction === "out" && i.text === "Your parcel is on its way.")!;
    expect(last).toMatchObject({ direction: "out", text: "Your parcel is on its way.", platformMessageId: `sent-${h.sent.length}` });
    expect(readInteractionMetadata(last.metadata)).toMatchObject({ proactive: true, outboxId: row!.id });
  });

  it("a staff survey invitation and its message are written together, and the invitation goes out as a survey", async () => {
    const h = await createEngineHarness(db());
    const user = uniqueUser("invite-queues");
    await h.say(user, "hi");
    const customer = await h.requireCustomer(user);
    const invited = await h.engine.inviteToSurvey(customer.id, "csat");
    expect(invited.status).toBe("invited");
    if (invited.status !== "invited") return;
    const row = await db().prisma.outboxMessage.findUniqueOrThrow({ where: { dedupeKey: `survey_invitation:${invited.invitation.id}` } });
    expect(row).toMatchObject({ topic: "survey", platform: "telegram", status: "pending" });
    expect((row.payload as { choices: unknown[] }).choices).toHaveLength(invited.choices.length);
    await h.dispatch();
    expect((await h.timeline(customer.id)).filter((i) => i.kind === "survey")).toEqual([expect.objectContaining({ direction: "out", text: invited.question })]);

    // A failure after the invitation was written leaves neither.
    const other = uniqueUser("invite-rolls-back");
    await h.say(other, "hi");
    const second = await h.requireCustomer(other);
    await expect(
      h.services.surveys.invite(second.id, "csat", "telegram", "staff", async (tx, result) => {
        await enqueue(tx, [{ customerId: second.id, topic: "survey", kind: "survey_invitation", message: { text: result.question }, dedupeKey: `rolled:${second.id}`, notBefore: h.clock.now() }]);
        throw new Error("lost the database after writing both");
      }),
    ).rejects.toThrow(/lost the database/);
    expect(await db().prisma.surveyInvitation.count({ where: { customerId: second.id } })).toBe(0);
    expect(await db().prisma.outboxMessage.count({ where: { customerId: second.id } })).toBe(0);
  });
});
