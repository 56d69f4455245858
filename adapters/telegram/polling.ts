import { setTimeout as sleep } from "node:timers/promises";
import { type Telegram, TelegramError } from "telegraf";
import type { Update } from "telegraf/types";
import type { Logger } from "../../src/observability/logger.ts";

type ApiSignal = NonNullable<Parameters<Telegram["callApi"]>[2]>["signal"];

export interface LongPollingOptions {
  /** Seconds the Bot API holds a getUpdates call open when there is nothing to deliver. */
  timeoutSeconds: number;
  allowedUpdates: string[];
  /** How often one update is tried before it is skipped, so one bad update cannot stall the bot. */
  maxAttempts?: number;
}

const MAX_BACKOFF_MS = 30_000;

/**
 * getUpdates in a loop, driven here rather than by telegraf's launch() so that updates are
 * handled one at a time in order (a customer's "rate us" before their "2"), an update whose
 * handling failed (the database was away) is fetched again, and stop() waits for the update in hand.
 */
export class LongPolling {
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private offset = 0;

  constructor(
    private readonly telegram: Telegram,
    private readonly handle: (update: Update) => Promise<void>,
    private readonly log: Logger,
    private readonly options: LongPollingOptions,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Ends the open getUpdates call, lets the update in hand finish and confirms what was handled. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  private get signal(): ApiSignal {
    return this.abort.signal as unknown as ApiSignal;
  }

  private async run(): Promise<void> {
    const maxAttempts = this.options.maxAttempts ?? 5;
    let failures = 0;
    let failing: { updateId: number; attempts: number } | undefined;
    while (!this.abort.signal.aborted) {
      if (failures > 0) {
        await sleep(Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (failures - 1)), undefined, { signal: this.abort.signal }).catch(() => {});
        if (this.abort.signal.aborted) break;
      }
      let updates: Update[];
      try {
        updates = await this.telegram.callApi(
          "getUpdates",
          { offset: this.offset, timeout: this.options.timeoutSeconds, allowed_updates: this.options.allowedUpdates as never },
          { signal: this.signal },
        );
      } catch (error) {
        if (this.abort.signal.aborted) break;
        failures++;
        this.log.warn({ err: describe(error), failures }, conflictOrAuth(error) ?? "fetching Telegram updates failed; retrying");
        continue;
      }
      failures = 0;
      for (const update of updates) {
        if (this.abort.signal.aborted) break;
        try {
          await this.handle(update);
        } catch (error) {
          const attempts = failing?.updateId === update.update_id ? failing.attempts + 1 : 1;
          if (attempts < maxAttempts) {
            failing = { updateId: update.update_id, attempts };
            failures = attempts;
            this.log.warn({ updateId: update.update_id, attempts, err: describe(error) }, "handling a Telegram update failed; it will be fetched again");
            break;
          }
          this.log.error({ updateId: update.update_id, attempts, err: describe(error) }, "handling a Telegram update failed repeatedly; skipped");
        }
        failing = undefined;
        this.offset = update.update_id + 1;
      }
    }
    await this.confirm();
  }

  /** Telegram forgets updates only when asked for later ones: without this, a restart would see the last batch again. */
  private async confirm(): Promise<void> {
    if (this.offset === 0) return;
    try {
      await this.telegram.callApi("getUpdates", { offset: this.offset, limit: 1, timeout: 0 }, { signal: AbortSignal.timeout(5000) as unknown as ApiSignal });
    } catch (error) {
      this.log.debug({ err: describe(error) }, "could not confirm the last Telegram updates");
    }
  }
}

function conflictOrAuth(error: unknown): string | undefined {
  if (error instanceof TelegramError && error.code === 409) {
    return "Telegram refuses long polling: a webhook is set or another instance is polling with this token";
  }
  if (error instanceof TelegramError && error.code === 401) return "Telegram no longer accepts the bot token (TELEGRAM_BOT_TOKEN)";
  return undefined;
}

function describe(error: unknown): string {
  return error instanceof TelegramError ? `${error.code}: ${error.description}` : error instanceof Error ? error.message : String(error);
}
