export { telegramFactory } from "./factory.ts";
export { TelegramAdapter, type TelegramSettings } from "./adapter.ts";
