import type { PendingAction, Prisma, PrismaClient } from "../generated/client.ts";

export type { PendingAction };

/** Questions the bot asked and awaits an answer to (confirmations), kept across messages and instances. */
export class PendingActionRepository {
  constructor(private readonly prisma: PrismaClient) {}

  create(customerId: string, kind: string, payload: Prisma.InputJsonValue, expiresAt: Date, now: Date): Promise<PendingAction> {
    return this.prisma.pendingAction.create({ data: { customerId, kind, payload, expiresAt, createdAt: now } });
  }

  /** The action, if it exists, belongs to this customer and has not expired. */
  findLive(id: string, customerId: string, now: Date): Promise<PendingAction | null> {
    return this.prisma.pendingAction.findFirst({ where: { id, customerId, expiresAt: { gt: now } } });
  }

  newestLive(customerId: string, kind: string, now: Date): Promise<PendingAction | null> {
    return this.prisma.pendingAction.findFirst({
      where: { customerId, kind, expiresAt: { gt: now } },
      orderBy: { createdAt: "desc" },
    });
  }

  /** Replaces the payload, e.g. to mark a confirmation as carried out while it stays answerable. */
  async updatePayload(id: string, payload: Prisma.InputJsonValue): Promise<void> {
    await this.prisma.pendingAction.updateMany({ where: { id }, data: { payload } });
  }

  async remove(id: string): Promise<void> {
    await this.prisma.pendingAction.deleteMany({ where: { id } });
  }
}
