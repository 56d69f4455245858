import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { InboundHandler, OutboundMessage } from "../../src/core/channel.ts";
import type { Clock } from "../../src/core/clock.ts";
import type { RateLimiter } from "../../src/core/rate-limiter.ts";
import type { CustomerRepository } from "../../src/db/repositories/customer-repository.ts";
import type { InteractionRepository } from "../../src/db/repositories/interaction-repository.ts";
import { toOutbound } from "../../src/engine/engine.ts";
import { chatPage } from "./page.ts";
import { visitorAddress } from "./web-channel.ts";

export const WEBCHAT_BODY_LIMIT = 16 * 1024;

const visitorId = z.string().regex(/^[A-Za-z0-9_-]{8,128}$/, "visitorId must be 8 to 128 letters, digits, - or _");

const postBody = z.object({
  visitorId,
  text: z.string().optional(),
  action: z.string().max(200).optional(),
  /** Chosen by the page per message: a retried request with the same id is answered, not handled again. */
  messageId: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/).optional(),
  /** The browser's language, a hint for a new visitor. */
  locale: z.string().max(35).optional(),
});

const pollQuery = z.object({ visitorId, after: z.iso.datetime({ offset: true }).optional() });

export interface WebChatRouteDependencies {
  handle: () => InboundHandler | undefined;
  /** What was answered to an earlier delivery of the same message. */
  previousReplies: (platformUserId: string, platformMessageId: string) => Promise<OutboundMessage[]>;
  customers: CustomerRepository;
  interactions: InteractionRepository;
  limiter: RateLimiter;
  clock: Clock;
}

function problems(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`).join("; ");
}

export function registerWebChatRoutes(app: FastifyInstance, deps: WebChatRouteDependencies): void {
  app.get("/chat", async (_request, reply) => {
    reply
      .header("content-type", "text/html; charset=utf-8")
      .header("content-security-policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:")
      .send(chatPage);
  });
  app.get("/", async (_request, reply) => reply.redirect("/chat"));

  app.post("/webchat/api/messages", { bodyLimit: WEBCHAT_BODY_LIMIT }, async (request, reply) => {
    const parsed = postBody.safeParse(request.body);
    if (!parsed.success) return reply.status(400).send({ error: problems(parsed.error) });
    const body = parsed.data;
    const limited = deps.limiter.take(body.visitorId);
    if (!limited.allowed) {
      const seconds = Math.ceil(limited.retryAfterMs / 1000);
      return reply.status(429).header("retry-after", String(seconds)).send({ error: `too many messages: try again in ${seconds} s` });
    }
    const handle = deps.handle();
    if (!handle) return reply.status(503).send({ error: "web chat is not running" });
    const platformMessageId = body.messageId ? `${body.visitorId}:${body.messageId}` : undefined;
    const replies = await handle({
      platform: "web",
      platformUserId: body.visitorId,
      address: visitorAddress(body.visitorId),
      platformMessageId,
      text: body.text,
      action: body.action,
      locale: body.locale,
      receivedAt: deps.clock.now(),
      raw: request.body,
    });
    // A page that lost the response retries with the same messageId: it gets the first answers again.
    if (replies.length === 0 && platformMessageId) return { replies: await deps.previousReplies(body.visitorId, platformMessageId) };
    return { replies };
  });

  // Messages Tend sent on its own (a case follow-up, a care message), for the page to poll.
  app.get("/webchat/api/messages", async (request, reply) => {
    const parsed = pollQuery.safeParse(request.query);
    if (!parsed.success) return reply.status(400).send({ error: problems(parsed.error) });
    const customer = await deps.customers.findByIdentity("web", parsed.data.visitorId);
    const after = parsed.data.after ? new Date(parsed.data.after) : new Date(0);
    if (!customer) return { messages: [], cursor: after.toISOString() };
    const sent = (await deps.interactions.outboundSince(customer.id, "web", after)).filter(
      (i) => (i.metadata as { proactive?: boolean } | null)?.proactive === true,
    );
    const cursor = sent.at(-1)?.occurredAt ?? after;
    return {
      messages: sent.map((i) => ({ ...toOutbound(i), at: i.occurredAt.toISOString() })),
      cursor: cursor.toISOString(),
    };
  });
}
