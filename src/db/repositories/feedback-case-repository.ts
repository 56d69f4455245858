import type { FeedbackCase, FeedbackCaseSource, Prisma, PrismaClient } from "../generated/client.ts";

export type { FeedbackCase, FeedbackCaseSource };

export interface NewFeedbackCase {
  customerId: string;
  source: FeedbackCaseSource;
  summary: string;
  surveyResponseId?: string | null | undefined;
  assignee?: string | null | undefined;
  openedAt: Date;
}

export interface CaseClosing {
  resolution: string;
  closedBy: string;
  closedAt: Date;
}

// Ids come from staff commands and buttons; a malformed one is "no such case", not a database error.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class FeedbackCaseRepository {
  /** Works on the client or inside a transaction (closing a case queues its follow-up with it). */
  constructor(private readonly prisma: PrismaClient | Prisma.TransactionClient) {}

  create(input: NewFeedbackCase): Promise<FeedbackCase> {
    return this.prisma.feedbackCase.create({
      data: {
        customerId: input.customerId,
        source: input.source,
        summary: input.summary,
        surveyResponseId: input.surveyResponseId ?? null,
        assignee: input.assignee ?? null,
        openedAt: input.openedAt,
      },
    });
  }

  async findById(id: string): Promise<FeedbackCase | null> {
    if (!UUID.test(id)) return null;
    return this.prisma.feedbackCase.findUnique({ where: { id } });
  }

  /** The case a survey answer already opened, if any: one response never gets two cases. */
  findBySurveyResponse(surveyResponseId: string): Promise<FeedbackCase | null> {
    return this.prisma.feedbackCase.findFirst({ where: { surveyResponseId }, orderBy: { openedAt: "asc" } });
  }

  /** Oldest first: the case that has waited longest is the next to handle. */
  listOpen(limit = 100): Promise<FeedbackCase[]> {
    return this.prisma.feedbackCase.findMany({
      where: { status: "open" },
      orderBy: [{ openedAt: "asc" }, { id: "asc" }],
      take: limit,
    });
  }

  /** Newest first, open and closed. */
  listByCustomer(customerId: string, limit = 100): Promise<FeedbackCase[]> {
    return this.prisma.feedbackCase.findMany({
      where: { customerId },
      orderBy: [{ openedAt: "desc" }, { id: "desc" }],
      take: limit,
    });
  }

  updateSummary(id: string, summary: string): Promise<FeedbackCase> {
    return this.prisma.feedbackCase.update({ where: { id }, data: { summary } });
  }

  /** Assigns an open case; false when it is closed or missing. */
  async assignIfOpen(id: string, assignee: string | null): Promise<boolean> {
    if (!UUID.test(id)) return false;
    const { count } = await this.prisma.feedbackCase.updateMany({ where: { id, status: "open" }, data: { assignee } });
    return count === 1;
  }

  /**
   * Gives an open, unclaimed case to `assignee` in one conditional update, so of two staff claiming
   * it at once exactly one wins. False when it is closed, already claimed (by anyone) or missing.
   */
  async claimIfUnclaimed(id: string, assignee: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    const { count } = await this.prisma.feedbackCase.updateMany({ where: { id, status: "open", assignee: null }, data: { assignee } });
    return count === 1;
  }

  /**
   * Closes the case only if it is still open, so two staff closing it at once close it once and
   * the customer hears about it once. False when it was already closed or does not exist.
   */
  async closeIfOpen(id: string, closing: CaseClosing): Promise<boolean> {
    if (!UUID.test(id)) return false;
    const { count } = await this.prisma.feedbackCase.updateMany({
      where: { id, status: "open" },
      data: { status: "closed", resolution: closing.resolution, closedBy: closing.closedBy, closedAt: closing.closedAt },
    });
    return count === 1;
  }

  markCustomerNotified(id: string, at: Date): Promise<FeedbackCase> {
    return this.prisma.feedbackCase.update({ where: { id }, data: { customerNotifiedAt: at } });
  }
}
