import { TelegramAdapter } from "../../adapters/telegram/adapter.ts";
import type { ChannelFactory } from "../../src/core/channel-factory.ts";
import type { StandinUpdate, TelegramStandin } from "./telegram-standin.ts";

export const goodToken = "123456:TEST-good-token-abcdefghijklmnop";

export interface Captured {
  adapter?: TelegramAdapter;
  startError?: unknown;
}

/** The factory as Tend uses it, keeping hold of the adapter it makes and the error its start throws. */
export function capturing(factory: ChannelFactory, captured: Captured): ChannelFactory {
  return {
    platform: factory.platform,
    missingSettings: (config) => factory.missingSettings(config),
    create(context) {
      const adapter = factory.create(context);
      if (!(adapter instanceof TelegramAdapter)) throw new Error("expected the Telegram adapter");
      captured.adapter = adapter;
      const start = adapter.start.bind(adapter);
      adapter.start = async (handle) => {
        try {
          await start(handle);
        } catch (error) {
          captured.startError = error;
          throw error;
        }
      };
      return adapter;
    },
  };
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
