import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import { isDatabaseUnavailable } from "../db/prisma-errors.ts";
import type { Logger } from "../observability/logger.ts";
import type { Metrics } from "../observability/metrics.ts";

/** What a 503 during a database outage asks clients to wait: long enough for a failover or restart to begin. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

export interface HttpServerOptions {
  logger: Logger;
  metrics: Metrics;
  /** Larger request bodies are refused with 413. */
  bodyLimitBytes?: number;
}

export function createHttpServer({ logger, metrics, bodyLimitBytes = 1024 * 1024 }: HttpServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: logger.child({ component: "http" }) as FastifyBaseLogger,
    // Request lines are logged at debug: URLs can carry ids a business may consider personal.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: bodyLimitBytes,
    // Keep-alive sockets would otherwise hold shutdown open until they time out.
    forceCloseConnections: "idle",
  });

  // Shutdown waits for every route handler still running, also those whose client has gone:
  // Node's server closes once its sockets are closed, and a handler left running would then use
  // the database while it is being closed (pool.end() waits for ever for a connection the Prisma
  // adapter left in BEGIN when its transaction start failed on the ending pool).
  const handlers = new Set<Promise<unknown>>();
  app.addHook("onRoute", (route) => {
    const handler = route.handler;
    route.handler = function (this: FastifyInstance, request, reply) {
      const result: unknown = handler.call(this, request, reply);
      if (result instanceof Promise) {
        const settled = result.then(
          () => {},
          () => {},
        );
        handlers.add(settled);
        void settled.then(() => handlers.delete(settled));
      }
      return result;
    } as typeof handler;
  });
  app.addHook("onClose", async () => {
    while (handlers.size > 0) await Promise.all([...handlers]);
  });

  // Responses finished during shutdown close their connection: otherwise a keep-alive client
  // holds the server open long after its last request.
  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
  });
  app.addHook("onSend", async (_request, reply, payload) => {
    if (closing) reply.header("connection", "close");
    return payload;
  });

  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    request.log.debug({ method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, "request");
  });

  // Clients get a short JSON error; the details (which may name the database) stay in the log.
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    if (isDatabaseUnavailable(error)) {
      request.log.error({ err: error, route: request.routeOptions.url }, "database unavailable: request answered 503");
      return reply.status(503).header("retry-after", String(DATABASE_RETRY_AFTER_SECONDS)).send({ error: "database unavailable: try again shortly" });
    }
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, "request failed");
    return reply.status(status).send({ error: status >= 500 ? "internal error" : error.message });
  });

  return app;
}
