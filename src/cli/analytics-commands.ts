import type cliProgress from "cli-progress";
import { type Command, InvalidArgumentError } from "commander";
import { LIFECYCLE_STAGE_LABELS, type LifecycleStageName } from "../analytics/lifecycle.ts";
import type { AnalyticsConfig, AnalyticsSettings, RefreshReport, ScoreExplanation } from "../analytics/refresh.ts";
import { RELATIONSHIP_LEVEL_LABELS, type RelationshipLevelName } from "../analytics/relationship.ts";
import { RFM_SEGMENT_LABELS, type RfmSegment } from "../analytics/rfm.ts";
import { type Clock, systemClock } from "../core/clock.ts";
import type { Database } from "../db/database.ts";
import type { CustomerCard } from "../customers/customer-card-types.ts";
import type { LoyaltyConfig, LoyaltySettings } from "../loyalty/settings.ts";
import { lunarMonthDayZh } from "../calendar/index.ts";
import { TendError } from "../errors.ts";

export interface AnalyticsCommandOptions {
  clock?: Clock;
  /** Overrides on top of the configuration, e.g. a small batch size in tests. */
  settings?: Partial<AnalyticsSettings>;
  /** For tests; default process.stdout / process.stderr. A progress bar is drawn only on a TTY. */
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
  /**
   * The loyalty settings `customer show` computes points and tiers with; default: from the
   * configuration when it has the LOYALTY_* variables (it does under `tend`), else the defaults.
   */
  loyaltySettings?: () => Partial<LoyaltySettings>;
}

type Lang = "en" | "zh";

/** `tend analytics refresh` and `tend customer show <id>`. */
export function registerAnalyticsCommands(
  program: Command,
  openDb: () => Promise<Database>,
  config: () => AnalyticsConfig,
  options: AnalyticsCommandOptions = {},
): void {
  const out = (text: string) => void (options.stdout ?? process.stdout).write(text);

  // Other helpers may have made these groups already; join them rather than replace them.
  const analytics =
    program.commands.find((c) => c.name() === "analytics") ??
    program.command("analytics").description("customer analytics: RFM segments, lifecycle stages, relationship levels, lifetime value");
  analytics
    .command("refresh")
    .description(
      "recompute every customer's scores now (the server also does it on ANALYTICS_REFRESH_CRON): RFM segment, " +
        "lifecycle stage, relationship level, probability active, predicted purchases and lifetime value",
    )
    .option("--json", "print the summary as JSON")
    .action(async (flags: { json?: boolean }) => {
      const report = await runAnalyticsRefresh(openDb, config, options);
      out(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatRefreshReport(report));
    });

  const customer = program.commands.find((c) => c.name() === "customer") ?? program.command("customer").description("look up customers");
  customer
    .command("show <id>")
    .description("everything about one customer (Tend id or your external id): profile, channels, consent, points, orders, interactions, open cases, scores")
    .option("--json", "print JSON instead of text")
    .option("--lang <lang>", "language of the score explanations: en or zh", parseLang, "en" as Lang)
    .option("--recent <n>", "how many recent interactions to list", parseRecent, 10)
    .action(async (id: string, flags: { json?: boolean; lang: Lang; recent: number }) => {
      // Imported here, not at the top: `tend --help` should not load the database client.
      const [{ CustomerCards }, { LoyaltyService }, { loyaltySettingsFromConfig }] = await Promise.all([
        import("../customers/customer-card.ts"),
        import("../loyalty/loyalty-service.ts"),
        import("../loyalty/settings.ts"),
      ]);
      const db = await openDb();
      try {
        // The card the API and Slack show, with the loyalty service's figures under the configured settings.
        const loyaltySettings = options.loyaltySettings?.() ?? loyaltySettingsOf(config(), loyaltySettingsFromConfig);
        const clock = options.clock ?? systemClock;
        const loyalty = new LoyaltyService({ prisma: db.prisma, clock, settings: loyaltySettings });
        const card = await new CustomerCards({ prisma: db.prisma, loyalty, clock }).cardOf(id, { recent: flags.recent });
        if (!card) throw new TendError("CUSTOMER_NOT_FOUND", `no customer with id or external id ${JSON.stringify(id)}`);
        out(flags.json ? `${JSON.stringify(card, null, 2)}\n` : formatCustomerCard(card, flags.lang));
      } finally {
        await db.close();
      }
    });
}

/** Loyalty settings from a configuration that has the LOYALTY_* variables; the defaults otherwise. */
function loyaltySettingsOf(config: AnalyticsConfig, fromConfig: (config: LoyaltyConfig) => LoyaltySettings): Partial<LoyaltySettings> {
  const loyalty = config as AnalyticsConfig & Partial<LoyaltyConfig>;
  return loyalty.LOYALTY_TIERS !== undefined && loyalty.LOYALTY_POINTS_PER_UNIT !== undefined ? fromConfig(loyalty as LoyaltyConfig) : {};
}

function parseLang(value: string): Lang {
  const lang = value.trim().toLowerCase();
  if (lang === "en") return "en";
  if (lang === "zh" || lang === "zh-cn") return "zh";
  throw new InvalidArgumentError("must be en or zh");
}

function parseRecent(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 1000) throw new InvalidArgumentError("must be a whole number from 0 to 1000");
  return n;
}

/** Runs one refresh with a progress bar on a terminal; a refresh already running elsewhere is an error here. */
export async function runAnalyticsRefresh(
  openDb: () => Promise<Database>,
  config: () => AnalyticsConfig,
  options: AnalyticsCommandOptions = {},
): Promise<Extract<RefreshReport, { status: "done" }>> {
  const stderr = options.stderr ?? process.stderr;
  const { analyticsSettingsFromConfig, refreshAnalytics } = await import("../analytics/refresh.ts");
  const { default: cliProgress } = await import("cli-progress");
  const settings = { ...analyticsSettingsFromConfig(config()), ...options.settings };
  const db = await openDb();
  let bar: cliProgress.SingleBar | undefined;
  try {
    const report = await refreshAnalytics({
      prisma: db.prisma,
      sql: db.sql,
      clock: options.clock ?? systemClock,
      settings,
      onProgress: (done, total, phase) => {
        if (!stderr.isTTY) return;
        if (!bar) {
          bar = new cliProgress.SingleBar(
            { stream: stderr as NodeJS.WriteStream, format: "{phase} [{bar}] {value}/{total} customers", hideCursor: true, clearOnComplete: true },
            cliProgress.Presets.shades_classic,
          );
          bar.start(Math.max(total, 1), 0, { phase });
        }
        bar.setTotal(Math.max(total, 1));
        bar.update(done, { phase });
      },
    });
    bar?.stop();
    bar = undefined;
    if (report.status === "skipped") throw new TendError("ANALYTICS_BUSY", `${report.reason}; try again when it has finished`);
    return report;
  } finally {
    bar?.stop();
    await db.close();
  }
}

const tally = (counts: Record<string, number>, order: readonly string[]) =>
  [...order.filter((k) => counts[k]), ...Object.keys(counts).filter((k) => !order.includes(k))].map((k) => `${k} ${counts[k]}`).join(", ") || "-";

const num = (value: number, digits = 3) => Number(value.toPrecision(digits)).toString();

export function formatRefreshReport(report: Extract<RefreshReport, { status: "done" }>): string {
  const { models } = report;
  const lines = [
    `Analytics refreshed for ${report.customers} customer${report.customers === 1 ? "" : "s"} in ${(report.ms / 1000).toFixed(1)} s (run ${report.runId})`,
    `  with orders: ${report.withOrders}, RFM-scored: ${report.rfmScored}, repeat buyers: ${report.repeatBuyers}`,
  ];
  if (models.bgnbd) {
    const { r, alpha, a, b } = models.bgnbd;
    lines.push(`  BG/NBD (weeks): r ${num(r)}, alpha ${num(alpha)}, a ${num(a)}, b ${num(b)}`);
  }
  if (models.gammaGamma) {
    const { p, q, v } = models.gammaGamma;
    lines.push(`  Gamma-Gamma: p ${num(p)}, q ${num(q)}, v ${num(v)}`);
  }
  if (models.reason) lines.push(`  predictions ${models.bgnbd ? "partly " : ""}skipped: ${models.reason}`);
  lines.push(
    `  segments: ${tally(report.segments, Object.keys(RFM_SEGMENT_LABELS))}`,
    `  lifecycle: ${tally(report.stages, Object.keys(LIFECYCLE_STAGE_LABELS))}`,
    `  relationship: ${tally(report.levels, Object.keys(RELATIONSHIP_LEVEL_LABELS))}`,
  );
  return `${lines.join("\n")}\n`;
}

const stamp = (date: Date | null | undefined) => (date ? `${date.toISOString().slice(0, 16).replace("T", " ")} UTC` : "-");
const oneLine = (text: string | null, max = 100) => {
  if (text === null) return "";
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/** `tend customer show` as text: every fact of the card (the API's GET /api/customers/:id/card), readable. */
export function formatCustomerCard(card: CustomerCard, lang: Lang = "en"): string {
  const p = card.profile;
  const lines: string[] = [];
  const field = (label: string, value: string | null | undefined) => {
    if (value !== null && value !== undefined && value !== "") lines.push(`  ${label.padEnd(12)}${value}`);
  };
  lines.push(`Customer ${card.customerId}${card.externalId ? ` (external id ${card.externalId})` : ""}`);
  if (card.erasedAt) lines.push(`  ERASED on ${stamp(card.erasedAt)}: personal data was removed on request`);
  field("Name", p.displayName);
  field("Email", p.email);
  field("Phone", p.phone);
  field("Birthday", p.birthday);
  // A lunar birthday, when given, is the one celebrated (bonus and greeting on its Gregorian date each year).
  if (p.lunarBirthday) field("Lunar bday", `${p.lunarBirthday.month}-${p.lunarBirthday.day} (农历${lunarMonthDayZh(p.lunarBirthday.month, p.lunarBirthday.day)})`);
  field("Locale", p.locale);
  field("Time zone", p.timeZone);
  if (p.quietHours) field("Quiet hours", `${p.quietHours.start}-${p.quietHours.end}`);
  field("Tags", p.tags.join(", "));
  field("Created", stamp(p.createdAt));
  const h = card.handover;
  if (h.active) field("Handover", h.heldBy ? `${h.heldBy.name} has the conversation (since ${stamp(h.since)})` : `waiting for staff since ${stamp(h.since)}: nobody has taken it yet`);
  else field("Handover", "none: the bot answers");
  field("Outreach", card.outreach.paused ? `paused until ${stamp(card.outreach.pausedUntil)}` : "not paused");

  lines.push("", `Channels (${card.channels.length})`);
  for (const i of card.channels) {
    const unreachable = i.unreachableAt ? `, unreachable since ${stamp(i.unreachableAt)}` : "";
    lines.push(`  ${i.platform.padEnd(9)}${i.platformUserId}${i.displayName ? ` "${i.displayName}"` : ""}, last seen ${stamp(i.lastSeenAt)}${unreachable}`);
  }
  if (card.channels.length === 0) lines.push("  none");

  const consent = (c: { granted: boolean; since: Date | null }) => `${c.granted ? "yes" : "no"}${c.since ? ` (since ${stamp(c.since)})` : ""}`;
  lines.push("", "Consent");
  lines.push(`  care ${consent(card.consent.care)}; marketing ${consent(card.consent.marketing)}; surveys ${consent(card.consent.surveys)}`);
  lines.push(`  at most ${card.consent.maxCareMessagesPerWeek} care message${card.consent.maxCareMessagesPerWeek === 1 ? "" : "s"} a week`);
  for (const change of card.consent.recentChanges) {
    lines.push(`  ${stamp(change.at)}  ${change.topic} ${change.granted ? "granted" : "withdrawn"} (${change.source})`);
  }

  const l = card.loyalty;
  lines.push("", `Loyalty balance: ${l.balance} points`);
  const unit = l.tierBasis === "points" ? "points earned" : "spent";
  lines.push(`  tier ${l.tier} (${l.tierProgress} ${unit} in the tier window)${l.nextTier ? `; next ${l.nextTier.name} at ${l.nextTier.threshold}, ${l.nextTier.missing} to go` : "; top tier"}`);
  if (l.expiringSoon.points > 0) lines.push(`  ${l.expiringSoon.points} points lapse within ${l.expiringSoon.withinDays} days (first on ${stamp(l.expiringSoon.earliestAt)})`);
  const o = card.orders;
  lines.push(`Orders: ${o.count}${o.count ? `, total ${o.total}, last ${stamp(o.lastPlacedAt)}` : ""}`);

  const survey = (name: string, s: CustomerCard["surveys"]["lastCsat"]) =>
    s ? `${name} ${s.score} on ${stamp(s.at)} (${s.platform})${s.reason ? `: ${oneLine(s.reason, 80)}` : ""}` : `${name} none`;
  lines.push(`Surveys: ${survey("last CSAT", card.surveys.lastCsat)}; ${survey("last NPS", card.surveys.lastNps)}`);

  lines.push("", `Interactions (${card.interactions.total})`);
  for (const row of card.interactions.byKind) lines.push(`  ${row.kind.padEnd(11)}${row.direction.padEnd(4)}${row.count}`);
  if (card.interactions.recent.length) {
    lines.push(`  latest ${card.interactions.recent.length}:`);
    for (const i of card.interactions.recent) {
      const what = i.text !== null ? oneLine(i.text) : i.event ? `[${i.event}]` : "";
      const by = i.staffName ? ` (by ${i.staffName})` : "";
      lines.push(`  ${stamp(i.at)}  ${i.platform.padEnd(9)}${i.direction.padEnd(4)}${i.kind.padEnd(11)}${what}${by}`.trimEnd());
    }
  }

  lines.push("", `Open feedback cases (${card.openCases.length})`);
  for (const fc of card.openCases) {
    lines.push(`  ${stamp(fc.openedAt)}  ${fc.source.padEnd(10)}${oneLine(fc.summary)}${fc.assignee ? ` [${fc.assignee}]` : ""} (case ${fc.id})`);
  }

  lines.push("", ...formatScore(card.scores, lang));
  return `${lines.join("\n")}\n`;
}

function formatScore(score: CustomerCard["scores"], lang: Lang): string[] {
  if (!score) return ["Scores: not computed yet (run `tend analytics refresh`)"];
  const why: ScoreExplanation = score.explanation;
  const say = (part: { en: string; zh: string } | undefined) => (part ? (lang === "zh" ? part.zh : part.en) : "");
  const lines = [`Scores (computed ${stamp(score.computedAt)}; RFM over ${score.windowMonths} months)`];
  const segment = score.rfm.segment ? (RFM_SEGMENT_LABELS[score.rfm.segment as RfmSegment]?.[lang] ?? score.rfm.segment) : "none";
  const rfm = score.rfm.recency !== null ? ` (R ${score.rfm.recency}, F ${score.rfm.frequency}, M ${score.rfm.monetary})` : "";
  lines.push(`  RFM segment   ${segment}${rfm}`, `                ${say(why.rfm)}`);
  lines.push(`  Lifecycle     ${LIFECYCLE_STAGE_LABELS[score.lifecycleStage as LifecycleStageName][lang]}`, `                ${say(why.lifecycle)}`);
  lines.push(
    `  Relationship  ${RELATIONSHIP_LEVEL_LABELS[score.relationshipLevel as RelationshipLevelName][lang]}`,
    `                ${say(why.relationship)}`,
  );
  const predicted = [
    score.probabilityAlive !== null ? `P(active) ${Math.round(score.probabilityAlive * 100)}%` : null,
    score.predictedPurchases !== null ? `${score.predictedPurchases.toFixed(2)} purchases expected` : null,
    score.predictedClv !== null ? `predicted CLV ${score.predictedClv}` : null,
  ].filter(Boolean);
  lines.push(`  Predictions   ${predicted.length ? predicted.join(", ") : "none"}`, `                ${say(why.predictive)}`);
  lines.push(`  Historic CLV  ${score.historicClv} (${score.orderCount} order${score.orderCount === 1 ? "" : "s"} to date)`);
  return lines.map((l) => l.trimEnd());
}
