import { randomUUID } from "node:crypto";
import type { StaffSlackApp } from "../../adapters/slack-staff/app.ts";
import { staffSlackFactory } from "../../adapters/slack-staff/index.ts";
import type { StaffConsoleFactory } from "../../src/core/staff-console.ts";
import type { Post, SlackStandin } from "./slack-standin.ts";
import { blockAction, postToStaffEvents } from "./slack-staff-helpers.ts";

/** The staff Slack app factory, keeping hold of the app it makes (to wait until it is idle). */
export function capturingStaffApp(): { factory: StaffConsoleFactory; app: () => StaffSlackApp } {
  let made: StaffSlackApp | undefined;
  return {
    factory: {
      ...staffSlackFactory,
      async create(context) {
        made = (await staffSlackFactory.create(context)) as StaffSlackApp;
        return made;
      },
    },
    app: () => {
      if (!made) throw new Error("the staff app was not made");
      return made;
    },
  };
}

let sequence = 0;

/** A message someone wrote in a thread of a channel, as an Events API callback. */
export function threadMessageEvent(input: { channel: string; user: string; text: string; threadTs: string }) {
  const ts = `${Math.floor(Date.now() / 1000)}.${String(++sequence).padStart(6, "0")}9`;
  return {
    ts,
    body: {
      token: "legacy-verification-token",
      team_id: "T000000001",
      api_app_id: "A0STAFF001",
      type: "event_callback",
      event_id: `Ev${randomUUID().replaceAll("-", "").slice(0, 12).toUpperCase()}`,
      event_time: Math.floor(Date.now() / 1000),
      event: { type: "message", channel: input.channel, channel_type: "channel", user: input.user, text: input.text, ts, thread_ts: input.threadTs, event_ts: ts, team: "T000000001" },
    },
  };
}

/** Writes in a thread through the staff app's events route and waits until the app handled it. */
export async function writeInThread(url: string, app: StaffSlackApp, input: { channel: string; user: string; text: string; threadTs: string }): Promise<string> {
  const { ts, body } = threadMessageEvent(input);
  const response = await postToStaffEvents(url, body, "event");
  if (response.status !== 200) throw new Error(`the event was refused: ${response.status}`);
  await app.whenIdle();
  return ts;
}

/** Presses a button on a message in the staff channel; what reached its response_url. */
export async function pressButton(url: string, app: StaffSlackApp, standin: SlackStandin, input: { actionId: string; value: string; userId: string; channelId: string }) {
  const key = `press-${++sequence}-${randomUUID().slice(0, 8)}`;
  const viewsBefore = standin.views.length;
  const response = await postToStaffEvents(url, blockAction({ ...input, responseUrl: standin.responseUrl(key), ephemeral: false }), "payload");
  if (response.status !== 200) throw new Error(`the press was refused: ${response.status}`);
  await app.whenIdle();
  return { responses: standin.responsesTo(key), views: standin.views.slice(viewsBefore) };
}

/** Texts of a post's blocks, one per line. */
export function postText(post: Pick<Post, "blocks" | "text">): string {
  const texts = [post.text];
  for (const block of post.blocks as Record<string, unknown>[]) {
    const text = block.text as { text?: string } | undefined;
    if (text?.text) texts.push(text.text);
    for (const element of (block.elements as { text?: unknown }[] | undefined) ?? []) if (typeof element.text === "string") texts.push(element.text);
  }
  return texts.join("\n");
}

/** The buttons on a message: label → action id and value. */
export function buttonsOn(blocks: unknown): Record<string, { action_id: string; value: string }> {
  const found: Record<string, { action_id: string; value: string }> = {};
  for (const block of (blocks ?? []) as Record<string, unknown>[]) {
    for (const element of (block.elements as Record<string, unknown>[] | undefined) ?? []) {
      if (element.type === "button") found[(element.text as { text: string }).text] = { action_id: String(element.action_id), value: String(element.value) };
    }
  }
  return found;
}

/** The users_select submission of a modal (Slack sends selected_user for it). */
export function userSelectSubmission(input: { userId: string; view: { callback_id?: string; private_metadata?: string }; blockId: string; selected: string }) {
  return {
    type: "view_submission",
    team: { id: "T000000001", domain: "tend-test" },
    user: { id: input.userId, username: "someone", team_id: "T000000001" },
    api_app_id: "A0STAFF001",
    token: "legacy-verification-token",
    trigger_id: `${++sequence}.1000.${randomUUID().replaceAll("-", "")}`,
    view: {
      id: "V000000009",
      team_id: "T000000001",
      type: "modal",
      callback_id: input.view.callback_id,
      private_metadata: input.view.private_metadata ?? "",
      state: { values: { [input.blockId]: { value: { type: "users_select", selected_user: input.selected } } } },
      hash: "1.1",
      app_id: "A0STAFF001",
      bot_id: "B0STAFF001",
    },
    response_urls: [],
  };
}
