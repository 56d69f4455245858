import type { ConsentTopic, Platform, Prisma } from "../generated/client.ts";
import type { ChannelIdentity, Customer } from "../generated/client.ts";
import type { PrismaClient } from "../generated/client.ts";
import { TendError } from "../../errors.ts";
import { isRecordNotFound, isUniqueViolation } from "../prisma-errors.ts";

export type { ChannelIdentity, Customer };

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface IdentityInput {
  platform: Platform;
  platformUserId: string;
  /** Where replies go; opaque to everything but the platform's adapter. */
  address: string;
  displayName?: string | undefined;
  locale?: string | undefined;
}

export interface ResolvedIdentity {
  customer: Customer;
  identity: ChannelIdentity;
  /** True when this platform user was never seen before and a customer was made for them. */
  created: boolean;
}

export type ProfilePatch = Partial<
  Pick<
    Customer,
    | "displayName"
    | "email"
    | "phone"
    | "birthday"
    | "lunarBirthMonth"
    | "lunarBirthDay"
    | "timeZone"
    | "locale"
    | "quietHoursStart"
    | "quietHoursEnd"
    | "maxCareMessagesPerWeek"
    | "tags"
    | "externalId"
    | "handedOverAt"
  >
>;

const consentColumns = {
  care: ["careConsent", "careConsentAt"],
  marketing: ["marketingConsent", "marketingConsentAt"],
  surveys: ["surveyConsent", "surveyConsentAt"],
} as const satisfies Record<ConsentTopic, readonly [keyof Customer, keyof Customer]>;

export class CustomerRepository {
  constructor(private readonly prisma: PrismaClient) {}

  findById(id: string): Promise<Customer | null> {
    return this.prisma.customer.findUnique({ where: { id } });
  }

  findByExternalId(externalId: string): Promise<Customer | null> {
    return this.prisma.customer.findUnique({ where: { externalId } });
  }

  /**
   * A customer by Tend's id or by the business's external id, the two ways staff name customers
   * (`tend customer show`, the staff API). Tend's id wins when a text is both.
   */
  async findByIdOrExternalId(idOrExternalId: string): Promise<Customer | null> {
    const value = idOrExternalId.trim();
    if (uuidPattern.test(value)) {
      const byId = await this.findById(value.toLowerCase());
      if (byId) return byId;
    }
    return this.findByExternalId(value);
  }

  async findByIdentity(platform: Platform, platformUserId: string): Promise<Customer | null> {
    const identity = await this.prisma.channelIdentity.findUnique({
      where: { platform_platformUserId: { platform, platformUserId } },
      include: { customer: true },
    });
    return identity?.customer ?? null;
  }

  identities(customerId: string): Promise<ChannelIdentity[]> {
    return this.prisma.channelIdentity.findMany({ where: { customerId }, orderBy: { createdAt: "asc" } });
  }

  /**
   * The customer behind a platform user, made on first contact. Two first messages racing each
   * other end with one customer: the loser of the unique index reads the winner's row.
   */
  async resolveIdentity(input: IdentityInput, now: Date = new Date()): Promise<ResolvedIdentity> {
    const existing = await this.touchIdentity(input, now);
    if (existing) return { ...existing, created: false };
    try {
      const identity = await this.prisma.channelIdentity.create({
        data: {
          platform: input.platform,
          platformUserId: input.platformUserId,
          address: input.address,
          displayName: input.displayName ?? null,
          lastSeenAt: now,
          createdAt: now,
          customer: {
            create: {
              displayName: input.displayName ?? null,
              ...(input.locale ? { locale: input.locale } : {}),
              createdAt: now,
            },
          },
        },
        include: { customer: true },
      });
      const { customer, ...bare } = identity;
      return { customer, identity: bare, created: true };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const winner = await this.touchIdentity(input, now);
      if (!winner) throw error;
      return { ...winner, created: false };
    }
  }

  private async touchIdentity(input: IdentityInput, now: Date) {
    const where = { platform_platformUserId: { platform: input.platform, platformUserId: input.platformUserId } };
    const found = await this.prisma.channelIdentity.findUnique({ where });
    if (!found) return null;
    const identity = await this.prisma.channelIdentity
      .update({
        where,
        // Writing to us again makes an identity a send found unreachable worth trying once more.
        data: { lastSeenAt: now, unreachableAt: null, address: input.address, ...(input.displayName ? { displayName: input.displayName } : {}) },
        include: { customer: true },
      })
      // An erasure that finished between the read and the update took the identity away: as if never found.
      .catch((error: unknown) => {
        if (isRecordNotFound(error)) return null;
        throw error;
      });
    if (!identity) return null;
    const { customer, ...bare } = identity;
    return { customer, identity: bare };
  }

  create(data: Prisma.CustomerCreateInput): Promise<Customer> {
    return this.prisma.customer.create({ data });
  }

  /**
   * Hands the conversation back to the bot; false when the customer was not handed over.
   * @deprecated Staff release through CustomerService.release (audited, tells the customer).
   */
  async endHandover(id: string): Promise<boolean> {
    const { count } = await this.prisma.customer.updateMany({ where: { id, handedOverAt: { not: null } }, data: { handedOverAt: null } });
    return count > 0;
  }

  /**
   * Staff hold care, marketing and survey messages to a customer back until `until` (the contact
   * policy defers them), or lift the hold with null. The customer's timeline records who did it.
   * Null when there is no such customer; a time not after `at` is refused, since it would pause nothing.
   * @deprecated Staff pause through CustomerService.pauseOutreach / resumeOutreach (audited, with the actor).
   */
  async pauseOutreach(customerId: string, until: Date | null, by: string, at: Date = new Date()): Promise<Customer | null> {
    const staff = by.trim();
    if (staff === "") throw new TendError("OUTREACH_PAUSE_INVALID", "say who pauses the customer's outreach (by)");
    if (until !== null && !(until.getTime() > at.getTime())) {
      throw new TendError("OUTREACH_PAUSE_INVALID", `a pause must end in the future (got ${Number.isNaN(until.getTime()) ? "an invalid date" : until.toISOString()})`);
    }
    if (!uuidPattern.test(customerId)) return null;
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.customer.updateMany({ where: { id: customerId }, data: { outreachPausedUntil: until } });
      if (count === 0) return null;
      const lastSeen = await tx.channelIdentity.findFirst({ where: { customerId }, orderBy: { lastSeenAt: "desc" }, select: { platform: true } });
      await tx.interaction.create({
        data: {
          customerId,
          platform: lastSeen?.platform ?? "web",
          direction: "in",
          kind: "system",
          text: null,
          metadata: until ? { event: "outreach_paused", until: until.toISOString(), by: staff } : { event: "outreach_resumed", by: staff },
          occurredAt: at,
        },
      });
      return tx.customer.findUnique({ where: { id: customerId } });
    });
  }

  update(id: string, patch: ProfilePatch): Promise<Customer> {
    return this.prisma.customer.update({ where: { id }, data: patch });
  }

  /** Changes one consent and keeps the change, with its time and source, in the consent history. */
  async setConsent(customerId: string, topic: ConsentTopic, granted: boolean, source: string, at: Date = new Date()): Promise<Customer> {
    const [flag, stamp] = consentColumns[topic];
    const [customer] = await this.prisma.$transaction([
      this.prisma.customer.update({ where: { id: customerId }, data: { [flag]: granted, [stamp]: at } }),
      this.prisma.consentChange.create({ data: { customerId, topic, granted, source, changedAt: at } }),
    ]);
    return customer;
  }

  /**
   * Customers (not erased) whose Gregorian birthday falls on one of these month-days ("MM-DD"); those who
   * gave a lunar birthday celebrate that one instead (withLunarBirthdayOn).
   */
  withBirthdayOn(monthDays: string[]): Promise<Pick<Customer, "id" | "birthday" | "timeZone">[]> {
    return this.prisma.$queryRaw<Pick<Customer, "id" | "birthday" | "timeZone">[]>`
      SELECT id, birthday, "timeZone" FROM "Customer"
       WHERE birthday IS NOT NULL AND "lunarBirthMonth" IS NULL AND "erasedAt" IS NULL AND to_char(birthday, 'MM-DD') = ANY(${monthDays})`;
  }

  /** Customers (not erased) whose lunar birthday is one of these lunar month-days ("M-D", e.g. "8-15"). */
  withLunarBirthdayOn(lunarMonthDays: string[]): Promise<Pick<Customer, "id" | "lunarBirthMonth" | "lunarBirthDay" | "timeZone">[]> {
    return this.prisma.$queryRaw<Pick<Customer, "id" | "lunarBirthMonth" | "lunarBirthDay" | "timeZone">[]>`
      SELECT id, "lunarBirthMonth", "lunarBirthDay", "timeZone" FROM "Customer"
       WHERE "lunarBirthMonth" IS NOT NULL AND "erasedAt" IS NULL
         AND ("lunarBirthMonth"::text || '-' || "lunarBirthDay"::text) = ANY(${lunarMonthDays})`;
  }

  consentHistory(customerId: string) {
    return this.prisma.consentChange.findMany({ where: { customerId }, orderBy: { changedAt: "asc" } });
  }
}
