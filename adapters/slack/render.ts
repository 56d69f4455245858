import type { types as SlackTypes } from "@slack/bolt";
import { type Choice, ChannelError, type OutboundMessage } from "../../src/core/channel.ts";
import { escapeAmpersandAndAngles, splitAtBreaks } from "../shared/text.ts";

/** Block Kit limits (docs.slack.dev/reference/block-kit): section text, button label and value, elements per actions block, blocks per message. */
export const SECTION_TEXT_LIMIT = 3000;
export const BUTTON_LABEL_LIMIT = 75;
export const BUTTON_VALUE_LIMIT = 2000;
export const ACTIONS_ELEMENTS_LIMIT = 25;
export const BLOCKS_PER_MESSAGE = 50;
/** Sections per message: a long answer arrives as a few messages rather than many, each still easy to read. */
export const SECTIONS_PER_MESSAGE = 4;
/** The top-level `text` is only the notification and accessibility fallback: a preview is enough. */
export const FALLBACK_TEXT_LIMIT = 3000;

/** Our buttons' action_id prefix: Tend's listener answers these and leaves other apps' actions alone. */
export const CHOICE_ACTION_PREFIX = "tend.choice.";

export type SlackBlock = SlackTypes.SectionBlock | SlackTypes.ActionsBlock;

export interface SlackPost {
  /** The fallback text, escaped for Slack and sent with `mrkdwn: false`. */
  text: string;
  blocks: SlackBlock[];
}

export interface SlackFile {
  fileName: string;
  content: Buffer;
}

export interface RenderedMessage {
  posts: SlackPost[];
  file?: SlackFile;
}

/**
 * The three characters Slack reads as control sequences in message text (links, mentions);
 * everything else is literal once mrkdwn is off.
 */
export const escapeText = escapeAmpersandAndAngles;

/** Cuts a text into section texts Slack accepts. */
export function splitText(text: string, limit = SECTION_TEXT_LIMIT): string[] {
  return splitAtBreaks(text, limit);
}

/** At most `limit` code points, with an ellipsis when something was cut. */
export function truncate(text: string, limit: number): string {
  const points = [...text];
  return points.length <= limit ? text : `${points.slice(0, limit - 1).join("")}…`;
}

/**
 * Customer-facing text as plain_text sections: Slack shows plain_text exactly as written, so a
 * name like `*_[x](y)_*` or `<b>&amp;` is never taken as formatting, a link or a mention.
 */
function section(text: string): SlackTypes.SectionBlock {
  return { type: "section", text: { type: "plain_text", text } };
}

/** Buttons in actions blocks of at most 25; action_ids are unique within the message. */
export function choiceBlocks(choices: Choice[]): SlackTypes.ActionsBlock[] {
  const blocks: SlackTypes.ActionsBlock[] = [];
  choices.forEach((choice, index) => {
    if (choice.id.length > BUTTON_VALUE_LIMIT) {
      throw new ChannelError("slack", "rejected", `a button id is longer than Slack's ${BUTTON_VALUE_LIMIT} characters`);
    }
    if (index % ACTIONS_ELEMENTS_LIMIT === 0) {
      blocks.push({ type: "actions", block_id: `tend.choices.${blocks.length}`, elements: [] });
    }
    blocks.at(-1)!.elements.push({
      type: "button",
      action_id: `${CHOICE_ACTION_PREFIX}${index}`,
      text: { type: "plain_text", text: truncate(choice.label.trim() || choice.id, BUTTON_LABEL_LIMIT) },
      value: choice.id,
    });
  });
  return blocks;
}

function fallbackText(blocks: SlackBlock[], choices: Choice[]): string {
  const texts = blocks.flatMap((block) => (block.type === "section" && block.text ? [block.text.text] : []));
  const preview = texts.length ? texts.join("\n") : choices.map((c) => c.label).join(" · ");
  return escapeText(truncate(preview, FALLBACK_TEXT_LIMIT));
}

/**
 * An OutboundMessage as Slack messages: the text split into sections of at most 3000 characters,
 * a few sections per message, the buttons on the last message, and the attachment as a file.
 */
export function renderMessage(message: OutboundMessage): RenderedMessage {
  const choices = message.choices?.filter((c) => c.id !== "") ?? [];
  const sections = splitText(message.text).map(section);
  const posts: SlackPost[] = [];
  let blocks: SlackBlock[] = [];
  const flush = () => {
    if (blocks.length) posts.push({ text: fallbackText(blocks, choices), blocks });
    blocks = [];
  };
  for (const block of sections) {
    if (blocks.length >= SECTIONS_PER_MESSAGE) flush();
    blocks.push(block);
  }
  for (const block of choiceBlocks(choices)) {
    if (blocks.length >= BLOCKS_PER_MESSAGE) flush();
    blocks.push(block);
  }
  flush();
  const rendered: RenderedMessage = { posts };
  if (message.attachment) {
    rendered.file = { fileName: message.attachment.fileName, content: Buffer.from(message.attachment.content, "utf8") };
  }
  return rendered;
}
