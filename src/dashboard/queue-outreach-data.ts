import type { PrismaClient } from "../db/generated/client.ts";
import type { OutboxRepository } from "../db/repositories/outbox-repository.ts";
import type { Actor } from "../staff/actor.ts";
import type { StaffService } from "../staff/staff-service.ts";

export interface DeadLetter {
  id: string;
  customerId: string;
  customerName: string | null;
  kind: string;
  /** The row's own platform; null: the dispatcher picks the customer's latest reachable one. */
  platform: string | null;
  audience: string;
  attempts: number;
  /** Why the last try failed, as the dispatcher recorded it. */
  reason: string | null;
  dueAt: Date;
}

const CURSOR = /^(\d{1,15})\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** Dead letters, the most recently due first, a keyset page at a time over the index (status, notBefore). */
export async function deadLetters(prisma: PrismaClient, after: string | undefined, limit: number): Promise<{ rows: DeadLetter[]; next: string | null }> {
  const cursor = after ? CURSOR.exec(after) : null;
  const at = cursor ? new Date(Number(cursor[1])) : null;
  const rows = await prisma.outboxMessage.findMany({
    where: {
      status: "dead",
      ...(at && cursor ? { OR: [{ notBefore: { lt: at } }, { notBefore: at, id: { lt: cursor[2]! } }] } : {}),
    },
    orderBy: [{ notBefore: "desc" }, { id: "desc" }],
    take: limit + 1,
    select: { id: true, customerId: true, kind: true, platform: true, audience: true, attempts: true, lastError: true, notBefore: true, customer: { select: { displayName: true } } },
  });
  const shown = rows.slice(0, limit);
  const last = shown[shown.length - 1];
  return {
    rows: shown.map((row) => ({
      id: row.id,
      customerId: row.customerId,
      customerName: row.customer.displayName,
      kind: row.kind,
      platform: row.platform,
      audience: row.audience,
      attempts: row.attempts,
      reason: row.lastError,
      dueAt: row.notBefore,
    })),
    next: rows.length > limit && last ? `${last.notBefore.getTime()}.${last.id}` : null,
  };
}

export interface RetryDependencies {
  outbox: Pick<OutboxRepository, "findById" | "requeue" | "requeueDead" | "queued">;
  staff: Pick<StaffService, "audit">;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Puts one dead letter back in the queue, due now, its retries counted afresh (the outbox's requeue); audited. */
export async function retryDeadLetter(deps: RetryDependencies, id: string, actor: Actor, now: Date): Promise<boolean> {
  const row = UUID.test(id) ? await deps.outbox.findById(id) : null;
  // Only a dead letter: a failed row (the platform refused it) would fail again as it is.
  const requeued = row?.status === "dead" ? await deps.outbox.requeue(row.dedupeKey, now) : false;
  await deps.staff.audit(actor, "outreach.retry_dead", {
    customerId: row?.customerId ?? null,
    target: id,
    outcome: requeued ? "ok" : "refused",
    detail: requeued ? { kind: row!.kind } : { reason: row ? `the message is ${row.status}, not dead` : "no such message" },
  });
  if (requeued) deps.outbox.queued();
  return requeued;
}

/** Every dead letter back in the queue, as `tend outreach retry --dead` does; audited with the count. */
export async function retryAllDeadLetters(deps: RetryDependencies, actor: Actor, now: Date): Promise<number> {
  const requeued = await deps.outbox.requeueDead(now);
  await deps.staff.audit(actor, "outreach.retry_dead", { target: "all", detail: { requeued } });
  if (requeued) deps.outbox.queued();
  return requeued;
}
