import { expect, it } from "vitest";
import { ManualClock } from "../src/core/clock.ts";
import { FeedbackService } from "../src/feedback/feedback-service.ts";
import { describeEachDatabase } from "./support/databases.ts";

/** Claiming a case without a staff alert (the dashboard's board) is one conditional update: of several staff at once, one wins. */
describeEachDatabase("feedback case claim", (db) => {
  const service = () => new FeedbackService({ prisma: db().prisma, clock: new ManualClock("2026-12-02T08:00:00Z") });

  it("of staff claiming the same case at once exactly one wins, and the others learn who", async () => {
    const customer = await db().prisma.customer.create({ data: {} });
    for (let round = 0; round < 3; round++) {
      const opened = await service().open(customer.id, "staff", `claim race ${round}`);
      const names = ["mei", "jun", "ana", "bo", "cy", "di"];
      // Separate service instances, as two dashboard requests would be.
      const results = await Promise.all(names.map((name) => service().claim(opened.id, name)));
      const winners = results.filter((r) => r.status === "claimed");
      expect(winners).toHaveLength(1);
      const winner = winners[0]!.status === "claimed" ? winners[0]!.case.assignee : null;
      expect(names).toContain(winner);
      for (const r of results.filter((r) => r.status !== "claimed")) expect(r).toMatchObject({ status: "claimed_by_other", case: { assignee: winner } });
      expect((await db().prisma.feedbackCase.findUniqueOrThrow({ where: { id: opened.id } })).assignee).toBe(winner);
      expect(await service().claim(opened.id, winner!)).toMatchObject({ status: "already_yours" });
      await service().close(opened.id, "done", winner!);
    }
  });

  it("a closed case, an unknown one and a blank name are refused; an unassigned case can be claimed again", async () => {
    const customer = await db().prisma.customer.create({ data: {} });
    const opened = await service().open(customer.id, "staff", "claim rules");
    expect(await service().claim(opened.id, " mei ")).toMatchObject({ status: "claimed", case: { assignee: "mei" } });
    await service().assign(opened.id, null);
    expect(await service().claim(opened.id, "jun")).toMatchObject({ status: "claimed", case: { assignee: "jun" } });
    await expect(service().claim(opened.id, "  ")).rejects.toMatchObject({ code: "FEEDBACK_CLAIMER_REQUIRED" });
    await service().close(opened.id, "done", "jun");
    expect(await service().claim(opened.id, "ana")).toMatchObject({ status: "closed", case: { assignee: "jun", status: "closed" } });
    expect(await service().claim("00000000-0000-4000-8000-000000000000", "ana")).toEqual({ status: "not_found" });
    expect(await service().claim("not-a-uuid", "ana")).toEqual({ status: "not_found" });
  });
});
