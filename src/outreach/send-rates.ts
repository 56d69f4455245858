import type { Platform } from "../core/channel.ts";

/** At most `count` sends in any span of `periodMs` milliseconds. */
export interface SendRate {
  count: number;
  periodMs: number;
}

/** A platform's two limits; null is no limit of that kind. */
export interface PlatformSendRates {
  overall: SendRate | null;
  perChat: SendRate | null;
}

export type SendRates = Record<Platform, PlatformSendRates>;

/**
 * The platforms' published limits, written as OUTREACH_RATE_* values.
 * - Telegram Bot API FAQ: about 30 messages a second in bulk, no more than one a second in one chat.
 * - Discord: 50 requests a second per bot (global), and the channel's message bucket of 5 per 5 s.
 * - Slack: chat.postMessage is "special tier", one message a second per channel, plus a workspace-wide
 *   limit documented only as "several hundred messages per minute". 5 a second is 300 a minute, the low
 *   end of that, in bursts of at most 5 (Slack warns that burst messages may not be shown).
 * - The web chat is Tend's own page: nothing to protect.
 */
export const defaultSendRateSettings: Record<Platform, string> = {
  telegram: "30/1s, 1/1s per chat",
  discord: "50/1s, 5/5s per chat",
  slack: "5/1s, 1/1s per chat",
  web: "unlimited",
};

export const sendRateFormat =
  'a platform-wide rate and a per-chat rate, e.g. "30/1s, 1/1s per chat": N sends per period (ms, s or m; N 1–100000, period up to 1h), or "unlimited"; a part left out has no limit';

const ratePattern = /^(\d{1,6})\s*\/\s*(\d{1,7})\s*(ms|s|m)$/;
const unit = { ms: 1, s: 1000, m: 60_000 } as const;

/** Reads an OUTREACH_RATE_* value; the problem in words when it is not one. */
export function parseSendRates(text: string): { ok: true; rates: PlatformSendRates } | { ok: false; problem: string } {
  const rates: PlatformSendRates = { overall: null, perChat: null };
  const seen = new Set<keyof PlatformSendRates>();
  for (const rawPart of text.split(",")) {
    const part = rawPart.trim().toLowerCase();
    if (!part) return { ok: false, problem: "an empty part" };
    const perChat = /\s+per\s+chat$/.test(part);
    const which: keyof PlatformSendRates = perChat ? "perChat" : "overall";
    if (seen.has(which)) return { ok: false, problem: `two ${perChat ? "per-chat" : "platform-wide"} rates` };
    seen.add(which);
    const body = part.replace(/\s+per\s+chat$/, "");
    if (body === "unlimited") continue;
    const match = ratePattern.exec(body);
    if (!match) return { ok: false, problem: `"${rawPart.trim()}" is not N/period` };
    const count = Number(match[1]);
    const periodMs = Number(match[2]) * unit[match[3] as keyof typeof unit];
    if (count < 1 || count > 100_000) return { ok: false, problem: `${count} sends is outside 1–100000` };
    if (periodMs < 1 || periodMs > 3_600_000) return { ok: false, problem: `a period of ${periodMs} ms is outside 1 ms–1 h` };
    rates[which] = { count, periodMs };
  }
  return { ok: true, rates };
}

export interface SendRateConfig {
  OUTREACH_RATE_TELEGRAM: string;
  OUTREACH_RATE_DISCORD: string;
  OUTREACH_RATE_SLACK: string;
  OUTREACH_RATE_WEB: string;
}

/** The configured rates; the config schema has already checked every value parses. */
export function sendRatesFromConfig(config: SendRateConfig): SendRates {
  const read = (value: string, name: string): PlatformSendRates => {
    const parsed = parseSendRates(value);
    if (!parsed.ok) throw new Error(`${name}: ${parsed.problem}`);
    return parsed.rates;
  };
  return {
    telegram: read(config.OUTREACH_RATE_TELEGRAM, "OUTREACH_RATE_TELEGRAM"),
    discord: read(config.OUTREACH_RATE_DISCORD, "OUTREACH_RATE_DISCORD"),
    slack: read(config.OUTREACH_RATE_SLACK, "OUTREACH_RATE_SLACK"),
    web: read(config.OUTREACH_RATE_WEB, "OUTREACH_RATE_WEB"),
  };
}

/** The platforms' published limits as rates, for code that runs without a config (tests, benchmarks). */
export function defaultSendRates(): SendRates {
  return sendRatesFromConfig({
    OUTREACH_RATE_TELEGRAM: defaultSendRateSettings.telegram,
    OUTREACH_RATE_DISCORD: defaultSendRateSettings.discord,
    OUTREACH_RATE_SLACK: defaultSendRateSettings.slack,
    OUTREACH_RATE_WEB: defaultSendRateSettings.web,
  });
}

/**
 * One instance's part of a platform-wide rate shared by `instances`: whole sends per the same period
 * (so n instances together never pass the limit in any period), or, with more instances than sends
 * per period, one send per proportionally longer period (the average still adds up to the limit).
 */
export function shareOfRate(rate: SendRate, instances: number): SendRate {
  const n = Math.max(1, Math.floor(instances));
  if (n === 1) return rate;
  const count = Math.floor(rate.count / n);
  if (count >= 1) return { count, periodMs: rate.periodMs };
  return { count: 1, periodMs: Math.ceil((rate.periodMs * n) / rate.count) };
}
