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

  count(customerId: string, since?: Date): Promise<number> {
    return this.prisma.interaction.count({ where: { customerId, ...(since ? { occurredAt: { gte: since } } : {}) } });
  }
}
