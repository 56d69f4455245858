import type { ConsentTopic, Customer, Interaction, Platform, Prisma, PrismaClient } from "../generated/client.ts";

/** Works on the client or inside the caller's transaction (a change written with its audit entry). */
type Db = PrismaClient | Prisma.TransactionClient;

const consentColumns = {
  care: ["careConsent", "careConsentAt"],
  marketing: ["marketingConsent", "marketingConsentAt"],
  surveys: ["surveyConsent", "surveyConsentAt"],
} as const satisfies Record<ConsentTopic, readonly [keyof Customer, keyof Customer]>;

/**
 * The customer writes the customer service makes (src/customers/customer-service.ts), each on the
 * transaction it is given so the change, its timeline row and its audit entry commit together.
 * Conditional where two people may act at once: the update's WHERE decides who wins.
 */

/** Takes the conversation for `actorId` unless someone else holds it. Returns the row, or null when not taken. */
export async function claimHandover(db: Db, customerId: string, holder: { actorId: string; name: string }, at: Date, force: boolean): Promise<Customer | null> {
  const { count } = await db.customer.updateMany({
    where: { id: customerId, erasedAt: null, ...(force ? {} : { OR: [{ handedOverTo: null }, { handedOverTo: holder.actorId }] }) },
    data: { handedOverTo: holder.actorId, handedOverToName: holder.name },
  });
  if (count === 0) return null;
  // Keeps the time the customer asked (or sets it now, when staff step in unasked).
  await db.customer.updateMany({ where: { id: customerId, handedOverAt: null }, data: { handedOverAt: at } });
  return db.customer.findUnique({ where: { id: customerId } });
}

/** Ends a handover; null when the customer was not handed over (someone released it first). */
export async function endHandover(db: Db, customerId: string): Promise<boolean> {
  const { count } = await db.customer.updateMany({
    where: { id: customerId, handedOverAt: { not: null } },
    data: { handedOverAt: null, handedOverTo: null, handedOverToName: null },
  });
  return count > 0;
}

/** Marks the conversation as waiting for staff (the customer asked); false when it already was. */
export async function requestHandover(db: Db, customerId: string, at: Date): Promise<boolean> {
  const { count } = await db.customer.updateMany({ where: { id: customerId, handedOverAt: null }, data: { handedOverAt: at } });
  return count > 0;
}

export async function setOutreachPause(db: Db, customerId: string, until: Date | null): Promise<boolean> {
  const { count } = await db.customer.updateMany({ where: { id: customerId }, data: { outreachPausedUntil: until } });
  return count > 0;
}

/** Changes one consent and keeps the change, with its time and source, in the consent history. */
export async function writeConsent(db: Db, customerId: string, topic: ConsentTopic, granted: boolean, source: string, at: Date): Promise<Customer> {
  const [flag, stamp] = consentColumns[topic];
  const customer = await db.customer.update({ where: { id: customerId }, data: { [flag]: granted, [stamp]: at } });
  await db.consentChange.create({ data: { customerId, topic, granted, source, changedAt: at } });
  return customer;
}

/** The platform the customer was last seen on: where a staff row on the timeline is filed ("web" for none). */
export async function lastSeenPlatform(db: Db, customerId: string): Promise<Platform> {
  const lastSeen = await db.channelIdentity.findFirst({ where: { customerId }, orderBy: { lastSeenAt: "desc" }, select: { platform: true } });
  return lastSeen?.platform ?? "web";
}

/** A row on the customer's timeline written by staff or about a staff action. */
export function addTimelineRow(
  db: Db,
  row: { customerId: string; platform: Platform; direction: "in" | "out"; kind: "system" | "staff_note"; text: string | null; metadata: Prisma.InputJsonValue; at: Date },
): Promise<Interaction> {
  return db.interaction.create({
    data: { customerId: row.customerId, platform: row.platform, direction: row.direction, kind: row.kind, text: row.text, metadata: row.metadata, occurredAt: row.at },
  });
}
