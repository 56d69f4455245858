import type { Command } from "commander";
import { startTend } from "../app.ts";
import { type Config, loadConfig } from "../config/env.ts";
import { limitHeapGrowth } from "../observability/heap-growth.ts";
import { createLogger } from "../observability/logger.ts";
import { serveCommands } from "./command-service.ts";
import type { CommandContext } from "./main.ts";

/**
 * Runs Tend until SIGINT or SIGTERM; a second signal during shutdown exits at once. On the
 * embedded database it also runs the commands CLIs send it (`buildProgram` makes their program).
 */
export async function runStart(config: Config, buildProgram: (context: CommandContext) => Command): Promise<void> {
  const logger = createLogger(config.LOG_LEVEL);
  // A long-running server: V8 collects garbage when it is 1.5 times what Tend holds, not up to 4 times.
  limitHeapGrowth();
  const tend = await startTend({ config, logger });
  const commands = serveCommands(tend.db, buildProgram, loadConfig, logger);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, "second signal: exiting without waiting");
      process.exit(130);
    }
    logger.info({ signal }, "signal received");
    // A command a CLI sent (an import, say) finishes before the database it uses closes.
    commands
      .drain(config.SHUTDOWN_TIMEOUT_MS)
      .then(() => tend.stop())
      .then(
        () => process.exit(0),
        (error) => {
          logger.error({ err: error }, "shutdown failed");
          process.exit(1);
        },
      );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}
