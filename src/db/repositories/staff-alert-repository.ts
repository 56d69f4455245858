import type { Prisma, PrismaClient, StaffAlert } from "../generated/client.ts";

export type { StaffAlert };

type Db = PrismaClient | Prisma.TransactionClient;

// Ids come from Slack buttons; a malformed one is "no such alert", not a database error.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface StaffPersonRef {
  id: string;
  name: string;
}

/**
 * Staff alerts and the takeover threads under them (table StaffAlert). Every state change is one
 * conditional update, so two staff pressing the same button at once change it once: the caller
 * tells the loser who won by reading the row again.
 */
export class StaffAlertRepository {
  constructor(private readonly prisma: Db) {}

  /**
   * Inside the transaction of the alert's cause (a case opening, a takeover). A new takeover thread
   * ends the customer's older ones (a release made elsewhere, e.g. the HTTP API, left them open).
   */
  async create(input: { customerId: string; caseId: string | null; reason: string; claimedBy?: StaffPersonRef | undefined; at: Date }): Promise<StaffAlert> {
    if (input.reason === "handover" || input.reason === "takeover") await this.releaseThreads(input.customerId, input.at);
    return this.prisma.staffAlert.create({
      data: {
        customerId: input.customerId,
        caseId: input.caseId,
        reason: input.reason,
        createdAt: input.at,
        ...(input.claimedBy ? { claimedById: input.claimedBy.id, claimedByName: input.claimedBy.name, claimedAt: input.at } : {}),
      },
    });
  }

  async findById(id: string): Promise<StaffAlert | null> {
    if (!UUID.test(id)) return null;
    return this.prisma.staffAlert.findUnique({ where: { id } });
  }

  findByCase(caseId: string): Promise<StaffAlert | null> {
    return this.prisma.staffAlert.findUnique({ where: { caseId } });
  }

  /** The alert posted as this Slack message (a thread's root). */
  findByMessage(channel: string, ts: string): Promise<StaffAlert | null> {
    return this.prisma.staffAlert.findUnique({ where: { slackChannel_slackTs: { slackChannel: channel, slackTs: ts } } });
  }

  /** The customer's takeover thread still running (the newest), if any. */
  activeThread(customerId: string): Promise<StaffAlert | null> {
    return this.prisma.staffAlert.findFirst({
      where: { customerId, reason: { in: ["handover", "takeover"] }, releasedAt: null },
      orderBy: { createdAt: "desc" },
    });
  }

  /** The dispatcher posted it: where, so buttons and thread replies find it. */
  async setPosted(id: string, channel: string, ts: string): Promise<void> {
    await this.prisma.staffAlert.updateMany({ where: { id }, data: { slackChannel: channel, slackTs: ts } });
  }

  /** Claims an unclaimed, unresolved alert; false when someone had it first (or it is resolved). */
  async claim(id: string, by: StaffPersonRef, at: Date): Promise<boolean> {
    const { count } = await this.prisma.staffAlert.updateMany({
      where: { id, claimedById: null, resolvedAt: null },
      data: { claimedById: by.id, claimedByName: by.name, claimedAt: at },
    });
    return count === 1;
  }

  /** Moves a claim from one staff member to another; false when `from` no longer holds it. */
  async reassign(id: string, from: string, to: StaffPersonRef, at: Date): Promise<boolean> {
    const { count } = await this.prisma.staffAlert.updateMany({
      where: { id, claimedById: from, releasedAt: null },
      data: { claimedById: to.id, claimedByName: to.name, claimedAt: at },
    });
    return count === 1;
  }

  /** Shows who has it now (a takeover by the customer service decided it). */
  async setClaimed(id: string, by: StaffPersonRef, at: Date): Promise<void> {
    await this.prisma.staffAlert.updateMany({ where: { id }, data: { claimedById: by.id, claimedByName: by.name, claimedAt: at } });
  }

  /** Resolves it once; false when it was resolved already. */
  async resolve(id: string, by: StaffPersonRef, at: Date): Promise<boolean> {
    const { count } = await this.prisma.staffAlert.updateMany({
      where: { id, resolvedAt: null },
      data: { resolvedById: by.id, resolvedByName: by.name, resolvedAt: at },
    });
    return count === 1;
  }

  /** Ends the customer's running takeover threads (the conversation went back to the bot); returns them. */
  releaseThreads(customerId: string, at: Date): Promise<StaffAlert[]> {
    // One statement: two releases at once each get their own (disjoint) threads, so each line is posted once.
    return this.prisma.staffAlert.updateManyAndReturn({ where: { customerId, reason: { in: ["handover", "takeover"] }, releasedAt: null }, data: { releasedAt: at } });
  }
}
