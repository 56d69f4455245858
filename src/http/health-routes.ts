import type { FastifyInstance } from "fastify";
import type { Database } from "../db/database.ts";
import type { Metrics } from "../observability/metrics.ts";
import { DATABASE_RETRY_AFTER_SECONDS } from "./server.ts";

export interface HealthDependencies {
  db: Database;
  metrics: Metrics;
  /** True once shutdown began: load balancers should stop sending work here. */
  isStopping: () => boolean;
}

export function registerHealthRoutes(app: FastifyInstance, { db, metrics, isStopping }: HealthDependencies): void {
  // Logged when the database goes away and when it is back, not on every probe of a load balancer.
  let wasUp = true;

  app.get("/healthz", async (request, reply) => {
    const started = performance.now();
    let database: { kind: string; ok: boolean; latencyMs?: number };
    try {
      await db.prisma.$queryRaw`SELECT 1`;
      database = { kind: db.kind, ok: true, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
      if (!wasUp) request.log.info("database available again");
      wasUp = true;
    } catch (error) {
      // The error text names the database, its host and user: the log has it, the public body does not.
      if (wasUp) request.log.error({ err: error }, "database unavailable: /healthz answers 503");
      wasUp = false;
      database = { kind: db.kind, ok: false };
    }
    metrics.databaseUp.set(database.ok ? 1 : 0);
    const status = !database.ok ? "database unavailable" : isStopping() ? "stopping" : "ok";
    if (!database.ok) reply.header("retry-after", String(DATABASE_RETRY_AFTER_SECONDS));
    reply.status(status === "ok" ? 200 : 503).send({ status, database });
  });

  app.get("/metrics", async (_request, reply) => {
    reply.header("content-type", metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
