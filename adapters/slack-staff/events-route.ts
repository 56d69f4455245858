import type { FastifyInstance } from "fastify";
import type { Logger } from "../../src/observability/logger.ts";
import { type SlackEventsTarget, registerSlackEvents } from "../slack/events-route.ts";

/** The staff app's one Request URL: slash commands, interactivity and events, apart from the customer app's /slack/events. */
export const STAFF_EVENTS_PATH = "/slack/staff/events";

export interface StaffEventsRouteOptions {
  /** The staff app's own signing secret: a request signed with the customer app's is refused. */
  signingSecret: string;
  target: SlackEventsTarget;
  log: Logger;
  /** Seconds since the epoch; tests move it. */
  nowSeconds?: () => number;
}

/**
 * POST /slack/staff/events: the same verification and acknowledgement as the customer app's route
 * (401 for a wrong signature or a timestamp more than 5 minutes off, the challenge for
 * url_verification, 503 while the app is not running), at the staff app's own path and secret.
 */
export function registerStaffEvents(http: FastifyInstance, options: StaffEventsRouteOptions): void {
  registerSlackEvents(http, { ...options, path: STAFF_EVENTS_PATH, appName: "the staff Slack app" });
}
