import { expect, it } from "vitest";
import { describeEachDatabase } from "./support/databases.ts";
import { createEngineHarness, only, uniqueUser } from "./support/engine-harness.ts";

/** STOP stops every message the customer did not ask for; START gives back only what they had agreed to. */
describeEachDatabase("STOP and START cover surveys", (db) => {
  it("STOP (and 退订) stops staff survey invitations; START brings them back", async () => {
    const h = await createEngineHarness(db());
    for (const [stop, start] of [
      ["STOP", "START"],
      ["退订", "订阅"],
    ] as const) {
      const user = uniqueUser("stop-surveys");
      await h.say(user, "hi");
      const customer = await h.requireCustomer(user);
      await h.say(user, stop);
      expect(await h.requireCustomer(user)).toMatchObject({ careConsent: false, marketingConsent: false, surveyConsent: false });
      const sentBefore = h.sent.length;
      expect(await h.engine.inviteToSurvey(customer.id, "csat")).toMatchObject({ status: "refused", reason: "no_consent" });
      expect(await h.engine.inviteToSurvey(customer.id, "nps")).toMatchObject({ status: "refused", reason: "no_consent" });
      await h.dispatch();
      expect(h.sent.length).toBe(sentBefore);

      await h.say(user, start);
      expect(await h.requireCustomer(user)).toMatchObject({ careConsent: true, marketingConsent: false, surveyConsent: true });
      expect(await h.engine.inviteToSurvey(customer.id, "csat")).toMatchObject({ status: "invited" });
      await h.dispatch();
      expect(h.sent.length).toBe(sentBefore + 1);
    }
  });

  it("START restores only the topics STOP took, never one the customer had turned off", async () => {
    const h = await createEngineHarness(db());
    const user = uniqueUser("start-restores");
    await h.say(user, "hi");
    const customer = await h.requireCustomer(user);
    // Surveys off on their own (the profile, staff), marketing agreed to.
    await h.services.customers.setConsent(customer.id, "surveys", false, "api", h.clock.now());
    await h.services.customers.setConsent(customer.id, "marketing", true, "api", h.clock.now());
    expect(only(await h.say(user, "STOP")).text).toBe(
      "You will get no more messages you did not ask for (care, offers, surveys). Send START to resume at any time.",
    );
    expect(await h.requireCustomer(user)).toMatchObject({ careConsent: false, marketingConsent: false, surveyConsent: false });
    await h.say(user, "START");
    expect(await h.requireCustomer(user)).toMatchObject({ careConsent: true, marketingConsent: true, surveyConsent: false });
    // Each topic can still be set on its own afterwards.
    await h.services.customers.setConsent(customer.id, "surveys", true, "api", h.clock.now());
    expect((await h.requireCustomer(user)).surveyConsent).toBe(true);
  });
});
