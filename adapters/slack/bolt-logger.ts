import { format } from "node:util";
import { LogLevel, type Logger as BoltLogger } from "@slack/bolt";
import type { Logger } from "../../src/observability/logger.ts";

/** Warnings and errors keep strings and error messages only: Bolt and its clients may pass payloads along. */
function summary(parts: unknown[]): string {
  return parts.map((part) => (typeof part === "string" ? part : part instanceof Error ? part.message : "[object]")).join(" ");
}

/**
 * Bolt's, the Web API client's and the Socket Mode client's logging into Tend's log. Their debug
 * lines include request bodies (message texts), so they go to trace; their info lines are
 * routine connection news, so they go to debug.
 */
export function boltLogger(log: Logger): BoltLogger {
  return {
    debug: (...msg: unknown[]) => {
      if (log.isLevelEnabled("trace")) log.trace(format(...msg));
    },
    info: (...msg: unknown[]) => log.debug(summary(msg)),
    warn: (...msg: unknown[]) => log.warn(summary(msg)),
    error: (...msg: unknown[]) => log.error(summary(msg)),
    setLevel: () => {},
    getLevel: () => (log.isLevelEnabled("trace") ? LogLevel.DEBUG : LogLevel.INFO),
    setName: () => {},
  };
}
