import { expect, it } from "vitest";
import type { Customer } from "../src/db/generated/client.ts";
import { mergeProfiles } from "../src/linking/merge-profile.ts";

const at = new Date("2027-03-01T00:00:00Z");
const customer = (fields: Partial<Customer>): Customer =>
  ({
    displayName: null, email: null, phone: null, birthday: null, lunarBirthMonth: null, lunarBirthDay: null, externalId: null,
    timeZone: "UTC", locale: "en", quietHoursStart: null, quietHoursEnd: null, tags: [], handedOverAt: null, outreachPausedUntil: null,
    careConsent: true, careConsentAt: null, marketingConsent: false, marketingConsentAt: null, surveyConsent: true, surveyConsentAt: null,
    createdAt: at, ...fields,
  }) as Customer;

it("a merge carries the lunar birthday over as a pair when the survivor has none, and keeps the survivor's own", () => {
  expect(mergeProfiles(customer({}), customer({ lunarBirthMonth: 8, lunarBirthDay: 15 }), at).patch).toMatchObject({ lunarBirthMonth: 8, lunarBirthDay: 15 });
  const kept = mergeProfiles(customer({ lunarBirthMonth: 1, lunarBirthDay: 1 }), customer({ lunarBirthMonth: 8, lunarBirthDay: 15 }), at).patch;
  expect(kept).not.toHaveProperty("lunarBirthMonth");
  expect(kept).not.toHaveProperty("lunarBirthDay");
});
