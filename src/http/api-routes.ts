import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { IngestResult, IngestService, IngestStatus, ItemResult } from "../ingest/ingest-service.ts";
import { bearerToken, hashApiKey, sameHash } from "../staff/api-key-secret.ts";
import { apiKeyActorId } from "../staff/actor.ts";
import { type ApiKeyCheck, LEGACY_API_KEY_NAME, type StaffService } from "../staff/staff-service.ts";
import { attachActor } from "./staff-actor.ts";
import { validationFailed } from "./validation-reply.ts";

/** What the API's key check needs of the staff service. */
export type ApiKeyAuthenticator = Pick<StaffService, "authenticateApiKey" | "apiEnabled">;

export interface ApiDependencies {
  ingest: IngestService;
  /**
   * Named API keys (`tend staff add-key`) and TEND_API_KEY, through the staff service. Without it,
   * only `apiKey` opens the API (as the key named "TEND_API_KEY").
   */
  staff?: ApiKeyAuthenticator | undefined;
  /** TEND_API_KEY, when no staff service is given. With neither a key nor any named key the API answers 503: it is never open. */
  apiKey?: string | undefined;
  /** More routes under /api behind the same key (staff actions). */
  moreRoutes?: (api: FastifyInstance) => void;
}

/**
 * The ingest API under /api: customers and orders from a shop or CRM, one at a time or in
 * batches. Every path under /api needs `Authorization: Bearer <key>`, a named key or TEND_API_KEY;
 * the key is checked before the body is even read, and before routing: an unknown path answers
 * 401 without a key and 404 only with one, so nobody can map the routes without a key. The key's
 * actor (`actorOf(request)`, src/http/staff-actor.ts) is who every staff route acts as.
 */
export function registerApiRoutes(app: FastifyInstance, { ingest, staff, apiKey, moreRoutes }: ApiDependencies): void {
  const keys = staff ?? legacyKeyOnly(apiKey);

  app.register(
    async (api) => {
      api.addHook("onRequest", async (request, reply) => {
        const check = await keys.authenticateApiKey(bearerToken(request.headers.authorization));
        if (check.ok) return attachActor(request, check.actor);
        // Asked only on a failed check, so a valid key costs one indexed lookup and nothing more.
        if (!(await keys.apiEnabled())) return reply.code(503).send({ error: "API disabled: set TEND_API_KEY or make a key with `tend staff add-key <name>`" });
        if (check.reason === "revoked") request.log.warn({ key: check.keyName }, "API request with a revoked key refused");
        return reply
          .code(401)
          .header("www-authenticate", 'Bearer realm="tend"')
          .send({ error: check.reason === "revoked" ? "this API key was revoked" : "missing or wrong API key: send the header Authorization: Bearer <key>" });
      });

      // Runs after the key check above (hooks of this context apply to its not-found handler too).
      api.setNotFoundHandler((request, reply) => {
        reply.code(404).send({ error: `no such API route: ${request.method} ${request.url.split("?")[0]}` });
      });

      api.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) => {
        const clientError = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500;
        // Server-side failures go to the server's handler: one place logs them and maps a database outage to 503.
        if (!clientError) throw error;
        return reply.code(error.statusCode!).send({ error: clientErrorMessage(error, app.initialConfig.bodyLimit ?? 1024 * 1024) });
      });

      api.post("/customers", async (request, reply) => {
        const body = objectBody(request, reply, "a customer");
        if (body === undefined) return reply;
        return sendSingle(reply, await ingest.upsertCustomer(body, { source: "api" }), "customer");
      });

      api.post("/orders", async (request, reply) => {
        const body = objectBody(request, reply, "an order");
        if (body === undefined) return reply;
        return sendSingle(reply, await ingest.recordOrder(body, { source: "api" }), "order");
      });

      api.post("/customers/batch", async (request, reply) => {
        const items = arrayBody(request, reply, "customers", ingest.maxBatchItems);
        if (items === undefined) return reply;
        return sendBatch(request, reply, await ingest.upsertCustomers(items, { source: "api" }));
      });

      api.post("/orders/batch", async (request, reply) => {
        const items = arrayBody(request, reply, "orders", ingest.maxBatchItems);
        if (items === undefined) return reply;
        return sendBatch(request, reply, await ingest.recordOrders(items, { source: "api" }));
      });

      moreRoutes?.(api);
    },
    { prefix: "/api" },
  );
}

/** The API with only TEND_API_KEY (tests and tools that build the routes without the staff service). */
function legacyKeyOnly(apiKey: string | undefined): ApiKeyAuthenticator {
  const expected = apiKey ? hashApiKey(apiKey) : undefined;
  return {
    authenticateApiKey: async (key: string | undefined): Promise<ApiKeyCheck> => {
      if (!key) return { ok: false, reason: "missing" };
      // Compared as digests of equal length, so the time taken says nothing about the key.
      if (!expected || !sameHash(hashApiKey(key), expected)) return { ok: false, reason: "unknown" };
      return { ok: true, actor: { kind: "integration", id: apiKeyActorId(LEGACY_API_KEY_NAME), name: LEGACY_API_KEY_NAME, via: "api" } };
    },
    apiEnabled: async () => expected !== undefined,
  };
}

function clientErrorMessage(error: Error & { code?: string }, bodyLimit: number): string {
  switch (error.code) {
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return "malformed JSON: the request body is not valid JSON";
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return "malformed JSON: the request body is empty";
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return `request body too large: the limit is ${bodyLimit} bytes; send smaller batches`;
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return "unsupported content type: send JSON with Content-Type: application/json";
    default:
      return error.message;
  }
}

/** The JSON body, or undefined once a 415 has been sent for anything that is not JSON. */
function jsonBody(request: FastifyRequest, reply: FastifyReply): { value: unknown } | undefined {
  const type = request.headers["content-type"] ?? "";
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    reply.code(415).send({ error: "unsupported content type: send JSON with Content-Type: application/json" });
    return undefined;
  }
  return { value: request.body };
}

function objectBody(request: FastifyRequest, reply: FastifyReply, what: string): unknown {
  const body = jsonBody(request, reply);
  if (!body) return undefined;
  if (typeof body.value !== "object" || body.value === null || Array.isArray(body.value)) {
    reply.code(422).send(validationFailed([{ path: "", message: `must be a JSON object describing ${what}${Array.isArray(body.value) ? " (send lists to the /batch route)" : ""}` }]));
    return undefined;
  }
  return body.value;
}

function arrayBody(request: FastifyRequest, reply: FastifyReply, what: string, max: number): unknown[] | undefined {
  const body = jsonBody(request, reply);
  if (!body) return undefined;
  if (!Array.isArray(body.value)) {
    reply.code(422).send(validationFailed([{ path: "", message: `must be a JSON array of ${what}` }]));
    return undefined;
  }
  if (body.value.length > max) {
    reply.code(422).send(validationFailed([{ path: "", message: `must hold at most ${max} ${what} (got ${body.value.length}); split it into smaller batches` }]));
    return undefined;
  }
  return body.value;
}

function sendSingle(reply: FastifyReply, result: IngestResult, kind: "customer" | "order"): FastifyReply {
  if (result.status === "rejected") {
    if (result.conflict) return reply.code(409).send({ error: "conflict", id: result.id, errors: result.errors ?? [] });
    return reply.code(422).send(validationFailed(result.errors ?? []));
  }
  const { errors: _errors, conflict: _conflict, ...rest } = result;
  const body = kind === "order" ? { ...rest, duplicate: result.status === "duplicate" } : rest;
  return reply.code(result.status === "created" ? 201 : 200).send(body);
}

function sendBatch(request: FastifyRequest, reply: FastifyReply, results: ItemResult[]): FastifyReply {
  const counts: Record<IngestStatus, number> = { created: 0, updated: 0, duplicate: 0, rejected: 0 };
  for (const result of results) counts[result.status] += 1;
  request.log.info({ route: request.routeOptions.url, counts }, "batch ingested");
  return reply.code(200).send({ counts, results });
}
