import type { CarePlanRepository, UpliftGroup } from "../db/repositories/care-plan-repository.ts";
import { CAMPAIGN_KIND } from "../db/repositories/campaign-repository.ts";
import { TendError } from "../errors.ts";
import { type Difference, MIN_GROUP_SIZE, proportionDifference, welchDifference } from "./uplift-stats.ts";

const DAY_MS = 86_400_000;

/** The plan names `--plan` takes, and the outbox kind each plan writes. */
export const reportPlans: Readonly<Record<string, string>> = {
  birthday: "birthday",
  festival: "festival",
  festivals: "festival",
  "check-in": "checkin",
  checkin: "checkin",
  "win-back": "winback",
  winback: "winback",
  anniversary: "anniversary",
  "tier-upgrade": "tier_upgrade",
};

/** Which outbox rows a `--plan` names: a plan's kind, and for one campaign the prefix of its rows' dedupe keys. */
export interface PlanRows {
  kind: string;
  dedupePrefix?: string;
}

const oneCampaign = /^campaign:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/**
 * The outbox rows of a `--plan` name: a care plan, `campaign` (every campaign) or `campaign:<id>`
 * (one campaign, whose rows are keyed `campaign:<id>:<customer>`); a clear error for anything else.
 */
export function rowsOfPlan(plan: string): PlanRows {
  const kind = reportPlans[plan];
  if (kind) return { kind };
  if (plan === "campaign" || plan === "campaigns") return { kind: CAMPAIGN_KIND };
  const campaign = oneCampaign.exec(plan);
  if (campaign) return { kind: CAMPAIGN_KIND, dedupePrefix: `campaign:${campaign[1]!.toLowerCase()}:` };
  throw new TendError("REPORT_BAD_PLAN", `--plan must be one of ${Object.keys(reportPlans).join(", ")}, campaign or campaign:<campaign id> (got ${JSON.stringify(plan)})`);
}

/** The outbox kind of a `--plan` name; a clear error for anything else. */
export function kindOfPlan(plan: string): string {
  return rowsOfPlan(plan).kind;
}

export interface WindowReport {
  days: number;
  /** Occurrences due up to here have their whole window behind them; later ones are left out. */
  until: Date;
  treated: number;
  control: number;
  /** Null (with `tooFew`) when either group is smaller than MIN_GROUP_SIZE. */
  repeatPurchase: Difference | null;
  revenuePerCustomer: (Difference & { degreesOfFreedom: number }) | null;
  csatAnswered: Difference | null;
  optOut: Difference | null;
  tooFew: string | null;
}

export interface UpliftReport {
  plan: string;
  kind: string;
  since: Date;
  windows: WindowReport[];
}

/**
 * Treated vs control for one plan: per window (30 and 90 days), customers, repeat-purchase rate,
 * revenue per customer, CSAT answered and opt-outs, each with the difference and its 95 % interval
 * (two-proportion for rates, Welch for revenue). Each customer counts once, from their first
 * occurrence since `since` whose whole window has passed by `now`.
 */
export async function upliftReport(repository: CarePlanRepository, plan: string, since: Date, now: Date, windows = [30, 90]): Promise<UpliftReport> {
  const { kind, dedupePrefix } = rowsOfPlan(plan);
  const result: WindowReport[] = [];
  for (const days of windows) {
    const until = new Date(now.getTime() - days * DAY_MS);
    const groups = await repository.upliftGroups(kind, since, until, days, dedupePrefix);
    const none: UpliftGroup = { control: false, customers: 0, repeaters: 0, revenue: 0, revenueSquares: 0, csatAnswered: 0, optedOut: 0 };
    const t = groups.find((g) => !g.control) ?? none;
    const c = groups.find((g) => g.control) ?? { ...none, control: true };
    const tooFew =
      t.customers < MIN_GROUP_SIZE || c.customers < MIN_GROUP_SIZE
        ? `too few customers to compare (treated ${t.customers}, control ${c.customers}; at least ${MIN_GROUP_SIZE} each)`
        : null;
    result.push({
      days,
      until,
      treated: t.customers,
      control: c.customers,
      repeatPurchase: proportionDifference(t.repeaters, t.customers, c.repeaters, c.customers),
      revenuePerCustomer: welchDifference(
        { n: t.customers, sum: t.revenue, sumOfSquares: t.revenueSquares },
        { n: c.customers, sum: c.revenue, sumOfSquares: c.revenueSquares },
      ),
      csatAnswered: proportionDifference(t.csatAnswered, t.customers, c.csatAnswered, c.customers),
      optOut: proportionDifference(t.optedOut, t.customers, c.optedOut, c.customers),
      tooFew,
    });
  }
  return { plan, kind, since, windows: result };
}

export function formatUpliftReport(report: UpliftReport): string {
  const day = (date: Date) => date.toISOString().slice(0, 10);
  const lines = [`Care plan "${report.plan}": treated vs control, first occurrence per customer since ${day(report.since)}`];
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  const pts = (v: number) => `${v >= 0 ? "+" : ""}${(v * 100).toFixed(1)} pts`;
  const money = (v: number) => v.toFixed(2);
  const signedMoney = (v: number) => `${v >= 0 ? "+" : ""}${v.toFixed(2)}`;
  for (const w of report.windows) {
    lines.push("", `${w.days} days after (occurrences due by ${day(w.until)}): treated ${w.treated}, control ${w.control}`);
    if (w.tooFew) {
      lines.push(`  ${w.tooFew}`);
      continue;
    }
    const rate = (label: string, d: Difference | null) =>
      d && lines.push(`  ${label.padEnd(22)} ${pct(d.treated).padStart(7)} vs ${pct(d.control).padStart(7)}   ${pts(d.difference)} (95% CI ${pts(d.low)} to ${pts(d.high)})`);
    rate("repeat purchase", w.repeatPurchase);
    const r = w.revenuePerCustomer;
    if (r) {
      lines.push(
        `  ${"revenue per customer".padEnd(22)} ${money(r.treated).padStart(7)} vs ${money(r.control).padStart(7)}   ${signedMoney(r.difference)} (95% CI ${signedMoney(r.low)} to ${signedMoney(r.high)}, Welch)`,
      );
    }
    rate("CSAT answered", w.csatAnswered);
    rate("opted out", w.optOut);
  }
  return `${lines.join("\n")}\n`;
}
