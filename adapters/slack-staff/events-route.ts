import type { FastifyInstance } from "fastify";
import type { Logger } from "../../src/observability/logger.ts";
import { parseSlackBody, type SlackEventsTarget } from "../slack/events-route.ts";
import { checkSlackSignature } from "../slack/signature.ts";

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
 * POST /slack/staff/events. Verified over the raw bytes (a plugin whose parsers keep bodies as
 * Buffers): 401 for a wrong signature or a timestamp more than 5 minutes off, the challenge for
 * url_verification, 503 while the app is not running (Slack retries), else Bolt's acknowledgement.
 */
export function registerStaffEvents(http: FastifyInstance, options: StaffEventsRouteOptions): void {
  const { signingSecret, target, log } = options;
  const nowSeconds = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  void http.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));

    scope.post(STAFF_EVENTS_PATH, async (request, reply) => {
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const check = checkSlackSignature(
        signingSecret,
        { timestamp: request.headers["x-slack-request-timestamp"], signature: request.headers["x-slack-signature"] },
        raw,
        nowSeconds(),
      );
      if (!check.ok) {
        log.warn({ reason: check.reason }, "refused a staff Slack request");
        return reply.status(401).send({ error: check.reason });
      }
      const parsed = parseSlackBody(raw, request.headers["content-type"]);
      if (parsed.kind === "invalid") return reply.status(400).send({ error: parsed.reason });
      if (parsed.kind === "ssl_check") return reply.status(200).send();
      const { body } = parsed;
      if (body.type === "url_verification" && typeof body.challenge === "string") return reply.status(200).send({ challenge: body.challenge });

      if (!target.running) return reply.status(503).send({ error: "the staff Slack app is not running" });
      const retryNum = Number(request.headers["x-slack-retry-num"]);
      const retryReason = request.headers["x-slack-retry-reason"];
      let answer;
      try {
        answer = await target.dispatch(body, {
          num: Number.isInteger(retryNum) && retryNum > 0 ? retryNum : undefined,
          reason: typeof retryReason === "string" ? retryReason : undefined,
        });
      } catch {
        return reply.status(500).send({ error: "could not handle the request now" });
      }
      if (answer.body === undefined || answer.body === "") return reply.status(200).send();
      if (typeof answer.body === "string") return reply.status(200).type("text/plain; charset=utf-8").send(answer.body);
      return reply.status(200).send(answer.body);
    });
  });
}
