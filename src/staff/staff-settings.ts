import { TendError } from "../errors.ts";

/** One staff member who may use the staff Slack app. */
export interface SlackStaffMember {
  /** Slack user id, e.g. "U012AB3CD". */
  userId: string;
  /** The name the audit and the customer see ("Alice from our team"); the user id when none was configured. */
  name: string;
}

export interface StaffSettings {
  /** TEND_STAFF_SLACK_USERS: who is staff in Slack. Empty: nobody (staff Slack commands are refused). */
  slackStaff: SlackStaffMember[];
  /**
   * TEND_STAFF_SLACK_CHANNELS: channel ids where staff commands work. Direct messages with the
   * staff app (channel ids starting with "D") always work for staff.
   */
  slackChannels: string[];
  /** TEND_API_KEY, the legacy shared key: still accepted, as the key named "TEND_API_KEY". */
  legacyApiKey?: string | undefined;
}

export const defaultStaffSettings: StaffSettings = { slackStaff: [], slackChannels: [] };

const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;
const SLACK_CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;

/**
 * Parses TEND_STAFF_SLACK_USERS: comma-separated Slack user ids, each optionally with a name after
 * a colon: `U012AB3CD:Alice Chen, U045EF6GH:Bob, U078IJ9KL`. Throws a TendError naming the entry.
 */
export function parseSlackStaff(value: string | undefined): SlackStaffMember[] {
  if (!value?.trim()) return [];
  const members: SlackStaffMember[] = [];
  const seen = new Set<string>();
  for (const raw of value.split(",")) {
    const entry = raw.trim();
    if (!entry) continue;
    const colon = entry.indexOf(":");
    const userId = (colon < 0 ? entry : entry.slice(0, colon)).trim();
    const name = (colon < 0 ? "" : entry.slice(colon + 1)).trim();
    if (!SLACK_USER_ID.test(userId)) {
      throw new TendError("CONFIG_INVALID", `TEND_STAFF_SLACK_USERS: "${userId}" is not a Slack user id (like U012AB3CD); write id or id:Name, separated by commas`);
    }
    if (seen.has(userId)) continue;
    seen.add(userId);
    members.push({ userId, name: name || userId });
  }
  return members;
}

/** Parses TEND_STAFF_SLACK_CHANNELS: comma-separated channel ids (C…, G…). */
export function parseSlackChannels(value: string | undefined): string[] {
  if (!value?.trim()) return [];
  const channels: string[] = [];
  for (const raw of value.split(",")) {
    const id = raw.trim();
    if (!id) continue;
    if (!SLACK_CHANNEL_ID.test(id)) {
      throw new TendError("CONFIG_INVALID", `TEND_STAFF_SLACK_CHANNELS: "${id}" is not a Slack channel id (like C012AB3CD); names such as #support do not work, use the id`);
    }
    if (!channels.includes(id)) channels.push(id);
  }
  return channels;
}

/** The staff settings from the configuration. */
export function staffSettingsFromConfig(config: {
  TEND_STAFF_SLACK_USERS?: string | undefined;
  TEND_STAFF_SLACK_CHANNELS?: string | undefined;
  TEND_API_KEY?: string | undefined;
}): StaffSettings {
  return {
    slackStaff: parseSlackStaff(config.TEND_STAFF_SLACK_USERS),
    slackChannels: parseSlackChannels(config.TEND_STAFF_SLACK_CHANNELS),
    legacyApiKey: config.TEND_API_KEY,
  };
}
