import type { MessageVerdict, StaffCustomerCard } from "../../src/core/staff-console-services.ts";
import { type Block, context, section, stamp } from "./blocks.ts";
import { encodeModalMetadata, type ModalMetadata } from "./modal-metadata.ts";

/** Callback ids of the card's modals. */
export const MODALS = {
  note: "tend.staff.modal.note",
  points: "tend.staff.modal.points",
  goodwill: "tend.staff.modal.goodwill",
  pause: "tend.staff.modal.pause",
  message: "tend.staff.modal.message",
} as const;

export const MAX_NOTE = 3000;
export const MAX_REASON = 500;
export const MAX_MESSAGE = 3000;
export const DEFAULT_PAUSE_DAYS = 14;

type Text = { type: "plain_text"; text: string };
const text = (value: string): Text => ({ type: "plain_text", text: value });

function modal(callbackId: string, title: string, submit: string, metadata: ModalMetadata, blocks: Block[]): Record<string, unknown> {
  return { type: "modal", callback_id: callbackId, title: text(title), submit: text(submit), close: text("Cancel"), private_metadata: encodeModalMetadata(metadata), blocks };
}

function textInput(blockId: string, label: string, options: { multiline?: boolean; max: number; placeholder?: string }): Block {
  return {
    type: "input",
    block_id: blockId,
    label: text(label),
    element: { type: "plain_text_input", action_id: "value", multiline: options.multiline ?? false, max_length: options.max, ...(options.placeholder ? { placeholder: text(options.placeholder) } : {}) },
  };
}

function numberInput(blockId: string, label: string, options: { min?: number; max?: number; initial?: number }): Block {
  return {
    type: "input",
    block_id: blockId,
    label: text(label),
    element: {
      type: "number_input",
      action_id: "value",
      is_decimal_allowed: false,
      ...(options.min !== undefined ? { min_value: String(options.min) } : {}),
      ...(options.max !== undefined ? { max_value: String(options.max) } : {}),
      ...(options.initial !== undefined ? { initial_value: String(options.initial) } : {}),
    },
  };
}

const who = (card: StaffCustomerCard) => (card.erasedAt ? "an erased customer" : (card.profile.displayName ?? card.customerId));

export function noteModal(card: StaffCustomerCard, metadata: ModalMetadata): Record<string, unknown> {
  return modal(MODALS.note, "Add a note", "Save note", metadata, [
    context(`About ${who(card)}. Notes go on the customer's timeline with your name; the customer never sees them.`),
    textInput("note", "Note", { multiline: true, max: MAX_NOTE }),
  ]);
}

export function pointsModal(card: StaffCustomerCard, metadata: ModalMetadata, purpose: "adjust" | "goodwill"): Record<string, unknown> {
  const goodwill = purpose === "goodwill";
  return modal(goodwill ? MODALS.goodwill : MODALS.points, goodwill ? "Goodwill points" : "Adjust points", goodwill ? "Grant" : "Adjust", metadata, [
    context(`${who(card)} has ${card.loyalty.balance} points (${card.loyalty.tier}). The change and your reason are recorded, with the balance before and after.`),
    goodwill ? numberInput("points", "Points to grant", { min: 1, max: 2_147_483_647 }) : numberInput("points", "Points (negative to take away)", { min: -2_147_483_648, max: 2_147_483_647 }),
    textInput("reason", "Reason (required)", { max: MAX_REASON, placeholder: goodwill ? "e.g. late delivery on order 1042" : "e.g. correction of a double booking" }),
  ]);
}

export function pauseModal(card: StaffCustomerCard, metadata: ModalMetadata): Record<string, unknown> {
  const now = card.outreach.paused ? ` Outreach is paused until ${stamp(card.outreach.pausedUntil)} now.` : "";
  return modal(MODALS.pause, "Pause outreach", "Pause", metadata, [
    context(`Care, marketing and survey messages to ${who(card)} wait until the pause ends.${now}`),
    numberInput("days", "Days", { min: 1, max: 365, initial: DEFAULT_PAUSE_DAYS }),
  ]);
}

/** What the contact policy says, in words: shown in the message modal and after sending. */
export function verdictText(judged: MessageVerdict): string {
  const where = judged.channel ? ` on ${judged.channel}` : "";
  const v = judged.verdict;
  if (judged.channel === null && v.action !== "skip") return "Contact policy: no channel reaches this customer now, so a message cannot be sent.";
  if (v.action === "send") return `Contact policy: send now${where}.`;
  if (v.action === "defer") return `Contact policy: wait until ${stamp(v.until)} (${v.reason.replace(/_/g, " ")}), then send${where}.`;
  return `Contact policy: not sent (${v.reason.replace(/_/g, " ")}).`;
}

/** Opened at once (Slack's trigger lasts 3 s), then updated with the contact policy's verdict. */
export function messageModal(card: StaffCustomerCard, metadata: ModalMetadata, judged: MessageVerdict | undefined): Record<string, unknown> {
  return modal(MODALS.message, "Send a message", "Send", metadata, [
    context(`To ${who(card)}, as a message from the team, through the outbox.`),
    section(judged ? verdictText(judged) : "Contact policy: checking…"),
    textInput("message", "Message", { multiline: true, max: MAX_MESSAGE }),
  ]);
}

/** The text a view submission carries for one of our inputs. */
export function inputValue(view: unknown, blockId: string): string | undefined {
  const values = (view as { state?: { values?: Record<string, Record<string, { value?: string | null }>> } }).state?.values;
  const value = values?.[blockId]?.value?.value;
  return typeof value === "string" ? value : undefined;
}
