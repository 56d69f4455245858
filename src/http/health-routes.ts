import type { FastifyInstance } from "fastify";
import type { Database } from "../db/database.ts";
import { describeError } from "../errors.ts";
import type { Metrics } from "../observability/metrics.ts";

export interface HealthDependencies {
  db: Database;
  metrics: Metrics;
  /** True once shutdown began: load balancers should stop sending work here. */
  isStopping: () => boolean;
}

export function registerHealthRoutes(app: FastifyInstance, { db, metrics, isStopping }: HealthDependencies): void {
  app.get("/healthz", async (_request, reply) => {
    const started = performance.now();
    let database: { kind: string; ok: boolean; latencyMs?: number; error?: string };
    try {
      await db.prisma.$queryRaw`SELECT 1`;
      database = { kind: db.kind, ok: true, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
    } catch (error) {
      database = { kind: db.kind, ok: false, error: describeError(error) };
    }
    metrics.databaseUp.set(database.ok ? 1 : 0);
    const status = !database.ok ? "database unavailable" : isStopping() ? "stopping" : "ok";
    reply.status(status === "ok" ? 200 : 503).send({ status, database });
  });

  app.get("/metrics", async (_request, reply) => {
    reply.header("content-type", metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
