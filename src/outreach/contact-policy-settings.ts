import type { Config } from "../config/env.ts";

/** A daily window in local time, as minutes after midnight; `start > end` wraps past midnight. */
export interface QuietWindow {
  start: number;
  end: number;
}

export interface ContactPolicySettings {
  /** Quiet hours for customers who have none of their own; null for none. */
  defaultQuietHours: QuietWindow | null;
  /** How long a poor rating (CSAT <= 2, NPS <= 6) holds care, marketing and surveys back, in days of 24 h; 0 for not at all. */
  poorRatingPauseDays: number;
}

/** "21:00-09:00" (also "21-9") → minutes; "off" → null. The config schema has checked the format. */
export function parseQuietWindow(text: string): QuietWindow | null {
  const clean = text.trim().toLowerCase();
  if (clean === "off") return null;
  const match = /^(\d{1,2})(?::(\d{2}))?\s*-\s*(\d{1,2})(?::(\d{2}))?$/.exec(clean);
  if (!match) throw new RangeError(`not a quiet-hours window: ${JSON.stringify(text)} (expected e.g. 21:00-09:00 or off)`);
  const minutes = (hours: string | undefined, mins: string | undefined) => Number(hours) * 60 + Number(mins ?? 0);
  const window = { start: minutes(match[1], match[2]), end: minutes(match[3], match[4]) };
  if (window.start >= 24 * 60 || window.end >= 24 * 60 || Number(match[2] ?? 0) > 59 || Number(match[4] ?? 0) > 59 || window.start === window.end) {
    throw new RangeError(`not a quiet-hours window: ${JSON.stringify(text)} (times 00:00-23:59, start and end differ)`);
  }
  return window;
}

export function contactPolicySettings(config: Pick<Config, "OUTREACH_DEFAULT_QUIET_HOURS" | "OUTREACH_POOR_RATING_PAUSE_DAYS">): ContactPolicySettings {
  return {
    defaultQuietHours: parseQuietWindow(config.OUTREACH_DEFAULT_QUIET_HOURS),
    poorRatingPauseDays: config.OUTREACH_POOR_RATING_PAUSE_DAYS,
  };
}
