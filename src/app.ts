import type { FastifyInstance } from "fastify";
import type { Config } from "./config/env.ts";
import { type Database, databaseOptionsFromConfig, openDatabase } from "./db/database.ts";
import { applyMigrations } from "./db/migrations.ts";
import { TendError, describeError } from "./errors.ts";
import { registerHealthRoutes } from "./http/health-routes.ts";
import { createHttpServer } from "./http/server.ts";
import { type Logger, createLogger } from "./observability/logger.ts";
import { type Metrics, createMetrics } from "./observability/metrics.ts";

export interface RunningTend {
  /** Where the HTTP server listens, e.g. http://127.0.0.1:3000 */
  readonly url: string;
  readonly db: Database;
  readonly http: FastifyInstance;
  readonly metrics: Metrics;
  /** Stops taking work, lets in-flight work finish, closes the database. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartOptions {
  config: Config;
  logger?: Logger;
}

/** The composition root: everything Tend runs is built and wired here, nowhere else. */
export async function startTend({ config, logger = createLogger(config.LOG_LEVEL) }: StartOptions): Promise<RunningTend> {
  const log = logger.child({ instance: config.TEND_INSTANCE_ID });
  const db = await openDatabase(databaseOptionsFromConfig(config));
  log.info({ database: db.description }, "database open");

  let http: FastifyInstance | undefined;
  try {
    const applied = await applyMigrations(db.sql);
    log.info({ applied }, applied.length ? "migrations applied" : "database schema is up to date");

    const metrics = createMetrics();
    let stopping = false;
    http = createHttpServer({ logger: log, metrics });
    registerHealthRoutes(http, { db, metrics, isStopping: () => stopping });

    const url = await listen(http, config.HOST, config.PORT);
    log.info({ url }, "Tend is listening");

    let stopped: Promise<void> | undefined;
    const server = http;
    const stop = () =>
      (stopped ??= (async () => {
        stopping = true;
        log.info("shutting down: no new work is taken");
        await withTimeout(server.close(), config.SHUTDOWN_TIMEOUT_MS, "in-flight requests").catch((error) =>
          log.warn({ err: describeError(error) }, "shutdown did not finish cleanly"),
        );
        await db.close();
        log.info("stopped");
      })());
    return { url, db, http, metrics, stop };
  } catch (error) {
    await http?.close().catch(() => {});
    await db.close().catch(() => {});
    throw error;
  }
}

async function listen(app: FastifyInstance, host: string, port: number): Promise<string> {
  try {
    await app.listen({ host, port });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") {
      throw new TendError("PORT_IN_USE", `port ${port} (PORT) is already in use on ${host}; stop the other program or set PORT to a free port`);
    }
    if (code === "EACCES") {
      throw new TendError("PORT_DENIED", `not allowed to listen on port ${port} (PORT) on ${host}; choose a port above 1023`);
    }
    if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") {
      throw new TendError("HOST_INVALID", `cannot listen on ${host} (HOST): ${describeError(error)}`);
    }
    throw error;
  }
  const address = app.server.address();
  const actualPort = typeof address === "object" && address ? address.port : port;
  const shownHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  return `http://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${actualPort}`;
}

async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`gave up waiting for ${what} after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
