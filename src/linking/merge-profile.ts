import type { ConsentTopic, Customer, Prisma } from "../db/generated/client.ts";

/** The schema's default time zone: a target still on it has never told us theirs. */
export const DEFAULT_TIME_ZONE = "UTC";

export interface ConsentChangeDraft {
  topic: ConsentTopic;
  granted: boolean;
  changedAt: Date;
}

export interface ProfileMerge {
  patch: Prisma.CustomerUpdateInput;
  /** Consents of the target that the merge turned off, for the consent history. */
  consentChanges: ConsentChangeDraft[];
}

const consentFields = [
  ["care", "careConsent", "careConsentAt"],
  ["marketing", "marketingConsent", "marketingConsentAt"],
  ["surveys", "surveyConsent", "surveyConsentAt"],
] as const;

/**
 * What the surviving customer (`target`) takes from the one merged into it (`source`): fields
 * the target lacks, the union of tags, and for consents the stricter answer: a "no" on either
 * channel stays a "no", stamped with the newer of the two times. The target's own values win
 * everywhere else, since the target is the customer who issued the code.
 */
export function mergeProfiles(target: Customer, source: Customer, at: Date): ProfileMerge {
  const patch: Prisma.CustomerUpdateInput = {};
  if (target.displayName === null && source.displayName !== null) patch.displayName = source.displayName;
  if (target.email === null && source.email !== null) patch.email = source.email;
  if (target.phone === null && source.phone !== null) patch.phone = source.phone;
  if (target.birthday === null && source.birthday !== null) patch.birthday = source.birthday;
  // A lunar birthday moves as a pair (month and day), never half of it.
  if (target.lunarBirthMonth === null && source.lunarBirthMonth !== null) {
    patch.lunarBirthMonth = source.lunarBirthMonth;
    patch.lunarBirthDay = source.lunarBirthDay;
  }
  // Keeps the shop's id reachable: imports and the API find the customer by it.
  if (target.externalId === null && source.externalId !== null) patch.externalId = source.externalId;
  if (target.timeZone === DEFAULT_TIME_ZONE && source.timeZone !== DEFAULT_TIME_ZONE) patch.timeZone = source.timeZone;
  if (target.quietHoursStart === null && target.quietHoursEnd === null && source.quietHoursStart !== null && source.quietHoursEnd !== null) {
    patch.quietHoursStart = source.quietHoursStart;
    patch.quietHoursEnd = source.quietHoursEnd;
  }
  // Like consents, the lower allowance is the one the person asked for most recently somewhere.
  if (source.maxCareMessagesPerWeek < target.maxCareMessagesPerWeek) patch.maxCareMessagesPerWeek = source.maxCareMessagesPerWeek;
  const tags = [...new Set([...target.tags, ...source.tags])];
  if (tags.length !== target.tags.length) patch.tags = tags;
  if (target.handedOverAt === null && source.handedOverAt !== null) patch.handedOverAt = source.handedOverAt;
  // A staff pause on either holds for the person: the later end wins.
  if (source.outreachPausedUntil !== null && (target.outreachPausedUntil === null || source.outreachPausedUntil > target.outreachPausedUntil)) {
    patch.outreachPausedUntil = source.outreachPausedUntil;
  }
  if (source.createdAt < target.createdAt) patch.createdAt = source.createdAt;

  const consentChanges: ConsentChangeDraft[] = [];
  for (const [topic, flag, stamp] of consentFields) {
    const granted = target[flag] && source[flag];
    const newest = newer(target[stamp], source[stamp]);
    if (granted !== target[flag]) {
      patch[flag] = granted;
      consentChanges.push({ topic, granted, changedAt: at });
    }
    if (newest?.getTime() !== target[stamp]?.getTime()) patch[stamp] = newest;
  }
  return { patch, consentChanges };
}

function newer(a: Date | null, b: Date | null): Date | null {
  if (a === null) return b;
  if (b === null) return a;
  return a >= b ? a : b;
}
