import type { AckFn, App, Receiver } from "@slack/bolt";
import { describeError } from "../../src/errors.ts";
import type { Logger } from "../../src/observability/logger.ts";

/** Slack wants an answer within 3 s; past this we answer 200 ourselves so that Slack does not retry. */
export const ACK_DEADLINE_MS = 2500;

export interface AckAnswer {
  /** What Bolt's ack() was given (e.g. a view submission's response_action); undefined for a bare ack. */
  body?: unknown;
}

export interface RetryInfo {
  num?: number | undefined;
  reason?: string | undefined;
}

/**
 * A Bolt receiver fed by Tend's own HTTP server (see events-route.ts) instead of Bolt's built-in
 * one: the route verifies and parses the request, this hands it to Bolt and answers as soon as
 * Bolt acknowledges it. Listeners go on working after the answer.
 */
export class FastifyReceiver implements Receiver {
  private app: App | undefined;
  private started = false;
  /** Bolt's processing of each request, which goes on after the answer. */
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    private readonly log: Logger,
    private readonly ackDeadlineMs = ACK_DEADLINE_MS,
  ) {}

  init(app: App): void {
    this.app = app;
  }

  async start(): Promise<void> {
    this.started = true;
  }

  async stop(): Promise<void> {
    this.started = false;
  }

  /** True between start() and stop(): the route answers 503 otherwise, so Slack retries later. */
  get running(): boolean {
    return this.started && this.app !== undefined;
  }

  /** Resolves with the HTTP answer once Bolt acknowledges the request (or has finished without doing so). */
  dispatch(body: Record<string, unknown>, retry: RetryInfo = {}): Promise<AckAnswer> {
    const app = this.app;
    if (!app) return Promise.reject(new Error("the Slack receiver is not initialised"));
    return new Promise((resolve, reject) => {
      let answered = false;
      const answer = (result: AckAnswer | Error) => {
        if (answered) return;
        answered = true;
        clearTimeout(timer);
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      const timer = setTimeout(() => {
        this.log.warn("a Slack request was not acknowledged in time; answered 200 without it");
        answer({});
      }, this.ackDeadlineMs);
      timer.unref();
      const ack: AckFn<unknown> = async (response) => {
        if (answered) this.log.debug("a Slack request was acknowledged after it was answered");
        answer({ body: response });
      };
      const processing = app.processEvent({ body, ack, retryNum: retry.num, retryReason: retry.reason }).then(
        // Nothing listened and nothing acknowledged (an action of another app's, say): still a 200.
        () => answer({}),
        (error: unknown) => {
          this.log.error({ err: describeError(error) }, "Bolt failed to process a Slack request");
          answer(error instanceof Error ? error : new Error(String(error)));
        },
      );
      this.inflight.add(processing);
      void processing.then(() => this.inflight.delete(processing));
    });
  }

  /** Resolves once Bolt has finished with every request handed to it so far. */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }
}
