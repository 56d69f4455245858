import { Prisma, type PrismaClient } from "../db/generated/client.ts";
import type { ContactFactsRepository } from "../db/repositories/contact-facts-repository.ts";
import { type ContactPolicySettings, decide } from "./contact-policy.ts";
import type { OutreachTopic } from "./topics.ts";

const DAY_MS = 86_400_000;

/** One plan's messages due on one day, with what the contact policy would do with them. */
export interface CalendarCell {
  /** The UTC day, YYYY-MM-DD. */
  day: string;
  /** The outbox row's kind: the care plan (birthday, festival, checkin…), campaign, case_followup… */
  plan: string;
  /** Messages due; one per customer, since a plan queues one row per customer and occurrence. */
  messages: number;
  send: number;
  /** Held back to a later time, by the policy's reason (quiet_hours, weekly_cap…). */
  defer: Record<string, number>;
  /** Never sent, by the policy's reason (no_consent:care, open_case…). */
  skip: Record<string, number>;
}

export interface OutreachCalendar {
  from: string;
  to: string;
  /** Days in order, then plans by name; only the days and plans that have messages. */
  cells: CalendarCell[];
  total: number;
}

interface QueuedRow {
  id: string;
  customerId: string;
  topic: string;
  kind: string;
  notBefore: Date;
}

export interface OutreachCalendarDependencies {
  prisma: PrismaClient;
  facts: Pick<ContactFactsRepository, "factsForMany">;
  settings: ContactPolicySettings;
}

/**
 * The queued outbox rows due in [from, to), counted per UTC day and plan, each judged by the contact
 * policy as `tend outreach preview` judges it (`decide` over ContactFactsRepository's facts) at its
 * due time, or now when that has passed (the dispatcher would judge an overdue row now). Unlike
 * previewOutreach, which lists rows up to a limit, this reads the window a keyset page at a time and
 * keeps only the counts, so a festival greeting to 100,000 customers costs one page of memory.
 * What it cannot foresee: what changes before the send, and occurrences the care planner has not written yet.
 */
export async function outreachCalendar(
  deps: OutreachCalendarDependencies,
  window: { from: Date; to: Date; now: Date; pageSize?: number },
): Promise<OutreachCalendar> {
  const pageSize = window.pageSize ?? 2000;
  const cells = new Map<string, CalendarCell>();
  let total = 0;
  let after: { notBefore: Date; id: string } | null = null;
  for (;;) {
    // Raw SQL: a row-value keyset over the index (status, notBefore) reads a page in one plain statement.
    const keyset: Prisma.Sql = after ? Prisma.sql`AND ("notBefore", id) > (${after.notBefore}::timestamp, ${after.id}::uuid)` : Prisma.empty;
    const page: QueuedRow[] = await deps.prisma.$queryRaw<QueuedRow[]>`
      SELECT id, "customerId", topic, kind, "notBefore"
        FROM "OutboxMessage"
       WHERE status = 'pending' AND audience = 'customer' AND "notBefore" >= ${window.from}::timestamp AND "notBefore" < ${window.to}::timestamp ${keyset}
       ORDER BY "notBefore", id
       LIMIT ${pageSize}`;
    if (!page.length) break;
    // Facts depend on the moment (quiet hours, the cap's window): read once per distinct judging time.
    const byTime = new Map<number, QueuedRow[]>();
    for (const row of page) {
      const at = Math.max(row.notBefore.getTime(), window.now.getTime());
      const group = byTime.get(at) ?? [];
      group.push(row);
      byTime.set(at, group);
    }
    for (const [at, group] of byTime) {
      const facts = await deps.facts.factsForMany(
        group.map((row) => row.customerId),
        new Date(at),
      );
      for (const row of group) {
        const customerFacts = facts.get(row.customerId.toLowerCase());
        const verdict = customerFacts ? decide(row.topic as OutreachTopic, customerFacts, deps.settings) : ({ action: "skip", reason: "no_customer" } as const);
        const day = row.notBefore.toISOString().slice(0, 10);
        const key = `${day}\u0000${row.kind}`;
        const cell = cells.get(key) ?? { day, plan: row.kind, messages: 0, send: 0, defer: {}, skip: {} };
        cell.messages += 1;
        if (verdict.action === "send") cell.send += 1;
        else {
          const counts = verdict.action === "defer" ? cell.defer : cell.skip;
          counts[verdict.reason] = (counts[verdict.reason] ?? 0) + 1;
        }
        cells.set(key, cell);
        total += 1;
      }
    }
    const last: QueuedRow = page[page.length - 1]!;
    after = { notBefore: last.notBefore, id: last.id };
    if (page.length < pageSize) break;
  }
  const sorted = [...cells.values()].sort((a, b) => a.day.localeCompare(b.day) || a.plan.localeCompare(b.plan));
  return { from: window.from.toISOString(), to: window.to.toISOString(), cells: sorted, total };
}

/** The calendar's usual window: from today's UTC midnight, `days` days. */
export function calendarWindow(now: Date, days = 14): { from: Date; to: Date } {
  const from = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);
  return { from, to: new Date(from.getTime() + days * DAY_MS) };
}
