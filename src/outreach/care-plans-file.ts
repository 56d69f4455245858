import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { festivalDates } from "../calendar/index.ts";
import { RFM_SEGMENTS } from "../analytics/rfm.ts";
import { TendError } from "../errors.ts";
import { JsonSyntaxError, type JsonPath, type LocatedJson, lineOf, parseLocatedJson } from "./care-plans-json.ts";
import { type LocalizedTemplate, type Placeholder, unknownPlaceholders } from "./templates.ts";

/**
 * The plans file shipped with Tend: used when CARE_PLANS_FILE is unset, and for plans a business file
 * leaves out. Found from the project root, which is two levels up both from here and from the compiled
 * CLI's dist/<build>/ (as prisma/migrations is).
 */
export const defaultCarePlansFile = fileURLToPath(new URL("../../src/outreach/care-plans.default.json", import.meta.url));

/** Which placeholders each plan's message can fill: a template using any other is a start-up error. */
export const placeholdersByPlan = {
  birthday: ["name", "points"],
  festivals: ["name", "festival"],
  checkin: ["name"],
  winback: ["name", "reward"],
  anniversary: ["name"],
  tierUpgrade: ["name", "tier"],
} as const satisfies Record<string, readonly Placeholder[]>;
export type PlanName = keyof typeof placeholdersByPlan;
export const planNames = Object.keys(placeholdersByPlan) as PlanName[];

const localeKey = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'a locale such as "en" or "zh-CN"');
const template = z
  .record(localeKey, z.string().trim().min(1, "a non-empty text"))
  .refine((texts) => typeof texts.en === "string", { message: 'an "en" text (the fallback for other locales)' }) as unknown as z.ZodType<LocalizedTemplate>;
const sendAt = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a local time "HH:MM", e.g. "10:00"');
/** The held-out share for the plan's control group (issue 14): planned, recorded, never sent. */
const control = (fallback: number) => z.number().min(0).max(0.5).default(fallback);
const audience = { locales: z.array(localeKey).default([]), tags: z.array(z.string().min(1)).default([]) };

const plansSchema = z.strictObject({
  birthday: z.strictObject({ enabled: z.boolean().default(true), sendAt: sendAt.default("10:00"), control: control(0), message: template }),
  festivals: z.strictObject({
    enabled: z.boolean().default(true),
    sendAt: sendAt.default("10:00"),
    control: control(0),
    message: template,
    /** Festival key (from src/calendar) → whether it is on and who receives it; no locales and no tags = everybody. */
    festivals: z.record(z.string(), z.strictObject({ enabled: z.boolean().default(true), ...audience })).default({}),
    /** The business's own fixed dates. */
    custom: z
      .array(
        z.strictObject({
          key: z.string().regex(/^[a-z0-9-]+$/, "lower-case letters, digits and dashes"),
          name: template,
          date: z.string().regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'a date "MM-DD"'),
          enabled: z.boolean().default(true),
          ...audience,
        }),
      )
      .default([]),
  }),
  checkin: z.strictObject({
    enabled: z.boolean().default(true),
    sendAt: sendAt.default("11:00"),
    control: control(0.05),
    daysAfterOrder: z.number().int().min(1).max(365).default(7),
    /** At most one check-in per customer within this many days. */
    cooldownDays: z.number().int().min(0).max(3650).default(30),
    message: template,
  }),
  winback: z.strictObject({
    enabled: z.boolean().default(true),
    sendAt: sendAt.default("10:00"),
    control: control(0.05),
    /** Lifecycle stages (CustomerScore.lifecycleStage) that count as lapsing. */
    stages: z.array(z.enum(["potential", "new", "growing", "mature", "declining", "churned"])).default(["declining"]),
    /** RFM segments (CustomerScore.rfmSegment) that count as lapsing. */
    segments: z.array(z.enum(RFM_SEGMENTS)).default(["at_risk", "cant_lose"]),
    /** Also lapsing: no order for more than this many times the customer's own usual gap between orders. */
    gapFactor: z.number().min(1).max(20).default(2),
    /** The offer, filled in as {reward}. */
    reward: template,
    message: template,
  }),
  anniversary: z.strictObject({ enabled: z.boolean().default(true), sendAt: sendAt.default("10:00"), control: control(0), message: template }),
  tierUpgrade: z.strictObject({ enabled: z.boolean().default(true), control: control(0), message: template }),
  campaigns: z.strictObject({ enabled: z.boolean().default(false), control: control(0.05) }),
});

const fileSchema = z.strictObject({ plans: plansSchema.partial() });
export type CarePlans = z.output<typeof plansSchema>;

/**
 * Reads and checks a care plans file. Every problem names the file and line, e.g.
 * `care-plans.json:14: plans.birthday.message.en: unknown placeholder {nmae}`; plans the file leaves
 * out come from the default file. `knownFestivals` (the calendar's keys) makes an unknown festival key an error.
 */
export function loadCarePlans(file: string | undefined, options: { knownFestivals?: readonly string[] } = { knownFestivals: calendarFestivalKeys() }): CarePlans {
  const defaults = readPlansFile(defaultCarePlansFile, options);
  if (!file) return complete(defaults, defaultCarePlansFile);
  const own = readPlansFile(file, options);
  return complete({ ...defaults, ...own }, file);
}

/** The festival keys the calendar knows (every default festival occurs in 2028, a leap year). */
export function calendarFestivalKeys(): string[] {
  return festivalDates(2028).map((festival) => festival.key);
}

function complete(plans: Partial<CarePlans>, file: string): CarePlans {
  const missing = planNames.filter((name) => !plans[name]);
  if (missing.length > 0) throw new TendError("CONFIG_INVALID", `${file}: plans ${missing.join(", ")} missing`);
  return plans as CarePlans;
}

function readPlansFile(file: string, options: { knownFestivals?: readonly string[] }): Partial<CarePlans> {
  const where = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(where, "utf8");
  } catch (error) {
    throw new TendError("CONFIG_INVALID", `CARE_PLANS_FILE ${where}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let located: LocatedJson;
  try {
    located = parseLocatedJson(text);
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw new TendError("CONFIG_INVALID", `${where}:${error.line}: not valid JSON: ${error.message}`);
    throw error;
  }
  const problems: string[] = [];
  const report = (at: JsonPath, message: string) => problems.push(`${where}:${lineOf(located, at)}: ${describePath(at)}: ${message}`);

  const parsed = fileSchema.safeParse(located.value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) report(issue.path as JsonPath, issue.message);
  } else {
    const plans = parsed.data.plans;
    for (const name of planNames) {
      const plan = plans[name];
      if (!plan || !("message" in plan)) continue;
      checkTemplate(plan.message, ["plans", name, "message"], placeholdersByPlan[name], report);
    }
    if (plans.winback) checkTemplate(plans.winback.reward, ["plans", "winback", "reward"], [], report);
    if (plans.festivals) {
      plans.festivals.custom.forEach((day, index) => checkTemplate(day.name, ["plans", "festivals", "custom", index, "name"], [], report));
      const known = options.knownFestivals;
      if (known) {
        for (const key of Object.keys(plans.festivals.festivals)) {
          if (!known.includes(key)) report(["plans", "festivals", "festivals", key], `unknown festival "${key}" (the calendar has ${known.join(", ")}; add your own under "custom")`);
        }
        for (const [index, day] of plans.festivals.custom.entries()) {
          if (known.includes(day.key)) report(["plans", "festivals", "custom", index, "key"], `"${day.key}" is already a calendar festival`);
        }
      }
    }
  }
  if (problems.length > 0) throw new TendError("CONFIG_INVALID", `invalid care plans file:\n${problems.join("\n")}`);
  return parsed.data!.plans;
}

function checkTemplate(
  texts: LocalizedTemplate,
  at: JsonPath,
  allowed: readonly Placeholder[],
  report: (at: JsonPath, message: string) => void,
): void {
  for (const [locale, text] of Object.entries(texts)) {
    for (const name of unknownPlaceholders(text, allowed)) {
      const offer = allowed.length > 0 ? `this text may use ${allowed.map((p) => `{${p}}`).join(", ")}` : "this text takes no placeholders";
      report([...at, locale], `unknown placeholder {${name}} (${offer})`);
    }
  }
}

function describePath(at: JsonPath): string {
  return at.length === 0 ? "(top level)" : at.map((part) => (typeof part === "number" ? `[${part}]` : part)).join(".").replace(/\.\[/g, "[");
}
