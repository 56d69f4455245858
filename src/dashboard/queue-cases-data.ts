import type { Prisma, PrismaClient } from "../db/generated/client.ts";

/** The board's columns: open and nobody has it, open and claimed (assigned), resolved (closed). */
export const CASE_COLUMNS = ["open", "claimed", "resolved"] as const;
export type CaseColumn = (typeof CASE_COLUMNS)[number];

export interface BoardCase {
  id: string;
  customerId: string;
  customerName: string | null;
  externalId: string | null;
  source: string;
  summary: string;
  openedAt: Date;
  assignee: string | null;
  closedAt: Date | null;
  closedBy: string | null;
  resolution: string | null;
}

export interface BoardColumn {
  rows: BoardCase[];
  /** The cursor of the next page, null on the last. */
  next: string | null;
}

const where: Record<CaseColumn, Prisma.FeedbackCaseWhereInput> = {
  open: { status: "open", assignee: null },
  claimed: { status: "open", assignee: { not: null } },
  resolved: { status: "closed" },
};

/** A cursor is the last row's opening time (ms) and id; anything else is the first page. */
const CURSOR = /^(\d{1,15})\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/**
 * One page of a column, by keyset on (openedAt, id) over the index (status, openedAt): open and
 * claimed cases oldest first (the longest waiting is the next to handle), resolved ones newest first
 * (the resolved pile only grows; last week's matter, not last year's). No OFFSET, no count of the pile.
 */
export async function caseColumn(prisma: PrismaClient, column: CaseColumn, after: string | undefined, limit: number): Promise<BoardColumn> {
  const ascending = column !== "resolved";
  const cursor = after ? CURSOR.exec(after) : null;
  const keyset: Prisma.FeedbackCaseWhereInput | null = cursor
    ? (() => {
        const at = new Date(Number(cursor[1]));
        const id = cursor[2]!;
        return ascending
          ? { OR: [{ openedAt: { gt: at } }, { openedAt: at, id: { gt: id } }] }
          : { OR: [{ openedAt: { lt: at } }, { openedAt: at, id: { lt: id } }] };
      })()
    : null;
  const order = ascending ? "asc" : "desc";
  const rows = await prisma.feedbackCase.findMany({
    where: keyset ? { AND: [where[column], keyset] } : where[column],
    orderBy: [{ openedAt: order }, { id: order }],
    take: limit + 1,
    select: {
      id: true,
      customerId: true,
      source: true,
      summary: true,
      openedAt: true,
      assignee: true,
      closedAt: true,
      closedBy: true,
      resolution: true,
      customer: { select: { displayName: true, externalId: true } },
    },
  });
  const shown = rows.slice(0, limit);
  const last = shown[shown.length - 1];
  return {
    rows: shown.map(({ customer, ...row }) => ({ ...row, customerName: customer.displayName, externalId: customer.externalId })),
    next: rows.length > limit && last ? `${last.openedAt.getTime()}.${last.id}` : null,
  };
}

/** How many cases wait in the open and claimed columns (few: they are worked off; the resolved pile is not counted). */
export async function waitingCounts(prisma: PrismaClient): Promise<{ open: number; claimed: number }> {
  const [open, claimed] = await Promise.all([prisma.feedbackCase.count({ where: where.open }), prisma.feedbackCase.count({ where: where.claimed })]);
  return { open, claimed };
}
