import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** One registry per running Tend, so several in one process (tests) never collide. */
export interface Metrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<"method" | "route" | "status">;
  readonly httpDuration: Histogram<"method" | "route">;
  /**
   * Time from an adapter handing the engine an inbound message to its answers being written, by
   * channel (platform): the figure BENCHMARKS.md measures, to watch in production.
   */
  readonly inboundDuration: Histogram<"platform">;
  readonly databaseUp: Gauge;
  /** Outbox rows by status, read from the database when /metrics is scraped (see watchOutboxDepth). */
  readonly outboxDepth: Gauge<"status">;
  /** Each send attempt's outcome: sent, unreachable, rate_limited, transient, rejected, dead, no_channel. */
  readonly outboxSends: Counter<"platform" | "result">;
  /** The contact policy's defers and skips at send time, by reason. */
  readonly outboxPolicy: Counter<"action" | "reason">;
  /** Platforms answering "too many requests" (HTTP 429). */
  readonly outboxRateLimited: Counter<"platform">;
  /** Where the outbox depth comes from: set once the database is open. */
  watchOutboxDepth(read: () => Promise<Record<string, number>>): void;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  let readOutboxDepth: (() => Promise<Record<string, number>>) | undefined;
  collectDefaultMetrics({ register: registry, prefix: "tend_" });
  return {
    registry,
    httpRequests: new Counter({
      name: "tend_http_requests_total",
      help: "HTTP requests served, by route pattern and status code",
      labelNames: ["method", "route", "status"],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: "tend_http_request_duration_seconds",
      help: "Time to answer HTTP requests",
      labelNames: ["method", "route"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    inboundDuration: new Histogram({
      name: "tend_inbound_message_duration_seconds",
      help: "Time to handle an inbound message (identity, handling, replies written), by channel",
      labelNames: ["platform"],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    databaseUp: new Gauge({
      name: "tend_database_up",
      help: "1 when the last health check reached the database, else 0",
      registers: [registry],
    }),
    outboxDepth: new Gauge({
      name: "tend_outbox_messages",
      help: "Outbox messages by status (pending, sending, sent, failed, dead, skipped, ...)",
      labelNames: ["status"],
      registers: [registry],
      async collect() {
        if (!readOutboxDepth) return;
        // A scrape during a database outage shows the other metrics rather than failing.
        const depth = await readOutboxDepth().catch(() => undefined);
        if (!depth) return;
        for (const [status, count] of Object.entries(depth)) this.set({ status }, count);
      },
    }),
    outboxSends: new Counter({
      name: "tend_outbox_sends_total",
      help: "Outbox send attempts by platform and result",
      labelNames: ["platform", "result"],
      registers: [registry],
    }),
    outboxPolicy: new Counter({
      name: "tend_outbox_policy_total",
      help: "Outbox messages the contact policy deferred or skipped at send time, by reason",
      labelNames: ["action", "reason"],
      registers: [registry],
    }),
    outboxRateLimited: new Counter({
      name: "tend_outbox_rate_limited_total",
      help: "Sends a platform refused with too many requests (429), by platform",
      labelNames: ["platform"],
      registers: [registry],
    }),
    watchOutboxDepth(read) {
      readOutboxDepth = read;
    },
  };
}
