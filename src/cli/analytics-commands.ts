import type cliProgress from "cli-progress";
import { type Command, InvalidArgumentError } from "commander";
import { LIFECYCLE_STAGE_LABELS, type LifecycleStageName } from "../analytics/lifecycle.ts";
import type { AnalyticsConfig, AnalyticsSettings, RefreshReport, ScoreExplanation } from "../analytics/refresh.ts";
import { RELATIONSHIP_LEVEL_LABELS, type RelationshipLevelName } from "../analytics/relationship.ts";
import { RFM_SEGMENT_LABELS, type RfmSegment } from "../analytics/rfm.ts";
import { type Clock, systemClock } from "../core/clock.ts";
import type { Database } from "../db/database.ts";
import type { CustomerOverview } from "../db/repositories/analytics-repository.ts";
import { lunarMonthDayZh } from "../calendar/index.ts";
import { TendError } from "../errors.ts";

export interface AnalyticsCommandOptions {
  clock?: Clock;
  /** Overrides on top of the configuration, e.g. a small batch size in tests. */
  settings?: Partial<AnalyticsSettings>;
  /** For tests; default process.stdout / process.stderr. A progress bar is drawn only on a TTY. */
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
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
      const [{ AnalyticsRepository }, { LoyaltyService }] = await Promise.all([
        import("../db/repositories/analytics-repository.ts"),
        import("../loyalty/loyalty-service.ts"),
      ]);
      const db = await openDb();
      try {
        const repo = new AnalyticsRepository(db.prisma);
        const customerId = await repo.findCustomerId(id);
        const found = customerId ? await repo.customerOverview(customerId, flags.recent) : null;
        if (!customerId || !found) throw new TendError("CUSTOMER_NOT_FOUND", `no customer with id or external id ${JSON.stringify(id)}`);
        // The balance as the chat and the API tell it: the loyalty service's one rule.
        const loyalty = new LoyaltyService({ prisma: db.prisma, clock: options.clock ?? systemClock });
        const overview: CustomerOverview = { ...found, loyaltyBalance: await loyalty.balance(customerId) };
        out(flags.json ? `${JSON.stringify(overview, null, 2)}\n` : formatCustomerOverview(overview, flags.lang));
      } finally {
        await db.close();
      }
    });
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
const minutes = (m: number | null) => (m === null ? "" : `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`);

export function formatCustomerOverview(overview: CustomerOverview, lang: Lang = "en"): string {
  const { customer: c } = overview;
  const lines: string[] = [];
  const field = (label: string, value: string | null | undefined) => {
    if (value !== null && value !== undefined && value !== "") lines.push(`  ${label.padEnd(12)}${value}`);
  };
  lines.push(`Customer ${c.id}${c.externalId ? ` (external id ${c.externalId})` : ""}`);
  if (c.erasedAt) lines.push(`  ERASED on ${stamp(c.erasedAt)}: personal data was removed on request`);
  field("Name", c.displayName);
  field("Email", c.email);
  field("Phone", c.phone);
  field("Birthday", c.birthday?.toISOString().slice(0, 10));
  // A lunar birthday, when given, is the one celebrated (bonus and greeting on its Gregorian date each year).
  if (c.lunarBirthMonth !== null && c.lunarBirthDay !== null) field("Lunar bday", `${c.lunarBirthMonth}-${c.lunarBirthDay} (农历${lunarMonthDayZh(c.lunarBirthMonth, c.lunarBirthDay)})`);
  field("Locale", c.locale);
  field("Time zone", c.timeZone);
  if (c.quietHoursStart !== null && c.quietHoursEnd !== null) field("Quiet hours", `${minutes(c.quietHoursStart)}-${minutes(c.quietHoursEnd)}`);
  field("Tags", c.tags.join(", "));
  field("Created", stamp(c.createdAt));
  if (c.handedOverAt) field("Handover", `staff have the conversation since ${stamp(c.handedOverAt)}`);

  lines.push("", `Channels (${c.identities.length})`);
  for (const i of c.identities) {
    lines.push(`  ${i.platform.padEnd(9)}${i.platformUserId}${i.displayName ? ` "${i.displayName}"` : ""}, last seen ${stamp(i.lastSeenAt)}`);
  }
  if (c.identities.length === 0) lines.push("  none");

  const consent = (on: boolean, at: Date | null) => `${on ? "yes" : "no"}${at ? ` (since ${stamp(at)})` : ""}`;
  lines.push("", "Consent");
  lines.push(`  care ${consent(c.careConsent, c.careConsentAt)}; marketing ${consent(c.marketingConsent, c.marketingConsentAt)}; surveys ${consent(c.surveyConsent, c.surveyConsentAt)}`);
  lines.push(`  at most ${c.maxCareMessagesPerWeek} care message${c.maxCareMessagesPerWeek === 1 ? "" : "s"} a week`);
  for (const change of overview.consentChanges) {
    lines.push(`  ${stamp(change.changedAt)}  ${change.topic} ${change.granted ? "granted" : "withdrawn"} (${change.source})`);
  }

  lines.push("", `Loyalty balance: ${overview.loyaltyBalance} points`);
  const o = overview.orders;
  lines.push(`Orders: ${o.count}${o.count ? `, total ${o.total}, last ${stamp(o.lastPlacedAt)}` : ""}`);

  const interactions = overview.interactionCounts.reduce((sum, row) => sum + row.count, 0);
  lines.push("", `Interactions (${interactions})`);
  for (const row of overview.interactionCounts) lines.push(`  ${row.kind.padEnd(11)}${row.direction.padEnd(4)}${row.count}`);
  if (overview.recentInteractions.length) {
    lines.push(`  latest ${overview.recentInteractions.length}:`);
    for (const i of overview.recentInteractions) {
      lines.push(`  ${stamp(i.occurredAt)}  ${i.platform.padEnd(9)}${i.direction.padEnd(4)}${i.kind.padEnd(11)}${oneLine(i.text)}`.trimEnd());
    }
  }

  lines.push("", `Open feedback cases (${overview.openCases.length})`);
  for (const fc of overview.openCases) {
    lines.push(`  ${stamp(fc.openedAt)}  ${fc.source.padEnd(10)}${oneLine(fc.summary)}${fc.assignee ? ` [${fc.assignee}]` : ""} (case ${fc.id})`);
  }

  lines.push("", ...formatScore(overview.score, lang));
  return `${lines.join("\n")}\n`;
}

function formatScore(score: CustomerOverview["score"], lang: Lang): string[] {
  if (!score) return ["Scores: not computed yet (run `tend analytics refresh`)"];
  const why = score.explanation as unknown as ScoreExplanation;
  const say = (part: { en: string; zh: string } | undefined) => (part ? (lang === "zh" ? part.zh : part.en) : "");
  const lines = [`Scores (computed ${stamp(score.computedAt)}; RFM over ${score.windowMonths} months)`];
  const segment = score.rfmSegment ? (RFM_SEGMENT_LABELS[score.rfmSegment as RfmSegment]?.[lang] ?? score.rfmSegment) : "none";
  const rfm = score.rfmRecency !== null ? ` (R ${score.rfmRecency}, F ${score.rfmFrequency}, M ${score.rfmMonetary})` : "";
  lines.push(`  RFM segment   ${segment}${rfm}`, `                ${say(why.rfm)}`);
  lines.push(`  Lifecycle     ${LIFECYCLE_STAGE_LABELS[score.lifecycleStage as LifecycleStageName][lang]}`, `                ${say(why.lifecycle)}`);
  lines.push(
    `  Relationship  ${RELATIONSHIP_LEVEL_LABELS[score.relationshipLevel as RelationshipLevelName][lang]}`,
    `                ${say(why.relationship)}`,
  );
  const predicted = [
    score.probabilityAlive !== null ? `P(active) ${Math.round(score.probabilityAlive * 100)}%` : null,
    score.predictedPurchases !== null ? `${score.predictedPurchases.toFixed(2)} purchases expected` : null,
    score.predictedClv !== null ? `predicted CLV ${score.predictedClv.toFixed(2)}` : null,
  ].filter(Boolean);
  lines.push(`  Predictions   ${predicted.length ? predicted.join(", ") : "none"}`, `                ${say(why.predictive)}`);
  lines.push(`  Historic CLV  ${score.historicClv.toFixed(2)} (${score.orderCount} order${score.orderCount === 1 ? "" : "s"} to date)`);
  return lines.map((l) => l.trimEnd());
}
