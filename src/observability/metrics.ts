import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** One registry per running Tend, so several in one process (tests) never collide. */
export interface Metrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<"method" | "route" | "status">;
  readonly httpDuration: Histogram<"method" | "route">;
  readonly databaseUp: Gauge;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
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
    databaseUp: new Gauge({
      name: "tend_database_up",
      help: "1 when the last health check reached the database, else 0",
      registers: [registry],
    }),
  };
}
