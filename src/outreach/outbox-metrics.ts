import type { Metrics } from "../observability/metrics.ts";
import type { DispatchObserver } from "./dispatcher.ts";

/** The dispatcher's outcomes as /metrics counters. */
export function outboxMetrics(metrics: Metrics): DispatchObserver {
  return {
    send(platform, result) {
      metrics.outboxSends.inc({ platform, result });
      if (result === "rate_limited") metrics.outboxRateLimited.inc({ platform });
    },
    policy(action, reason) {
      metrics.outboxPolicy.inc({ action, reason });
    },
  };
}
