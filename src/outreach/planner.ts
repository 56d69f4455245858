import { festivalDates as calendarFestivalDates, type FestivalDate, type FixedFestival, lunarBirthdayIn } from "../calendar/index.ts";
import { festivalsBetween, lunarMonthDaysOn } from "./care-occasions.ts";
import type { OutboundMessage } from "../core/channel.ts";
import type { Clock } from "../core/clock.ts";
import type { CarePlanRepository, PlanCustomer } from "../db/repositories/care-plan-repository.ts";
import { type Tier, defaultTiers, tierNameIn } from "../loyalty/tiers.ts";
import type { CarePlans } from "./care-plans-file.ts";
import { isControl } from "./planner-control.ts";
import { ZoneDays, addDays, localDate, yearlyDate } from "./planner-time.ts";
import { type LocalizedTemplate, type TemplateValues, renderTemplate } from "./templates.ts";
import type { OutreachTopic } from "./topics.ts";

const DAY_MS = 86_400_000;

export type CarePlanKind = "birthday" | "festival" | "checkin" | "winback" | "anniversary" | "tier_upgrade";

/** One planned care message: an outbox row to send, or (control) a row recorded and never sent. */
export interface PlannedMessage {
  customerId: string;
  topic: OutreachTopic;
  kind: CarePlanKind;
  message: OutboundMessage;
  /** Unique per customer, plan and occurrence: a second plan of the same occurrence writes nothing. */
  dedupeKey: string;
  /** The plan's local send time in the customer's zone; quiet hours and caps are the contact policy's, at send time. */
  notBefore: Date;
  /** Held out for the plan's control group (issue 14). */
  control: boolean;
}

/**
 * An occasion found due, its text not yet written: rendering waits until its dedupe key is known to
 * be new, so a re-run (every key already queued) renders and writes nothing.
 */
export interface PlanDraft extends Omit<PlannedMessage, "message"> {
  render(): OutboundMessage;
}

/**
 * Queues a check-in together with a CSAT invitation whose answer buttons it carries, in one
 * transaction. Returns false (nothing written) when the customer cannot be invited (surveys off,
 * no channel identity): the check-in then goes out as text alone.
 */
export interface CheckinSurveys {
  inviteWith(row: PlannedMessage, orderId: string): Promise<boolean>;
}

/** Where planned messages go: the outbox. Returns how many rows were new (the rest were planned before). */
export interface PlanWriter {
  write(rows: PlannedMessage[]): Promise<number>;
}

export interface PlanCounts {
  /** Occurrences due in this run (today or tomorrow in the customer's zone). */
  due: number;
  /** Rows newly written (due minus those planned before). */
  written: number;
  /** Of the due occurrences, how many fell in the control group. */
  control: number;
}

export type PlannerReport = Record<CarePlanKind, PlanCounts>;

export interface CarePlannerOptions {
  plans: CarePlans;
  repository: CarePlanRepository;
  writer: PlanWriter;
  clock: Clock;
  /** The birthday bonus the birthday job books (LOYALTY_BIRTHDAY_BONUS_POINTS), shown as {points}. */
  birthdayBonusPoints: number;
  /** The loyalty tiers in rising order (LOYALTY_TIERS): which change is an upgrade, and the tier's names. */
  tiers?: readonly Tier[];
  /** Customers (or orders) read and written per round trip. */
  batchSize?: number;
  /** Attaches a CSAT invitation to each check-in; without it check-ins are text alone. */
  checkinSurveys?: CheckinSurveys;
  /** The festival calendar (src/calendar); replaceable in tests. */
  festivalDates?: (year: number, extra: readonly FixedFestival[]) => FestivalDate[];
}

/**
 * Plans care messages into the outbox. Each run looks at occasions falling today or tomorrow in
 * each customer's own time zone, so an hourly run plans every occasion about a day ahead and the
 * send time is the plan's local time. Customers are read in keyset pages of `batchSize`, rendered
 * in their locale, and written per page; the dedupe key makes re-runs and concurrent planners
 * harmless. An occasion whose day passed while Tend was down is not planned late.
 */
export class CarePlanner {
  private readonly batchSize: number;
  private readonly festivalDates: (year: number, extra: readonly FixedFestival[]) => FestivalDate[];

  constructor(private readonly options: CarePlannerOptions) {
    this.batchSize = options.batchSize ?? 500;
    this.festivalDates = options.festivalDates ?? calendarFestivalDates;
  }

  async run(): Promise<PlannerReport> {
    const now = this.options.clock.now();
    const plans = this.options.plans;
    const report: PlannerReport = {
      birthday: empty(),
      festival: empty(),
      checkin: empty(),
      winback: empty(),
      anniversary: empty(),
      tier_upgrade: empty(),
    };
    const days = new ZoneDays(now);
    if (plans.birthday.enabled) report.birthday = await this.planBirthdays(days);
    if (plans.festivals.enabled) report.festival = await this.planFestivals(days);
    if (plans.checkin.enabled) report.checkin = await this.planCheckins(days);
    if (plans.winback.enabled) report.winback = await this.planWinbacks(days);
    if (plans.anniversary.enabled) report.anniversary = await this.planAnniversaries(days);
    if (plans.tierUpgrade.enabled) report.tier_upgrade = await this.planTierUpgrades(days);
    return report;
  }

  private async planBirthdays(days: ZoneDays): Promise<PlanCounts> {
    const now = days.now;
    const plan = this.options.plans.birthday;
    const counts = empty();
    const monthDays = candidateMonthDays(now);
    for (let after: string | null = null; ; ) {
      const page = await this.options.repository.birthdaysOn(monthDays, after, this.batchSize);
      const rows: PlanDraft[] = [];
      for (const customer of page) {
        const occasion = dueOccasion(days, customer.timeZone, plan.sendAt, (year) => yearlyDate(year, customer.birthday));
        if (!occasion) continue;
        rows.push(
          this.planned(days, customer, "birthday", `birthday:${customer.id}:${occasion.year}`, occasion.date, plan.sendAt, plan.control, plan.message, {
            points: this.options.birthdayBonusPoints,
          }),
        );
      }
      await this.write(rows, counts);
      if (page.length < this.batchSize) break;
      after = page[page.length - 1]!.id;
    }
    // Lunar (农历) birthdays fall on the Gregorian date of that lunar day each year (src/calendar decides
    // leap months and short months); the key is the Gregorian year of the celebration, as for the bonus.
    const lunarMonthDays = lunarMonthDaysOn(candidateDates(now));
    for (let after: string | null = null; ; ) {
      const page = await this.options.repository.lunarBirthdaysOn(lunarMonthDays, after, this.batchSize);
      const rows: PlanDraft[] = [];
      for (const customer of page) {
        const occasion = dueOccasion(days, customer.timeZone, plan.sendAt, (year) => lunarBirthdayIn(year, customer.lunarMonth, customer.lunarDay) ?? "");
        if (!occasion) continue;
        rows.push(
          this.planned(days, customer, "birthday", `birthday:${customer.id}:${occasion.year}`, occasion.date, plan.sendAt, plan.control, plan.message, {
            points: this.options.birthdayBonusPoints,
          }),
        );
      }
      await this.write(rows, counts);
      if (page.length < this.batchSize) return counts;
      after = page[page.length - 1]!.id;
    }
  }

  private async planAnniversaries(days: ZoneDays): Promise<PlanCounts> {
    const now = days.now;
    const plan = this.options.plans.anniversary;
    const counts = empty();
    const monthDays = candidateMonthDays(now);
    for (let after: string | null = null; ; ) {
      const page = await this.options.repository.joinedOn(monthDays, now.getUTCFullYear() + 1, after, this.batchSize);
      const rows: PlanDraft[] = [];
      for (const customer of page) {
        const occasion = dueOccasion(days, customer.timeZone, plan.sendAt, (year) => yearlyDate(year, customer.joinedOn.slice(5)));
        if (!occasion || occasion.year <= Number(customer.joinedOn.slice(0, 4))) continue;
        rows.push(this.planned(days, customer, "anniversary", `anniversary:${customer.id}:${occasion.year}`, occasion.date, plan.sendAt, plan.control, plan.message, {}));
      }
      await this.write(rows, counts);
      if (page.length < this.batchSize) return counts;
      after = page[page.length - 1]!.id;
    }
  }

  private async planFestivals(days: ZoneDays): Promise<PlanCounts> {
    const now = days.now;
    const plan = this.options.plans.festivals;
    const counts = empty();
    // Somewhere on Earth it is between yesterday and the day after tomorrow (UTC) today or tomorrow.
    const first = new Date(now.getTime() - DAY_MS).toISOString().slice(0, 10);
    const last = new Date(now.getTime() + 2 * DAY_MS).toISOString().slice(0, 10);
    const festivals = festivalsBetween(plan, this.festivalDates, first, last);

    for (const festival of festivals) {
      const audience = festival.audience;
      const year = festival.date.slice(0, 4);
      for (let after: string | null = null; ; ) {
        const page = await this.options.repository.audience(audience.locales, audience.tags, after, this.batchSize);
        const rows: PlanDraft[] = [];
        for (const customer of page) {
          const occasion = dueOccasion(days, customer.timeZone, plan.sendAt, () => festival.date);
          if (!occasion) continue;
          const name = isChinese(customer.locale) ? festival.name.zhCN : festival.name.en;
          rows.push(
            this.planned(days, customer, "festival", `festival:${festival.key}:${customer.id}:${year}`, occasion.date, plan.sendAt, plan.control, plan.message, {
              festival: name,
            }),
          );
        }
        await this.write(rows, counts);
        if (page.length < this.batchSize) break;
        after = page[page.length - 1]!.id;
      }
    }
    return counts;
  }

  private async planCheckins(days: ZoneDays): Promise<PlanCounts> {
    const now = days.now;
    const plan = this.options.plans.checkin;
    const counts = empty();
    const cooldownMs = plan.cooldownDays * DAY_MS;
    // Orders whose local date plus N days is today or tomorrow somewhere.
    const from = new Date(now.getTime() - (plan.daysAfterOrder + 2) * DAY_MS);
    const to = new Date(now.getTime() - (plan.daysAfterOrder - 2) * DAY_MS);
    for (let after: { placedAt: Date; id: string } | null = null; ; ) {
      const page = await this.options.repository.ordersPlaced(from, to, after, this.batchSize);
      const orderOf = new Map<string, string>();
      const due = page.flatMap((order) => {
        const zone = days.zone(order.customer.timeZone);
        const dueDate = addDays(localDate(order.placedAt, zone), plan.daysAfterOrder);
        const occasion = dueOccasion(days, zone, plan.sendAt, () => dueDate);
        if (!occasion) return [];
        const row = this.planned(days, order.customer, "checkin", `checkin:${order.orderId}`, occasion.date, plan.sendAt, plan.control, plan.message, {});
        orderOf.set(row.dedupeKey, order.orderId);
        return [row];
      });
      const rows: PlanDraft[] = [];
      if (due.length > 0 && cooldownMs > 0) {
        const times = due.map((row) => row.notBefore.getTime());
        const earlier = await this.options.repository.plannedOfKind(
          "checkin",
          due.map((row) => row.customerId),
          new Date(Math.min(...times) - cooldownMs),
          new Date(Math.max(...times) + cooldownMs),
        );
        for (const row of due) {
          const others = (earlier.get(row.customerId) ?? []).filter((other) => other.dedupeKey !== row.dedupeKey);
          if (others.some((other) => Math.abs(other.notBefore.getTime() - row.notBefore.getTime()) < cooldownMs)) continue;
          rows.push(row);
          // A second order of the same customer in this page meets this one as "earlier".
          earlier.set(row.customerId, [...(earlier.get(row.customerId) ?? []), { dedupeKey: row.dedupeKey, notBefore: row.notBefore }]);
        }
      } else {
        rows.push(...due);
      }
      await this.writeCheckins(rows, orderOf, counts);
      if (page.length < this.batchSize) return counts;
      const last = page[page.length - 1]!;
      after = { placedAt: last.placedAt, id: last.orderId };
    }
  }

  private async planWinbacks(days: ZoneDays): Promise<PlanCounts> {
    const now = days.now;
    const plan = this.options.plans.winback;
    const counts = empty();
    // The next order ends the lapse: an offer still queued for it is not sent.
    await this.options.repository.cancelAfterOrder("winback", "the customer ordered again before the win-back was sent");
    for (let after: string | null = null; ; ) {
      const page = await this.options.repository.lapsing(plan, after, this.batchSize);
      // Scores are as of the last refresh: an order since then has already ended the lapse.
      const lapseStart = new Map(page.map((customer) => [customer.id, customer.lastOrderAt]));
      const returned = await this.options.repository.orderedSince(
        page.map((customer) => customer.id),
        lapseStart,
      );
      const rows: PlanDraft[] = [];
      for (const customer of page) {
        if (returned.has(customer.id)) continue;
        const zone = days.zone(customer.timeZone);
        const today = days.today(zone);
        const sendToday = days.instant(today, plan.sendAt, zone) > now;
        const date = sendToday ? today : days.tomorrow(zone);
        const lapse = customer.lastOrderAt.toISOString().slice(0, 10);
        const reward = renderTemplate(plan.reward, customer.locale, {});
        rows.push(this.planned(days, customer, "winback", `winback:${customer.id}:${lapse}`, date, plan.sendAt, plan.control, plan.message, { reward }));
      }
      await this.write(rows, counts);
      if (page.length < this.batchSize) return counts;
      after = page[page.length - 1]!.id;
    }
  }

  /**
   * Congratulates each tier upgrade the loyalty service recorded on the timeline (written in the
   * same transaction as the order or bonus that caused it, so none is lost to a crash) within the
   * last two days, once per change, to be sent at once (the contact policy still decides when).
   */
  private async planTierUpgrades(days: ZoneDays): Promise<PlanCounts> {
    const now = days.now;
    const plan = this.options.plans.tierUpgrade;
    const tiers = this.options.tiers ?? defaultTiers;
    const rank = (name: string | null) => (name === null ? 0 : tiers.findIndex((tier) => tier.name === name));
    const counts = empty();
    const since = new Date(now.getTime() - 2 * DAY_MS);
    for (let after: { occurredAt: Date; id: string } | null = null; ; ) {
      const page = await this.options.repository.tierChangesSince(since, after, this.batchSize);
      const rows: PlanDraft[] = [];
      for (const change of page) {
        if (change.occurredAt > now || rank(change.to) <= rank(change.from)) continue;
        const dedupeKey = `tier-upgrade:${change.customer.id}:${change.interactionId}`;
        const customer = change.customer;
        const to = change.to;
        rows.push({
          customerId: customer.id,
          topic: "care",
          kind: "tier_upgrade",
          render: () => {
            const tier = tierNameIn(tiers, to, isChinese(customer.locale) ? "zh-CN" : "en");
            return { text: renderTemplate(plan.message, customer.locale, { name: nameOf(customer), tier }) };
          },
          dedupeKey,
          notBefore: change.occurredAt,
          control: isControl(change.customer.id, dedupeKey, plan.control),
        });
      }
      await this.write(rows, counts);
      if (page.length < this.batchSize) return counts;
      const last = page[page.length - 1]!;
      after = { occurredAt: last.occurredAt, id: last.interactionId };
    }
  }

  private planned(
    days: ZoneDays,
    customer: PlanCustomer,
    kind: CarePlanKind,
    dedupeKey: string,
    date: string,
    sendAt: string,
    controlShare: number,
    template: LocalizedTemplate,
    values: TemplateValues,
  ): PlanDraft {
    return {
      customerId: customer.id,
      topic: "care",
      kind,
      render: () => ({ text: renderTemplate(template, customer.locale, { name: nameOf(customer), ...values }) }),
      dedupeKey,
      notBefore: new Date(days.instant(date, sendAt, days.zone(customer.timeZone)).getTime()),
      control: isControl(customer.id, dedupeKey, controlShare),
    };
  }

  /**
   * Check-ins to send carry a CSAT invitation, made with the row in one transaction; only rows not
   * planned before get one, so a re-run never invites twice. Control rows and customers who cannot
   * be invited are written as they are.
   */
  private async writeCheckins(rows: PlanDraft[], orderOf: Map<string, string>, counts: PlanCounts): Promise<void> {
    const surveys = this.options.checkinSurveys;
    if (!surveys || rows.length === 0) return this.write(rows, counts);
    const planned = await this.options.repository.existingDedupeKeys(rows.map((row) => row.dedupeKey));
    const plain: PlanDraft[] = [];
    for (const row of rows) {
      if (row.control || planned.has(row.dedupeKey)) {
        plain.push(row);
        continue;
      }
      if (await surveys.inviteWith(rendered(row), orderOf.get(row.dedupeKey)!)) {
        counts.due += 1;
        counts.written += 1;
      } else {
        plain.push(row);
      }
    }
    await this.write(plain, counts);
  }

  /** Counts the page's due occasions and writes those whose key is not queued yet, rendered now. */
  private async write(rows: PlanDraft[], counts: PlanCounts): Promise<void> {
    if (rows.length === 0) return;
    counts.due += rows.length;
    counts.control += rows.filter((row) => row.control).length;
    const queued = await this.options.repository.existingDedupeKeys(rows.map((row) => row.dedupeKey));
    const fresh = rows.filter((row) => !queued.has(row.dedupeKey)).map(rendered);
    // Another planner may write some of these between the look and the write: the key still holds.
    if (fresh.length) counts.written += await this.options.writer.write(fresh);
  }
}

function rendered({ render, ...row }: PlanDraft): PlannedMessage {
  return { ...row, message: render() };
}

function empty(): PlanCounts {
  return { due: 0, written: 0, control: 0 };
}

/** Every UTC date ("YYYY-MM-DD") that is today or tomorrow somewhere on Earth. */
function candidateDates(now: Date): string[] {
  return [-1, 0, 1, 2].map((offset) => new Date(now.getTime() + offset * DAY_MS).toISOString().slice(0, 10));
}

/** "MM-DD" of every UTC day on which it can be today or tomorrow somewhere; 29 Feb joins 28 Feb in common years. */
function candidateMonthDays(now: Date): string[] {
  const days = candidateDates(now);
  const monthDays = new Set(days.map((day) => day.slice(5)));
  if (monthDays.has("02-28")) monthDays.add("02-29");
  return [...monthDays];
}

/** How long after its send time an occasion of today is still planned (first seen late: set today, or Tend was down). */
const LATE_LIMIT_MS = 6 * 3_600_000;

/**
 * The occasion if it falls today or tomorrow in the customer's zone: its date and the year that
 * keys it. `dateIn(year)` gives the occasion's date in a year. One of today whose send time is more
 * than LATE_LIMIT_MS past is left out: a greeting seen only at 23:00 would otherwise wait for quiet
 * hours to end and arrive the next day.
 */
function dueOccasion(days: ZoneDays, timeZone: string, sendAt: string, dateIn: (year: number) => string): { date: string; year: number } | null {
  const zone = days.zone(timeZone);
  const today = days.today(zone);
  const tomorrow = days.tomorrow(zone);
  for (const day of [today, tomorrow]) {
    const year = Number(day.slice(0, 4));
    if (dateIn(year) !== day) continue;
    if (day === today && days.now.getTime() - days.instant(day, sendAt, zone).getTime() > LATE_LIMIT_MS) return null;
    return { date: day, year };
  }
  return null;
}

function isChinese(locale: string): boolean {
  return locale.toLowerCase().startsWith("zh");
}

function nameOf(customer: PlanCustomer): string {
  const name = customer.displayName?.trim();
  if (name) return name;
  return isChinese(customer.locale) ? "朋友" : "friend";
}
