import type { FastifyInstance } from "fastify";
import type { Logger } from "../../src/observability/logger.ts";
import type { AckAnswer, RetryInfo } from "./receiver.ts";
import { checkSlackSignature } from "./signature.ts";

export const SLACK_EVENTS_PATH = "/slack/events";

export interface SlackEventsTarget {
  readonly running: boolean;
  dispatch(body: Record<string, unknown>, retry: RetryInfo): Promise<AckAnswer>;
}

export interface SlackEventsRouteOptions {
  /** The Request URL's path: the customer app's SLACK_EVENTS_PATH unless another app (the staff app) has its own. */
  path?: string;
  /** Who is not running, in the 503 and the log line: "the Slack channel" unless said otherwise. */
  appName?: string;
  signingSecret: string;
  target: SlackEventsTarget;
  log: Logger;
  /** Seconds since the epoch; tests move it. */
  nowSeconds?: () => number;
}

type Parsed = { kind: "body"; body: Record<string, unknown> } | { kind: "ssl_check" } | { kind: "invalid"; reason: string };

/**
 * Events API callbacks (JSON), interactivity payloads (form-encoded `payload=`) and slash
 * commands (form-encoded fields) all arrive at the same Request URL.
 */
export function parseSlackBody(raw: Buffer, contentType: string | undefined): Parsed {
  const text = raw.toString("utf8");
  try {
    if (contentType?.startsWith("application/x-www-form-urlencoded")) {
      const form = new URLSearchParams(text);
      const payload = form.get("payload");
      if (payload !== null) return { kind: "body", body: JSON.parse(payload) as Record<string, unknown> };
      if (form.get("ssl_check") === "1") return { kind: "ssl_check" };
      return { kind: "body", body: Object.fromEntries(form) };
    }
    const body = JSON.parse(text) as unknown;
    if (!body || typeof body !== "object" || Array.isArray(body)) return { kind: "invalid", reason: "not a JSON object" };
    return { kind: "body", body: body as Record<string, unknown> };
  } catch {
    return { kind: "invalid", reason: "malformed body" };
  }
}

function retryInfo(headers: Record<string, string | string[] | undefined>): RetryInfo {
  const num = Number(headers["x-slack-retry-num"]);
  const reason = headers["x-slack-retry-reason"];
  return { num: Number.isInteger(num) && num > 0 ? num : undefined, reason: typeof reason === "string" ? reason : undefined };
}

/**
 * POST /slack/events on Tend's server. The signature is checked over the raw bytes, so this route
 * lives in a plugin of its own whose parsers keep every body as a Buffer (Tend's JSON parser
 * elsewhere is untouched). 401 for a bad or stale signature, the challenge for url_verification,
 * 503 while the channel is not running (Slack retries), else Bolt's acknowledgement.
 */
export function registerSlackEvents(http: FastifyInstance, options: SlackEventsRouteOptions): void {
  const { signingSecret, target, log, path = SLACK_EVENTS_PATH, appName = "the Slack channel" } = options;
  const nowSeconds = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  void http.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));

    scope.post(path, async (request, reply) => {
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const check = checkSlackSignature(
        signingSecret,
        { timestamp: request.headers["x-slack-request-timestamp"], signature: request.headers["x-slack-signature"] },
        raw,
        nowSeconds(),
      );
      if (!check.ok) {
        log.warn({ reason: check.reason, app: appName }, "refused a Slack request");
        return reply.status(401).send({ error: check.reason });
      }

      const parsed = parseSlackBody(raw, request.headers["content-type"]);
      if (parsed.kind === "invalid") return reply.status(400).send({ error: parsed.reason });
      if (parsed.kind === "ssl_check") return reply.status(200).send();
      const { body } = parsed;
      if (body.type === "url_verification" && typeof body.challenge === "string") {
        return reply.status(200).send({ challenge: body.challenge });
      }

      if (!target.running) return reply.status(503).send({ error: `${appName} is not running` });
      let answer: AckAnswer;
      try {
        answer = await target.dispatch(body, retryInfo(request.headers));
      } catch {
        return reply.status(500).send({ error: "could not handle the request now" });
      }
      if (answer.body === undefined || answer.body === "") return reply.status(200).send();
      if (typeof answer.body === "string") return reply.status(200).type("text/plain; charset=utf-8").send(answer.body);
      return reply.status(200).send(answer.body);
    });
  });
}
