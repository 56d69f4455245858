import os from "node:os";
import cron from "node-cron";
import { z } from "zod";
import { TendError } from "../errors.ts";
import { parseQuietWindow } from "../outreach/contact-policy-settings.ts";
import { parseEarnFrom } from "../loyalty/earn-from.ts";
import { defaultSendRateSettings, parseSendRates, sendRateFormat } from "../outreach/send-rates.ts";
import { parseSlackChannels, parseSlackStaff } from "../staff/staff-settings.ts";

/**
 * Every environment variable Tend reads, with what it expects. `.env.example` lists the same
 * variables; test/config.test.ts keeps the two in step.
 */
const variables = {
  PORT: {
    expect: "a TCP port number from 0 to 65535",
    schema: z.coerce.number().int().min(0).max(65535).default(3000),
  },
  HOST: {
    expect: "an interface address to listen on, e.g. 0.0.0.0 or 127.0.0.1",
    schema: z.string().min(1).default("0.0.0.0"),
  },
  DATABASE_URL: {
    expect: "a PostgreSQL connection URL, postgresql://user:password@host:5432/database",
    secret: true,
    schema: z
      .string()
      .refine((value) => {
        try {
          const url = new URL(value);
          return (url.protocol === "postgresql:" || url.protocol === "postgres:") && url.hostname !== "";
        } catch {
          return false;
        }
      })
      .optional(),
  },
  DATABASE_POOL_SIZE: {
    expect: "an integer from 1 to 100",
    schema: z.coerce.number().int().min(1).max(100).default(10),
  },
  TEND_DATA_DIR: {
    expect: "a folder path for the embedded database and other local data",
    schema: z.string().min(1).default("./data"),
  },
  TEND_INSTANCE_ID: {
    expect: "a short name for this Tend instance (letters, digits, . _ -)",
    schema: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/)
      .default(`${os.hostname().slice(0, 40)}-${process.pid}`),
  },
  TEND_INSTANCE_HEARTBEAT_SECONDS: {
    expect: "seconds between this instance's heartbeats on a shared PostgreSQL, from 1 to 60 (instances split send budgets by who is alive)",
    schema: z.coerce.number().int().min(1).max(60).default(5),
  },
  LOG_LEVEL: {
    expect: "one of fatal, error, warn, info, debug, trace, silent",
    schema: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  },
  SHUTDOWN_TIMEOUT_MS: {
    expect: "milliseconds from 100 to 600000",
    schema: z.coerce.number().int().min(100).max(600_000).default(10_000),
  },
  TEND_API_KEY: {
    expect: "a secret of 16 to 256 characters without spaces for the ingest API (e.g. from `openssl rand -hex 32`)",
    secret: true,
    schema: z.string().regex(/^\S{16,256}$/).optional(),
  },
  TEND_STAFF_SLACK_USERS: {
    expect: "Slack user ids of staff, comma-separated, each optionally with a name: U012AB3CD:Alice Chen,U045EF6GH:Bob",
    schema: z
      .string()
      .trim()
      .refine((value) => validStaffSetting(() => parseSlackStaff(value)))
      .optional(),
  },
  TEND_STAFF_SLACK_CHANNELS: {
    expect: "Slack channel ids (not names) where staff commands work, comma-separated: C012AB3CD,C045EF6GH",
    schema: z
      .string()
      .trim()
      .refine((value) => validStaffSetting(() => parseSlackChannels(value)))
      .optional(),
  },
  TEND_PUBLIC_URL: {
    expect: "the address staff open Tend at, http(s)://host[:port][/path], e.g. https://tend.example.com (dashboard sign-in links from /tend login)",
    schema: z.url({ protocol: /^https?$/ }).optional(),
  },
  LINK_CODE_TTL_MINUTES: {
    expect: "minutes a channel link code stays valid, from 1 to 1440",
    schema: z.coerce.number().int().min(1).max(1440).default(10),
  },
  SURVEY_ANSWER_WINDOW_HOURS: {
    expect: "hours a survey invitation can be answered, from 1 to 720",
    schema: z.coerce.number().int().min(1).max(720).default(72),
  },
  NPS_MIN_DAYS_BETWEEN: {
    expect: "days between two NPS invitations to one customer, from 0 to 3650",
    schema: z.coerce.number().int().min(0).max(3650).default(90),
  },
  SURVEY_REASON_WINDOW_MINUTES: {
    expect: "minutes a customer's next message counts as the \"why?\" of their score, from 1 to 10080",
    schema: z.coerce.number().int().min(1).max(10_080).default(60),
  },
  LOYALTY_POINTS_PER_UNIT: {
    expect: "points earned per unit of order amount, a number from 0 to 1000, e.g. 1 or 0.1",
    schema: z.coerce.number().min(0).max(1000).default(1),
  },
  LOYALTY_POINTS_EXPIRE_MONTHS: {
    expect: "months after which earned points lapse, from 0 (never) to 120",
    schema: z.coerce.number().int().min(0).max(120).default(12),
  },
  LOYALTY_TIER_BASIS: {
    expect: "points (points earned in the window) or spend (order amounts in the window)",
    schema: z.enum(["points", "spend"]).default("points"),
  },
  LOYALTY_TIERS: {
    expect: "a list of name:threshold pairs in rising order starting at 0, e.g. Bronze:0,Silver:500,Gold:2000 (a name may add its Chinese name: Silver/白银:500)",
    // The format only; src/loyalty/settings.ts checks the order and the names.
    schema: z
      .string()
      .regex(/^\s*[^:,]+:\s*\d+(\.\d{1,2})?\s*(,\s*[^:,]+:\s*\d+(\.\d{1,2})?\s*)*$/)
      .default("Bronze:0,Silver:500,Gold:2000,Platinum:5000"),
  },
  LOYALTY_TIER_WINDOW_MONTHS: {
    expect: "months of history a tier is based on, from 1 to 120",
    schema: z.coerce.number().int().min(1).max(120).default(12),
  },
  LOYALTY_EARN_FROM: {
    expect: "a date such as 2025-01-01 (midnight UTC) or a date-time with offset: orders placed before it earn no points",
    schema: z
      .string()
      .trim()
      .refine((value) => parseEarnFrom(value) !== null)
      .optional(),
  },
  LOYALTY_REWARDS_FILE: {
    expect: "a path to a JSON file holding an array of rewards {code,name,nameZh?,description?,cost,active?}",
    schema: z.string().min(1).optional(),
  },
  LOYALTY_SURVEY_BONUS_POINTS: {
    expect: "bonus points for answering a survey, from 0 to 100000",
    schema: z.coerce.number().int().min(0).max(100_000).default(20),
  },
  LOYALTY_BIRTHDAY_BONUS_POINTS: {
    expect: "bonus points on a customer's birthday, from 0 to 100000",
    schema: z.coerce.number().int().min(0).max(100_000).default(100),
  },
  LOYALTY_EXPIRY_CRON: {
    expect: 'a cron expression (UTC) for the points expiry job, e.g. "15 3 * * *" for 03:15 daily',
    schema: z.string().refine((value) => cron.validate(value)).default("15 3 * * *"),
  },
  ANALYTICS_WINDOW_MONTHS: {
    expect: "months of order history RFM scores look at, from 1 to 120",
    schema: z.coerce.number().int().min(1).max(120).default(24),
  },
  ANALYTICS_CLV_HORIZON_MONTHS: {
    expect: "months ahead the predicted customer lifetime value covers, from 1 to 120",
    schema: z.coerce.number().int().min(1).max(120).default(12),
  },
  ANALYTICS_MONTHLY_DISCOUNT_RATE: {
    expect: "the monthly discount rate for predicted lifetime value, a number from 0 to 0.5, e.g. 0.01 for 1 %",
    schema: z.coerce.number().min(0).max(0.5).default(0.01),
  },
  ANALYTICS_REFRESH_CRON: {
    expect: 'a cron expression (UTC) for the analytics refresh job, e.g. "30 2 * * *" for 02:30 daily',
    schema: z.string().refine((value) => cron.validate(value)).default("30 2 * * *"),
  },
  CARE_PLANS_FILE: {
    expect: "a path to a care plans JSON file (README: Care plans); unset = the plans shipped with Tend",
    schema: z.string().min(1).optional(),
  },
  CARE_PLANNER_CRON: {
    expect: 'a cron expression (UTC) for the care planner, e.g. "10 * * * *" for hourly at :10',
    schema: z.string().refine((value) => cron.validate(value)).default("10 * * * *"),
  },
  OUTREACH_DEFAULT_QUIET_HOURS: {
    expect: 'local hours when outreach (care, marketing, surveys, case follow-ups) waits, for customers who set none of their own, e.g. "21:00-09:00" (may wrap midnight), or "off"',
    schema: z
      .string()
      .trim()
      .refine((value) => {
        try {
          parseQuietWindow(value);
          return true;
        } catch {
          return false;
        }
      })
      .default("21:00-09:00"),
  },
  OUTREACH_POOR_RATING_PAUSE_DAYS: {
    expect: "days a poor rating (CSAT 1-2, NPS 0-6) holds care, marketing and surveys back, from 0 (not at all) to 365",
    schema: z.coerce.number().int().min(0).max(365).default(14),
  },
  TELEGRAM_BOT_TOKEN: {
    expect: "the bot token from @BotFather, like 123456789:AA…",
    secret: true,
    schema: z.string().regex(/^\d+:[A-Za-z0-9_-]{20,}$/).optional(),
  },
  TELEGRAM_API_ROOT: {
    expect: "the Bot API base URL, e.g. https://api.telegram.org or a local Bot API server",
    schema: z.url({ protocol: /^https?$/ }).default("https://api.telegram.org"),
  },
  TELEGRAM_WEBHOOK_URL: {
    expect: "the public https URL Telegram should post updates to (unset = long polling)",
    schema: z.url({ protocol: /^https?$/ }).optional(),
  },
  TELEGRAM_WEBHOOK_SECRET: {
    expect: "1 to 256 characters A-Z a-z 0-9 _ - that Telegram sends back in X-Telegram-Bot-Api-Secret-Token",
    secret: true,
    schema: z.string().regex(/^[A-Za-z0-9_-]{1,256}$/).optional(),
  },
  DISCORD_BOT_TOKEN: {
    expect: "the bot token from the Discord developer portal",
    secret: true,
    schema: z.string().regex(/^\S{20,}$/).optional(),
  },
  DISCORD_API_URL: {
    expect: "the Discord REST API base URL, e.g. https://discord.com/api",
    schema: z.url({ protocol: /^https?$/ }).default("https://discord.com/api"),
  },
  SLACK_BOT_TOKEN: {
    expect: "the bot token of the Slack app, starting xoxb-",
    secret: true,
    schema: z.string().regex(/^xoxb-\S+$/).optional(),
  },
  SLACK_SIGNING_SECRET: {
    expect: "the signing secret from the Slack app's Basic Information page",
    secret: true,
    schema: z.string().regex(/^\S{8,}$/).optional(),
  },
  SLACK_APP_TOKEN: {
    expect: "an app-level token starting xapp- (turns on Socket Mode)",
    secret: true,
    schema: z.string().regex(/^xapp-\S+$/).optional(),
  },
  SLACK_API_URL: {
    expect: "the Slack Web API base URL ending in /api/, e.g. https://slack.com/api/",
    schema: z.url({ protocol: /^https?$/ }).default("https://slack.com/api/"),
  },
  TEND_STAFF_SLACK_BOT_TOKEN: {
    expect: "the bot token of the separate staff Slack app, starting xoxb-",
    secret: true,
    schema: z.string().regex(/^xoxb-\S+$/).optional(),
  },
  TEND_STAFF_SLACK_SIGNING_SECRET: {
    expect: "the signing secret of the staff Slack app (Basic Information page)",
    secret: true,
    schema: z.string().regex(/^\S{8,}$/).optional(),
  },
  TEND_STAFF_SLACK_APP_TOKEN: {
    expect: "an app-level token of the staff Slack app starting xapp- (turns on Socket Mode for it)",
    secret: true,
    schema: z.string().regex(/^xapp-\S+$/).optional(),
  },
  TEND_STAFF_SLACK_CHANNEL: {
    expect: "the id of the staff channel alerts go to, e.g. C0123456789",
    schema: z.string().regex(/^[CG][A-Z0-9]{2,}$/).optional(),
  },
  TEND_STAFF_SLACK_COMMAND: {
    expect: "the staff app's slash command, a slash and 1 to 31 lowercase letters, digits, - or _, e.g. /tend",
    schema: z.string().regex(/^\/[a-z0-9_-]{1,31}$/).default("/tend"),
  },
  TEND_STAFF_SLACK_API_URL: {
    expect: "the Slack Web API base URL the staff app uses, ending in /api/, e.g. https://slack.com/api/",
    schema: z.url({ protocol: /^https?$/ }).default("https://slack.com/api/"),
  },
  TEND_STAFF_INTERNAL_PREFIX: {
    expect: "1 to 10 characters, no spaces: a takeover thread message starting with them stays an internal note, e.g. //",
    schema: z.string().regex(/^\S{1,10}$/).default("//"),
  },
  TEND_STAFF_HIGH_VALUE_TIERS: {
    expect: "comma-separated loyalty tier names whose customers' unrecognised messages alert staff, e.g. Gold,Platinum; unset: the top tier of LOYALTY_TIERS; none: no tier",
    schema: z.string().trim().optional(),
  },
  TEND_STAFF_HIGH_VALUE_SEGMENTS: {
    expect: "comma-separated RFM segments whose customers' unrecognised messages alert staff, e.g. champions,cant_lose; none: no segment",
    schema: z.string().trim().default("champions"),
  },
  OUTREACH_RATE_TELEGRAM: {
    expect: `the pace of sends to Telegram, ${sendRateFormat}`,
    schema: z.string().trim().refine((value) => parseSendRates(value).ok).default(defaultSendRateSettings.telegram),
  },
  OUTREACH_RATE_DISCORD: {
    expect: `the pace of sends to Discord, ${sendRateFormat}`,
    schema: z.string().trim().refine((value) => parseSendRates(value).ok).default(defaultSendRateSettings.discord),
  },
  OUTREACH_RATE_SLACK: {
    expect: `the pace of sends to Slack, ${sendRateFormat}`,
    schema: z.string().trim().refine((value) => parseSendRates(value).ok).default(defaultSendRateSettings.slack),
  },
  OUTREACH_RATE_WEB: {
    expect: `the pace of sends to the web chat, ${sendRateFormat}`,
    schema: z.string().trim().refine((value) => parseSendRates(value).ok).default(defaultSendRateSettings.web),
  },
  WEBCHAT_RATE_LIMIT_PER_MINUTE: {
    expect: "messages one web chat visitor may send a minute, from 1 to 600",
    schema: z.coerce.number().int().min(1).max(600).default(30),
  },
  WEBCHAT_NEW_VISITORS_PER_MINUTE_PER_IP: {
    expect: "new web chat visitors one network address may start a minute, from 1 to 10000",
    schema: z.coerce.number().int().min(1).max(10_000).default(10),
  },
  WEBCHAT_NEW_VISITORS_PER_MINUTE: {
    expect: "new web chat visitors all addresses together may start a minute, from 1 to 100000",
    schema: z.coerce.number().int().min(1).max(100_000).default(300),
  },
  WEBCHAT_TRUST_PROXY: {
    expect: 'the request header your reverse proxy puts the client address in (e.g. x-forwarded-for or x-real-ip), or "off"',
    schema: z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^(off|[a-z0-9-]+)$/)
      .default("off"),
  },
  WEBCHAT_BUSINESS_NAME: {
    expect: "the name shown in the web chat's header and title, up to 60 characters",
    schema: z.string().trim().min(1).max(60).optional(),
  },
} as const;

function validStaffSetting(parse: () => unknown): boolean {
  try {
    parse();
    return true;
  } catch {
    return false;
  }
}

type Variables = typeof variables;
export type Config = { [K in keyof Variables]: z.output<Variables[K]["schema"]> };
export const configVariableNames = Object.keys(variables) as (keyof Variables)[];

const schema = z.object(
  Object.fromEntries(Object.entries(variables).map(([name, v]) => [name, v.schema])) as {
    [K in keyof Variables]: Variables[K]["schema"];
  },
);

/**
 * Reads and checks the configuration. A bad value stops Tend with one line per variable that
 * names it and says what it expects; secrets are never echoed back.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty `NAME=` line in a .env file means "not set", as most tools read it.
  const present = Object.fromEntries(
    configVariableNames.filter((name) => env[name] !== undefined && env[name] !== "").map((name) => [name, env[name]]),
  );
  const parsed = schema.safeParse(present);
  if (parsed.success) return parsed.data as Config;

  const problems = new Map<string, string>();
  for (const issue of parsed.error.issues) {
    const name = String(issue.path[0]) as keyof Variables;
    const variable = variables[name];
    if (!variable || problems.has(name)) continue;
    const shown = "secret" in variable && variable.secret ? "" : ` (got ${JSON.stringify(present[name])})`;
    problems.set(name, `${name} must be ${variable.expect}${shown}`);
  }
  throw new TendError("CONFIG_INVALID", `invalid configuration: ${[...problems.values()].join("; ")}`);
}
