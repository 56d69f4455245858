import type { FastifyInstance } from "fastify";
import type { Config } from "../config/env.ts";
import type { Logger } from "../observability/logger.ts";
import type { Clock } from "./clock.ts";
import type { StaffNotifier } from "./staff-notifier.ts";
import type { StaffConsoleServices } from "./staff-console-services.ts";

export type { StaffConsoleServices } from "./staff-console-services.ts";

/**
 * A staff console: where staff look customers up and act (the staff Slack app in
 * adapters/slack-staff). Like a channel it is built by a factory the composition root gets from
 * adapters/ (src/ never imports a platform SDK), but it talks to staff, not customers, and
 * reaches Tend through `StaffConsoleServices` only.
 */
export interface StaffConsole {
  readonly name: string;
  /** Where the dispatcher delivers staff outbox rows (alerts, takeover threads); absent: this console takes none. */
  readonly notifier?: StaffNotifier | undefined;
  /** Connects (checks tokens, opens Socket Mode); throws with the variable to fix when refused. */
  start(): Promise<void>;
  /** Stops taking requests and lets those in hand finish. */
  stop(): Promise<void>;
}

export interface StaffConsoleContext {
  config: Config;
  logger: Logger;
  /** Tend's HTTP server, not yet listening: a console taking webhooks adds its routes here. */
  http: FastifyInstance;
  clock: Clock;
  services: StaffConsoleServices;
}

export interface StaffConsoleFactory {
  readonly name: string;
  /** The variables still to set before this console can start; empty when it is configured. */
  missingSettings(config: Config): string[];
  /** May load the platform's library first (import()), so a console that is not configured costs no memory. */
  create(context: StaffConsoleContext): StaffConsole | Promise<StaffConsole>;
}
