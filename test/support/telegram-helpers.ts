import { TelegramAdapter } from "../../adapters/telegram/adapter.ts";
import type { ChannelFactory } from "../../src/core/channel-factory.ts";
import type { StandinUpdate, TelegramStandin } from "./telegram-standin.ts";
import { type Captured as CapturedBy, capturingFactory } from "./capturing-factory.ts";

export const goodToken = "123456:TEST-good-token-abcdefghijklmnop";

export type Captured = CapturedBy<TelegramAdapter>;

/** The factory as Tend uses it, keeping hold of the TelegramAdapter it makes and the error its start throws. */
export function capturing(factory: ChannelFactory, captured: Captured): ChannelFactory {
  return capturingFactory(factory, captured, TelegramAdapter);
}

/**
 * Delivers updates by long polling and waits until the bot has finished with them: it handles
 * updates in order and asks for the next offset only after the last one, so no sleep is needed.
 */
export async function deliver(standin: TelegramStandin, ...updates: StandinUpdate[]) {
  const last = Math.max(...updates.map((u) => u.update_id));
  const before = standin.sent.length;
  standin.enqueue(...updates);
  await standin.waitFor(
    () => standin.callsOf("getUpdates").some((c) => Number(c.payload.offset) > last),
    `the bot to finish update ${last}`,
  );
  return standin.sent.slice(before);
}

export function buttonIds(message: { replyMarkup?: { inline_keyboard: { callback_data?: string }[][] } } | undefined): string[] {
  return message?.replyMarkup?.inline_keyboard.flat().map((b) => b.callback_data ?? "") ?? [];
}
