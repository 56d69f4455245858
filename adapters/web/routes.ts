import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Conversation, ConversationAccess, ConversationEntry, InboundHandler } from "../../src/core/channel.ts";
import type { Clock } from "../../src/core/clock.ts";
import { visitorAddress } from "./adapter.ts";
import { clientAddress } from "./client-address.ts";
import { chatPage, pageLanguage } from "./page.ts";
import type { VisitorGate } from "./visitor-gate.ts";

export const WEBCHAT_BODY_LIMIT = 16 * 1024;
/** How much of the conversation the page shows when opened. */
export const HISTORY_LIMIT = 50;

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
const historyQuery = z.object({ visitorId });

export interface WebChatRouteDependencies {
  /** The engine's handler while the web chat runs. */
  handle: () => InboundHandler | undefined;
  conversations: ConversationAccess;
  gate: VisitorGate;
  clock: Clock;
  /** WEBCHAT_TRUST_PROXY: the header holding the client's address, or "off". */
  trustProxy: string;
  businessName: string | undefined;
}

const refusals = {
  visitor: "too many messages",
  address: "too many new conversations from this network",
  everyone: "too many new conversations right now",
};

function problems(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`).join("; ");
}

function shown(entry: ConversationEntry) {
  return {
    id: entry.id,
    direction: entry.direction,
    text: entry.text,
    ...(entry.choices ? { choices: entry.choices } : {}),
    answered: entry.answered,
    at: entry.at.toISOString(),
  };
}

/** A page's next `after`: the newest message it has, or (with none) the moment the question was asked. */
function answer(conversation: Conversation, askedAt: Date) {
  const last = conversation.entries.at(-1);
  return {
    messages: conversation.entries.map(shown),
    cursor: (last?.at ?? askedAt).toISOString(),
    language: conversation.language ?? null,
    // While staff have the conversation the page says so (and who), instead of waiting for the bot.
    handedOver: conversation.handedOver ?? null,
  };
}

export function registerWebChatRoutes(app: FastifyInstance, deps: WebChatRouteDependencies): void {
  const pages = new Map<string, string>();
  app.get("/chat", async (request, reply) => {
    const language = pageLanguage(request.headers["accept-language"]);
    let page = pages.get(language);
    if (!page) pages.set(language, (page = chatPage({ language, businessName: deps.businessName })));
    reply
      .header("content-type", "text/html; charset=utf-8")
      .header("vary", "accept-language")
      .header("content-security-policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:")
      .send(page);
  });
  app.get("/", async (_request, reply) => reply.redirect("/chat"));

  app.post("/webchat/api/messages", { bodyLimit: WEBCHAT_BODY_LIMIT }, async (request, reply) => {
    const parsed = postBody.safeParse(request.body);
    if (!parsed.success) return reply.status(400).send({ error: problems(parsed.error) });
    const body = parsed.data;
    const origin = clientAddress(request, deps.trustProxy);
    const admission = await deps.gate.admit(body.visitorId, origin);
    if (!admission.allowed) {
      const seconds = Math.ceil(admission.retryAfterMs / 1000);
      return reply
        .status(429)
        .header("retry-after", String(seconds))
        .send({ error: `${refusals[admission.reason]}: try again in ${seconds} s` });
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
      origin,
      receivedAt: deps.clock.now(),
      raw: request.body,
    });
    deps.gate.admitted(body.visitorId);
    const at = deps.clock.now().toISOString();
    // A page that lost the response retries with the same messageId: it gets the first answers again.
    if (replies.length === 0 && platformMessageId) {
      return { replies: await deps.conversations.previousReplies("web", body.visitorId, platformMessageId), at };
    }
    return { replies, at };
  });

  // The conversation so far, for a page being opened (or reloaded).
  app.get("/webchat/api/history", async (request, reply) => {
    const parsed = historyQuery.safeParse(request.query);
    if (!parsed.success) return reply.status(400).send({ error: problems(parsed.error) });
    const askedAt = deps.clock.now();
    return answer(await deps.conversations.recent("web", parsed.data.visitorId, HISTORY_LIMIT), askedAt);
  });

  // Messages Tend sent on its own (a case follow-up, a survey), for the page to poll.
  app.get("/webchat/api/messages", async (request, reply) => {
    const parsed = pollQuery.safeParse(request.query);
    if (!parsed.success) return reply.status(400).send({ error: problems(parsed.error) });
    const after = parsed.data.after ? new Date(parsed.data.after) : new Date(0);
    return answer(await deps.conversations.proactiveSince("web", parsed.data.visitorId, after), after);
  });
}
