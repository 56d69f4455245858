import type { Direction, Interaction, InteractionKind, Platform, Prisma, PrismaClient } from "../generated/client.ts";
import { isUniqueViolation } from "../prisma-errors.ts";

export type { Interaction };

export interface InteractionInput {
  customerId: string;
  platform: Platform;
  direction: Direction;
  kind: InteractionKind;
  text?: string | null | undefined;
  /** The platform's message id; a second record with the same id on the same platform is a duplicate. */
  platformMessageId?: string | null | undefined;
  metadata?: Prisma.InputJsonValue | undefined;
  occurredAt?: Date | undefined;
}

export type RecordResult = { duplicate: false; interaction: Interaction } | { duplicate: true; interaction: null };

export class InteractionRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Appends to the customer's timeline. Redelivered platform messages are detected by the unique
   * (platform, platformMessageId) index, so concurrent deliveries of one message record it once.
   */
  async record(input: InteractionInput): Promise<RecordResult> {
    try {
      const interaction = await this.prisma.interaction.create({
        data: {
          customerId: input.customerId,
          platform: input.platform,
          direction: input.direction,
          kind: input.kind,
          text: input.text ?? null,
          platformMessageId: input.platformMessageId ?? null,
          ...(input.metadata !== undefined ? { metadata: input.metadata } : {}),
          ...(input.occurredAt ? { occurredAt: input.occurredAt } : {}),
        },
      });
      return { duplicate: false, interaction };
    } catch (error) {
      if (input.platformMessageId && isUniqueViolation(error)) return { duplicate: true, interaction: null };
      throw error;
    }
  }

  /** Newest first. */
  timeline(customerId: string, options: { limit?: number; before?: Date } = {}): Promise<Interaction[]> {
    return this.prisma.interaction.findMany({
      where: { customerId, ...(options.before ? { occurredAt: { lt: options.before } } : {}) },
      orderBy: [{ occurredAt: "desc" }, { id: "desc" }],
      take: options.limit ?? 50,
    });
  }

  /** The replies recorded for an inbound message (metadata.inReplyTo), oldest first: what a redelivery gets again. */
  repliesTo(customerId: string, inReplyTo: string): Promise<Interaction[]> {
    return this.prisma.interaction.findMany({
      where: { customerId, direction: "out", metadata: { path: ["inReplyTo"], equals: inReplyTo } },
      orderBy: [{ occurredAt: "asc" }, { id: "asc" }],
    });
  }

  /** Outbound messages on one platform after a moment, oldest first: what a polling client has not seen. */
  outboundSince(customerId: string, platform: Platform, after: Date, limit = 100): Promise<Interaction[]> {
    return this.prisma.interaction.findMany({
      where: { customerId, platform, direction: "out", occurredAt: { gt: after } },
      orderBy: [{ occurredAt: "asc" }, { id: "asc" }],
      take: limit,
    });
  }

  async annotate(id: string, metadata: Prisma.InputJsonValue): Promise<void> {
    await this.prisma.interaction.update({ where: { id }, data: { metadata } });
  }

  count(customerId: string, since?: Date): Promise<number> {
    return this.prisma.interaction.count({ where: { customerId, ...(since ? { occurredAt: { gte: since } } : {}) } });
  }
}
