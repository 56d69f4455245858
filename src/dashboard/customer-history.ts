import { readInteractionMetadata } from "../core/interaction-metadata.ts";
import type { PrismaClient } from "../db/generated/client.ts";

/**
 * The customer page's history beyond the card: the whole timeline and the loyalty ledger a page at
 * a time (keyset on time and id, newest first, through each table's (customerId, time) index),
 * surveys with their answers, consent changes, and what still waits in the outbox. Reads only:
 * every change goes through the owning service.
 */

export interface Keyset {
  at: Date;
  id: string;
}

export interface HistoryPage<T> {
  rows: T[];
  /** The cursor of the next (older) page; null on the last page. */
  next: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A cursor as it travels in a link: the last row's time in epoch milliseconds and its id. */
export function encodeCursor(key: Keyset): string {
  return `${key.at.getTime()}_${key.id}`;
}

/** A cursor from a link; anything malformed is the first page (undefined), never an error. */
export function decodeCursor(text: string | undefined): Keyset | undefined {
  const match = /^(\d{1,15})_([0-9a-f-]{36})$/.exec(text ?? "");
  if (!match || !UUID.test(match[2]!)) return undefined;
  const at = new Date(Number(match[1]));
  return Number.isNaN(at.getTime()) ? undefined : { at, id: match[2]! };
}

/** Rows older than the cursor in (time desc, id desc) order. */
const olderThan = (field: string, after: Keyset | undefined) =>
  after ? { OR: [{ [field]: { lt: after.at } }, { [field]: after.at, id: { lt: after.id } }] } : {};

function paged<T extends { id: string }>(rows: T[], limit: number, timeOf: (row: T) => Date): HistoryPage<T> {
  const more = rows.length > limit;
  const shown = more ? rows.slice(0, limit) : rows;
  const last = shown[shown.length - 1];
  return { rows: shown, next: more && last ? encodeCursor({ at: timeOf(last), id: last.id }) : null };
}

export interface TimelineRow {
  id: string;
  at: Date;
  platform: string;
  direction: "in" | "out";
  kind: string;
  text: string | null;
  event: string | null;
  staffName: string | null;
  /** Outbound messages: sent, or failed with the reason; null for inbound rows, notes and events. */
  delivery: { status: "sent" } | { status: "failed"; error: string | null } | null;
}

/** The database's label of InteractionKind that Prisma names differently (`@map`). */
const kindName = (kind: string) => (kind === "staff-note" ? "staff_note" : kind);

export async function timelinePage(prisma: PrismaClient, customerId: string, cursor: string | undefined, limit: number): Promise<HistoryPage<TimelineRow>> {
  const rows = await prisma.interaction.findMany({
    where: { customerId, ...olderThan("occurredAt", decodeCursor(cursor)) },
    orderBy: [{ occurredAt: "desc" }, { id: "desc" }],
    take: limit + 1,
    select: { id: true, occurredAt: true, platform: true, direction: true, kind: true, text: true, metadata: true },
  });
  const page = paged(rows, limit, (row) => row.occurredAt);
  return {
    next: page.next,
    rows: page.rows.map((row) => {
      const metadata = readInteractionMetadata(row.metadata) as Record<string, unknown>;
      const kind = kindName(row.kind);
      const delivered = row.direction === "out" && kind !== "staff_note" && kind !== "system";
      return {
        id: row.id,
        at: row.occurredAt,
        platform: row.platform,
        direction: row.direction,
        kind,
        text: row.text,
        event: typeof metadata.event === "string" ? metadata.event : null,
        staffName: typeof metadata.by === "string" ? metadata.by : null,
        delivery: !delivered
          ? null
          : metadata.delivery === "failed"
            ? { status: "failed", error: typeof metadata.deliveryError === "string" ? metadata.deliveryError : null }
            : { status: "sent" },
      };
    }),
  };
}

export interface LedgerRow {
  id: string;
  at: Date;
  kind: string;
  points: number;
  reason: string | null;
  expiresAt: Date | null;
}

export async function ledgerPage(prisma: PrismaClient, customerId: string, cursor: string | undefined, limit: number): Promise<HistoryPage<LedgerRow>> {
  const rows = await prisma.loyaltyLedgerEntry.findMany({
    where: { customerId, ...olderThan("createdAt", decodeCursor(cursor)) },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit + 1,
    select: { id: true, createdAt: true, kind: true, points: true, reason: true, expiresAt: true },
  });
  const page = paged(rows, limit, (row) => row.createdAt);
  return { next: page.next, rows: page.rows.map((r) => ({ id: r.id, at: r.createdAt, kind: r.kind, points: r.points, reason: r.reason, expiresAt: r.expiresAt })) };
}

export interface SurveyRow {
  id: string;
  kind: string;
  platform: string;
  status: string;
  sentAt: Date;
  answer: { score: number; reason: string | null; at: Date } | null;
}

/** The latest invitations with their answers, newest first. */
export async function surveyRows(prisma: PrismaClient, customerId: string, limit: number): Promise<SurveyRow[]> {
  const rows = await prisma.surveyInvitation.findMany({
    where: { customerId },
    orderBy: [{ sentAt: "desc" }, { id: "desc" }],
    take: limit,
    select: { id: true, kind: true, platform: true, status: true, sentAt: true, response: { select: { score: true, reason: true, respondedAt: true } } },
  });
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    platform: r.platform,
    status: r.status,
    sentAt: r.sentAt,
    answer: r.response ? { score: r.response.score, reason: r.response.reason, at: r.response.respondedAt } : null,
  }));
}

export interface ConsentRow {
  id: string;
  at: Date;
  topic: string;
  granted: boolean;
  source: string;
}

export async function consentPage(prisma: PrismaClient, customerId: string, cursor: string | undefined, limit: number): Promise<HistoryPage<ConsentRow>> {
  const rows = await prisma.consentChange.findMany({
    where: { customerId, ...olderThan("changedAt", decodeCursor(cursor)) },
    orderBy: [{ changedAt: "desc" }, { id: "desc" }],
    take: limit + 1,
  });
  const page = paged(rows, limit, (row) => row.changedAt);
  return { next: page.next, rows: page.rows.map((r) => ({ id: r.id, at: r.changedAt, topic: r.topic, granted: r.granted, source: r.source })) };
}

export interface WaitingRow {
  id: string;
  kind: string;
  topic: string;
  status: string;
  notBefore: Date;
  deferReason: string | null;
  lastError: string | null;
  text: string | null;
}

/** Messages to the customer still in the outbox (not sent, not ended), the soonest due first. */
export async function waitingRows(prisma: PrismaClient, customerId: string, limit: number): Promise<WaitingRow[]> {
  const rows = await prisma.outboxMessage.findMany({
    where: { customerId, audience: "customer", status: { in: ["pending", "sending"] } },
    orderBy: [{ notBefore: "asc" }, { id: "asc" }],
    take: limit,
    select: { id: true, kind: true, topic: true, status: true, notBefore: true, deferReason: true, lastError: true, payload: true },
  });
  return rows.map((r) => {
    const payload = r.payload as { text?: unknown } | null;
    return {
      id: r.id,
      kind: r.kind,
      topic: r.topic,
      status: r.status,
      notBefore: r.notBefore,
      deferReason: r.deferReason,
      lastError: r.lastError,
      text: typeof payload?.text === "string" ? payload.text : null,
    };
  });
}
