import { expect, it } from "vitest";
import { refreshAnalytics } from "../src/analytics/refresh.ts";
import { ManualClock } from "../src/core/clock.ts";
import { PrivacyService } from "../src/privacy/privacy-service.ts";
import { describeEachDatabase } from "./support/databases.ts";

describeEachDatabase("export of analytics scores", (db) => {
  it("includes what the analytics concluded about the customer, and why", async () => {
    const prisma = db().prisma;
    const clock = new ManualClock("2026-11-01T00:00:00Z");
    const customer = await prisma.customer.create({ data: { displayName: "Scored" } });
    const privacy = new PrivacyService(prisma, clock);
    expect((await privacy.exportCustomerData(customer.id)).document.scores).toBeNull();

    await prisma.order.create({
      data: { customerId: customer.id, externalId: `o-${customer.id}`, amount: "42.50", currency: "CNY", placedAt: new Date("2026-10-01T00:00:00Z") },
    });
    const run = await refreshAnalytics({ prisma, clock });
    expect(run.status).toBe("done");
    const { scores } = (await privacy.exportCustomerData(customer.id)).document;
    expect(scores).toMatchObject({ historicClv: "42.50", lifecycleStage: expect.any(String), relationshipLevel: "basic" });
    expect(scores?.explanation).toBeTruthy();
  });
});
