import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { Update } from "telegraf/types";
import type { Logger } from "../../src/observability/logger.ts";

export const TELEGRAM_WEBHOOK_PATH = "/telegram/webhook";

export interface WebhookTarget {
  readonly receiving: boolean;
  /** Resolves once the update is handled and its replies sent: then the webhook answers. */
  handleWebhookUpdate(update: Update): Promise<void>;
}

/** Compared as hashes so that neither the content nor the length leaks through timing. */
export function secretMatches(given: unknown, secret: string): boolean {
  if (typeof given !== "string") return false;
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(given), digest(secret));
}

/**
 * POST /telegram/webhook: Telegram posts each update here with the secret given to setWebhook
 * in X-Telegram-Bot-Api-Secret-Token. Anything else is refused with 401. The update is handled
 * before the answer, so a failure answers 500 and Telegram delivers it again.
 */
export function registerTelegramWebhook(http: FastifyInstance, secret: string, target: WebhookTarget, log: Logger): void {
  http.post(TELEGRAM_WEBHOOK_PATH, async (request, reply) => {
    if (!secretMatches(request.headers["x-telegram-bot-api-secret-token"], secret)) {
      return reply.status(401).send({ error: "wrong or missing X-Telegram-Bot-Api-Secret-Token" });
    }
    if (!target.receiving) return reply.status(503).send({ error: "the Telegram channel is not running" });
    const update = request.body as Partial<Update> | null;
    if (!update || typeof update !== "object" || !Number.isSafeInteger(update.update_id)) {
      return reply.status(400).send({ error: "not a Telegram update" });
    }
    try {
      await target.handleWebhookUpdate(update as Update);
    } catch (error) {
      log.error({ updateId: update.update_id, err: error instanceof Error ? error.message : String(error) }, "handling a Telegram webhook update failed");
      return reply.status(500).send({ error: "could not handle the update now" });
    }
    return reply.status(200).send({ ok: true });
  });
}
