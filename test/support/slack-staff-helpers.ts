import { randomUUID } from "node:crypto";
import { slackSignature } from "./slack-helpers.ts";

/** The staff app's own credentials: never the customer app's. */
export const staffBotToken = "xoxb-1000-3000-tendteststaffbottoken";
export const staffSigningSecret = "tend-test-staff-signing-secret-9876543210";
export const STAFF_EVENTS_PATH = "/slack/staff/events";
const TEAM = { id: "T000000001", domain: "tend-test" };
const APP_ID = "A0STAFF001";

let sequence = 0;
const nextTs = () => `${Math.floor(Date.now() / 1000)}.${String(++sequence).padStart(6, "0")}`;

export interface StaffPostOptions {
  timestamp?: number;
  secret?: string;
  signature?: string;
}

/** POSTs a signed request to Tend's /slack/staff/events: form-encoded fields (slash commands) or `payload=` JSON (interactivity), or JSON (events). */
export async function postToStaffEvents(baseUrl: string, body: unknown, kind: "command" | "payload" | "event", options: StaffPostOptions = {}): Promise<Response> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const raw =
    kind === "command"
      ? new URLSearchParams(body as Record<string, string>).toString()
      : kind === "payload"
        ? new URLSearchParams({ payload: JSON.stringify(body) }).toString()
        : JSON.stringify(body);
  return fetch(`${baseUrl}${STAFF_EVENTS_PATH}`, {
    method: "POST",
    headers: {
      "content-type": kind === "event" ? "application/json" : "application/x-www-form-urlencoded",
      "x-slack-request-timestamp": String(timestamp),
      "x-slack-signature": options.signature ?? slackSignature(options.secret ?? staffSigningSecret, timestamp, raw),
    },
    body: raw,
  });
}

/** A slash command as Slack sends it (form fields). */
export function slashCommand(input: { command?: string; text: string; userId: string; channelId: string; responseUrl: string }): Record<string, string> {
  return {
    token: "legacy-verification-token",
    team_id: TEAM.id,
    team_domain: TEAM.domain,
    channel_id: input.channelId,
    channel_name: input.channelId.startsWith("D") ? "directmessage" : "staff",
    user_id: input.userId,
    user_name: "someone",
    command: input.command ?? "/tend",
    text: input.text,
    api_app_id: APP_ID,
    is_enterprise_install: "false",
    response_url: input.responseUrl,
    trigger_id: `${++sequence}.1000.${randomUUID().replaceAll("-", "")}`,
  };
}

/** A button press on a message (the card, a pick list) as an interactivity payload. */
export function blockAction(input: { actionId: string; value: string; userId: string; channelId: string; responseUrl: string; ephemeral?: boolean }) {
  const ts = nextTs();
  return {
    type: "block_actions",
    team: TEAM,
    user: { id: input.userId, username: "someone", team_id: TEAM.id },
    api_app_id: APP_ID,
    token: "legacy-verification-token",
    trigger_id: `${++sequence}.1000.${randomUUID().replaceAll("-", "")}`,
    container: { type: "message", message_ts: ts, channel_id: input.channelId, is_ephemeral: input.ephemeral ?? true },
    channel: { id: input.channelId, name: "staff" },
    response_url: input.responseUrl,
    actions: [{ type: "button", block_id: "b", action_id: input.actionId, value: input.value, text: { type: "plain_text", text: "x" }, action_ts: ts }],
  };
}

/**
 * A modal's submission: `view` as the app opened it (callback_id, private_metadata), with the
 * given input values as `{ block_id: value }` (each input's action_id is "value").
 */
export function viewSubmission(input: { userId: string; view: { callback_id?: string; private_metadata?: string }; values: Record<string, string>; viewId?: string }) {
  const values: Record<string, Record<string, { type: string; value: string }>> = {};
  for (const [blockId, value] of Object.entries(input.values)) values[blockId] = { value: { type: "plain_text_input", value } };
  return {
    type: "view_submission",
    team: TEAM,
    user: { id: input.userId, username: "someone", team_id: TEAM.id },
    api_app_id: APP_ID,
    token: "legacy-verification-token",
    trigger_id: `${++sequence}.1000.${randomUUID().replaceAll("-", "")}`,
    view: {
      id: input.viewId ?? "V000000001",
      team_id: TEAM.id,
      type: "modal",
      callback_id: input.view.callback_id,
      private_metadata: input.view.private_metadata ?? "",
      state: { values },
      hash: "1.1",
      app_id: APP_ID,
      bot_id: "B0STAFF001",
    },
    response_urls: [],
  };
}
