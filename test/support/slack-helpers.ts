import { createHmac, randomUUID } from "node:crypto";
import { SlackAdapter } from "../../adapters/slack/adapter.ts";
import type { ChannelFactory } from "../../src/core/channel-factory.ts";
import { type Captured as CapturedBy, capturingFactory } from "./capturing-factory.ts";

export const botToken = "xoxb-1000-2000-tendtestbottoken";
export const appToken = "xapp-1-A0TEND0001-3000-tendtestapptoken";
export const signingSecret = "tend-test-signing-secret-0123456789";

export type Captured = CapturedBy<SlackAdapter>;

/** The factory as Tend uses it, keeping hold of the SlackAdapter it makes and the error its start throws. */
export function capturing(factory: ChannelFactory, captured: Captured): ChannelFactory {
  return capturingFactory(factory, captured, SlackAdapter);
}

/** Signs a request body the way Slack does, independently of the adapter's own check. */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
}

let sequence = 0;

/** A message the user wrote in their direct conversation with the app, as an Events API callback. */
export function messageEvent(channel: string, user: string, text: string, extra: Record<string, unknown> = {}) {
  sequence++;
  const ts = `${Math.floor(Date.now() / 1000) - 1}.${String(sequence).padStart(6, "0")}`;
  return {
    token: "legacy-verification-token",
    team_id: "T000000001",
    api_app_id: "A0TEND0001",
    type: "event_callback",
    event_id: `Ev${randomUUID().replaceAll("-", "").slice(0, 12).toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: "T000000001", user_id: "U0TENDBOT", is_bot: true, is_enterprise_install: false }],
    event: { type: "message", channel, channel_type: "im", user, text, ts, event_ts: ts, team: "T000000001", ...extra },
  };
}

/** A button press in that conversation, as an interactivity payload. */
export function buttonPress(channel: string, user: string, button: { action_id: string; value: string }) {
  sequence++;
  const now = `${Math.floor(Date.now() / 1000)}.${String(sequence).padStart(6, "0")}`;
  return {
    type: "block_actions",
    team: { id: "T000000001", domain: "tend-test" },
    user: { id: user, username: "someone", team_id: "T000000001" },
    api_app_id: "A0TEND0001",
    token: "legacy-verification-token",
    trigger_id: `${sequence}.1000.${randomUUID().replaceAll("-", "")}`,
    container: { type: "message", message_ts: now, channel_id: channel, is_ephemeral: false },
    channel: { id: channel, name: "directmessage" },
    message: { type: "message", ts: now, text: "…" },
    response_url: "http://127.0.0.1:9/unused",
    actions: [{ type: "button", block_id: "tend.choices.0", action_id: button.action_id, value: button.value, text: { type: "plain_text", text: "x" }, action_ts: now }],
  };
}

export interface PostOptions {
  retryNum?: number;
  timestamp?: number;
  secret?: string;
  signature?: string;
}

/** POSTs a signed request to Tend's /slack/events, JSON for events, form-encoded for the rest. */
export async function postToSlackEvents(baseUrl: string, body: unknown, options: PostOptions & { form?: boolean | "payload" } = {}) {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  let raw: string;
  let contentType: string;
  if (options.form === "payload") {
    raw = new URLSearchParams({ payload: JSON.stringify(body) }).toString();
    contentType = "application/x-www-form-urlencoded";
  } else if (options.form) {
    raw = new URLSearchParams(body as Record<string, string>).toString();
    contentType = "application/x-www-form-urlencoded";
  } else {
    raw = JSON.stringify(body);
    contentType = "application/json";
  }
  return fetch(`${baseUrl}/slack/events`, {
    method: "POST",
    headers: {
      "content-type": contentType,
      "x-slack-request-timestamp": String(timestamp),
      "x-slack-signature": options.signature ?? slackSignature(options.secret ?? signingSecret, timestamp, raw),
      ...(options.retryNum ? { "x-slack-retry-num": String(options.retryNum), "x-slack-retry-reason": "http_timeout" } : {}),
    },
    body: raw,
  });
}

/** Waits for a condition, failing after a bounded time rather than hanging the run. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
