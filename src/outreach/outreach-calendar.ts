import type { PrismaClient } from "../db/generated/client.ts";
import type { ContactFactsRepository } from "../db/repositories/contact-facts-repository.ts";
import { type ContactPolicySettings, decide } from "./contact-policy.ts";
import type { OutreachTopic } from "./topics.ts";

const DAY_MS = 86_400_000;

/** One plan's messages due on one day, with what the contact policy would do with the first of them. */
export interface CalendarCell {
  /** The UTC day, YYYY-MM-DD. */
  day: string;
  /** The outbox row's kind: the care plan (birthday, festival, checkin…), campaign, case_followup… */
  plan: string;
  /** Messages due; one per customer, since a plan queues one row per customer and occurrence. */
  messages: number;
  /** How many of them (the first by due time) the policy judged: send + defer + skip add up to this. */
  judged: number;
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
  /** The most rows judged per day and plan. */
  judgeLimit: number;
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
 * The queued outbox rows due in [from, to), counted per UTC day and plan in one GROUP BY, and the
 * first `judgeLimit` of each day and plan (by due time) judged by the contact policy as `tend
 * outreach preview` judges them (`decide` over ContactFactsRepository's facts) at their due time,
 * or now when that has passed. Judging every row read each customer's facts: 30 s for 100,000
 * queued greetings under load; a bounded sample keeps the page's cost flat however many are queued,
 * and shows the same reasons. What it cannot foresee: what changes before the send, and occurrences
 * the care planner has not written yet (careForecast counts those).
 */
export async function outreachCalendar(
  deps: OutreachCalendarDependencies,
  window: { from: Date; to: Date; now: Date; judgeLimit?: number },
): Promise<OutreachCalendar> {
  const judgeLimit = window.judgeLimit ?? 200;
  const cells = new Map<string, CalendarCell>();
  const counts = await deps.prisma.$queryRaw<{ day: string; kind: string; n: number }[]>`
    SELECT to_char("notBefore", 'YYYY-MM-DD') AS day, kind, count(*)::int AS n
      FROM "OutboxMessage"
     WHERE status = 'pending' AND audience = 'customer' AND "notBefore" >= ${window.from}::timestamp AND "notBefore" < ${window.to}::timestamp
     GROUP BY 1, 2`;
  let total = 0;
  for (const row of counts) {
    cells.set(`${row.day}\u0000${row.kind}`, { day: row.day, plan: row.kind, messages: row.n, judged: 0, send: 0, defer: {}, skip: {} });
    total += row.n;
  }
  const sample: QueuedRow[] = judgeLimit > 0 && total > 0
    ? await deps.prisma.$queryRaw<QueuedRow[]>`
    SELECT id, "customerId", topic, kind, "notBefore" FROM (
      SELECT id, "customerId", topic, kind, "notBefore",
             row_number() OVER (PARTITION BY to_char("notBefore", 'YYYY-MM-DD'), kind ORDER BY "notBefore", id) AS rank
        FROM "OutboxMessage"
       WHERE status = 'pending' AND audience = 'customer' AND "notBefore" >= ${window.from}::timestamp AND "notBefore" < ${window.to}::timestamp) q
     WHERE rank <= ${judgeLimit}`
    : [];
  // Facts depend on the moment (quiet hours, the cap's window): read once per distinct judging time.
  const byTime = new Map<number, QueuedRow[]>();
  for (const row of sample) {
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
      const cell = cells.get(`${row.notBefore.toISOString().slice(0, 10)}\u0000${row.kind}`);
      if (!cell) continue;
      cell.judged += 1;
      if (verdict.action === "send") cell.send += 1;
      else {
        const tally = verdict.action === "defer" ? cell.defer : cell.skip;
        tally[verdict.reason] = (tally[verdict.reason] ?? 0) + 1;
      }
    }
  }
  const sorted = [...cells.values()].sort((a, b) => a.day.localeCompare(b.day) || a.plan.localeCompare(b.plan));
  return { from: window.from.toISOString(), to: window.to.toISOString(), cells: sorted, total, judgeLimit };
}

/** The calendar's usual window: from today's UTC midnight, `days` days. */
export function calendarWindow(now: Date, days = 14): { from: Date; to: Date } {
  const from = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);
  return { from, to: new Date(from.getTime() + days * DAY_MS) };
}
