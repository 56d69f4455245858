import type { Platform, Prisma, PrismaClient, SurveyInvitation, SurveyKind, SurveyResponse } from "../generated/client.ts";
import { isUniqueViolation } from "../prisma-errors.ts";

export type { SurveyInvitation, SurveyKind, SurveyResponse };

/** The PendingAction kind that marks "the customer's next message is the reason for their score". */
export const SURVEY_REASON_ACTION = "survey_reason";

export interface NewInvitation {
  customerId: string;
  kind: SurveyKind;
  platform: Platform;
  context?: string | null | undefined;
  sentAt: Date;
  expiresAt: Date;
}

export type CreateInvitationResult =
  | { created: true; invitation: SurveyInvitation }
  /** Another invitation of the same kind was sent after `since`. */
  | { created: false; lastSentAt: Date };

export type RecordResponseResult =
  | { created: true; response: SurveyResponse }
  | { created: false; response: SurveyResponse };

export interface PendingReason {
  responseId: string;
  invitationId: string;
  createdAt: Date;
  expiresAt: Date;
}

/** One bucket of the survey report: invitations of one kind sent on one platform in one ISO week, by score. */
export interface SurveyReportCell {
  platform: Platform;
  /** ISO week of sentAt in UTC, e.g. "2026-W09". */
  week: string;
  kind: SurveyKind;
  /** The answer's score; null for invitations without an answer. */
  score: number | null;
  invitations: number;
  /** Unanswered invitations that can still be answered at the report's `now`. */
  stillOpen: number;
}

// Ids come from chat buttons; a malformed one is "not found", not a database error.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class SurveyRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Creates an invitation, unless (when `notSentSince` is given) the customer already got one of
   * this kind since then. The check and the insert run under a per-customer advisory lock, so two
   * campaigns inviting the same customer at once still send one NPS survey. `within` runs in the
   * same transaction with the new invitation (it queues the message that carries it).
   */
  async createInvitation(
    input: NewInvitation,
    notSentSince?: Date,
    within?: (tx: Prisma.TransactionClient, invitation: SurveyInvitation) => Promise<void>,
  ): Promise<CreateInvitationResult> {
    const data = {
      customerId: input.customerId,
      kind: input.kind,
      platform: input.platform,
      context: input.context ?? null,
      sentAt: input.sentAt,
      expiresAt: input.expiresAt,
    };
    if (!notSentSince && !within) return { created: true, invitation: await this.prisma.surveyInvitation.create({ data }) };
    return this.prisma.$transaction(async (tx) => {
      if (notSentSince) {
        const lockKey = `survey-invite:${input.customerId}:${input.kind}`;
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${lockKey}))`;
        const recent = await tx.surveyInvitation.findFirst({
          where: { customerId: input.customerId, kind: input.kind, sentAt: { gt: notSentSince } },
          orderBy: { sentAt: "desc" },
          select: { sentAt: true },
        });
        if (recent) return { created: false as const, lastSentAt: recent.sentAt };
      }
      const invitation = await tx.surveyInvitation.create({ data });
      await within?.(tx, invitation);
      return { created: true as const, invitation };
    });
  }

  async findInvitation(id: string): Promise<SurveyInvitation | null> {
    if (!UUID.test(id)) return null;
    return this.prisma.surveyInvitation.findUnique({ where: { id } });
  }

  /** The newest invitation still waiting for an answer at `now`. */
  openInvitationFor(customerId: string, now: Date): Promise<SurveyInvitation | null> {
    return this.prisma.surveyInvitation.findFirst({
      where: { customerId, status: "pending", expiresAt: { gt: now } },
      orderBy: [{ sentAt: "desc" }, { id: "desc" }],
    });
  }

  /** Marks an unanswered invitation expired; false if it was answered or expired already. */
  async markExpired(id: string): Promise<boolean> {
    const { count } = await this.prisma.surveyInvitation.updateMany({ where: { id, status: "pending" }, data: { status: "expired" } });
    return count === 1;
  }

  /** Marks every unanswered invitation past its window expired; returns how many. */
  async expireOverdue(now: Date): Promise<number> {
    const { count } = await this.prisma.surveyInvitation.updateMany({
      where: { status: "pending", expiresAt: { lte: now } },
      data: { status: "expired" },
    });
    return count;
  }

  /**
   * Stores the answer and marks the invitation answered, together. The unique invitationId makes
   * concurrent answers (a double tap, two devices) record once: the losers get the winner's row.
   */
  async recordResponse(input: { invitationId: string; customerId: string; score: number; respondedAt: Date }): Promise<RecordResponseResult> {
    try {
      const [response] = await this.prisma.$transaction([
        this.prisma.surveyResponse.create({ data: input }),
        this.prisma.surveyInvitation.update({ where: { id: input.invitationId }, data: { status: "answered" } }),
      ]);
      return { created: true, response };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const existing = await this.findResponseByInvitation(input.invitationId);
      if (!existing) throw error;
      return { created: false, response: existing };
    }
  }

  async findResponse(id: string): Promise<(SurveyResponse & { invitation: SurveyInvitation }) | null> {
    if (!UUID.test(id)) return null;
    return this.prisma.surveyResponse.findUnique({ where: { id }, include: { invitation: true } });
  }

  async findResponseByInvitation(invitationId: string): Promise<SurveyResponse | null> {
    if (!UUID.test(invitationId)) return null;
    return this.prisma.surveyResponse.findUnique({ where: { invitationId } });
  }

  /** Stores the "why?" once: false when a reason was already given (or the response is gone). */
  async setReasonOnce(responseId: string, reason: string, at: Date): Promise<boolean> {
    const { count } = await this.prisma.surveyResponse.updateMany({ where: { id: responseId, reason: null }, data: { reason, reasonAt: at } });
    return count === 1;
  }

  /** Waits for the customer's reason; a newer score replaces an older wait. */
  async awaitReason(customerId: string, pending: PendingReason): Promise<void> {
    await this.prisma.$transaction([
      this.prisma.pendingAction.deleteMany({ where: { customerId, kind: SURVEY_REASON_ACTION } }),
      this.prisma.pendingAction.create({
        data: {
          customerId,
          kind: SURVEY_REASON_ACTION,
          payload: { responseId: pending.responseId, invitationId: pending.invitationId },
          createdAt: pending.createdAt,
          expiresAt: pending.expiresAt,
        },
      }),
    ]);
  }

  async pendingReason(customerId: string, now: Date): Promise<PendingReason | null> {
    const action = await this.prisma.pendingAction.findFirst({
      where: { customerId, kind: SURVEY_REASON_ACTION, expiresAt: { gt: now } },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    });
    if (!action) return null;
    const payload = action.payload as { responseId?: unknown; invitationId?: unknown } | null;
    if (typeof payload?.responseId !== "string" || typeof payload.invitationId !== "string") return null;
    return { responseId: payload.responseId, invitationId: payload.invitationId, createdAt: action.createdAt, expiresAt: action.expiresAt };
  }

  /** Stops waiting for this response's reason (and drops the customer's expired waits). */
  async clearPendingReason(customerId: string, responseId: string, now: Date): Promise<void> {
    await this.prisma.pendingAction.deleteMany({
      where: {
        customerId,
        kind: SURVEY_REASON_ACTION,
        OR: [{ payload: { path: ["responseId"], equals: responseId } }, { expiresAt: { lte: now } }],
      },
    });
  }

  /** Invitations sent in [from, to), counted by platform, ISO week (UTC), kind and answer score. */
  async reportCells(from: Date, to: Date, now: Date): Promise<SurveyReportCell[]> {
    // Aggregated in the database: a year of invitations is many rows but only a few hundred cells.
    const rows = await this.prisma.$queryRaw<
      { platform: Platform; week: string; kind: SurveyKind; score: number | null; invitations: number; stillOpen: number }[]
    >`
      SELECT i."platform"::text AS "platform",
             to_char(i."sentAt", 'IYYY-"W"IW') AS "week",
             i."kind"::text AS "kind",
             r."score"::int AS "score",
             count(*)::int AS "invitations",
             (count(*) FILTER (WHERE r."id" IS NULL AND i."status" = 'pending' AND i."expiresAt" > ${now}))::int AS "stillOpen"
        FROM "SurveyInvitation" i
        LEFT JOIN "SurveyResponse" r ON r."invitationId" = i."id"
       WHERE i."sentAt" >= ${from} AND i."sentAt" < ${to}
       GROUP BY 1, 2, 3, 4
       ORDER BY 2, 1, 3, 4`;
    return rows.map((row) => ({ ...row, score: row.score === null ? null : Number(row.score) }));
  }
}
