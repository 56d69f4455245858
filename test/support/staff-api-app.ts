import { Writable } from "node:stream";
import { Command } from "commander";
import type { FastifyInstance } from "fastify";
import { type Config, loadConfig } from "../../src/config/env.ts";
import type { Clock } from "../../src/core/clock.ts";
import type { Database } from "../../src/db/database.ts";
import { type BuiltServices, buildServices } from "../../src/engine/build-services.ts";
import { registerApiRoutes } from "../../src/http/api-routes.ts";
import { registerOutreachRoutes } from "../../src/http/outreach-routes.ts";
import { createHttpServer } from "../../src/http/server.ts";
import { registerStaffRoutes, staffRouteDependencies } from "../../src/http/staff-routes.ts";
import { OutreachOverviewRepository } from "../../src/db/repositories/outreach-overview-repository.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { createMetrics } from "../../src/observability/metrics.ts";

/** The staff API as src/app.ts wires it (named keys through the staff service), on a test database. */
export async function staffApiApp(db: Database, clock: Clock, env: Record<string, string> = {}): Promise<{ app: FastifyInstance; services: BuiltServices; config: Config }> {
  const config = loadConfig({ OUTREACH_DEFAULT_QUIET_HOURS: "off", ...env });
  const services = buildServices(db, config, clock, createLogger("silent"));
  const app = createHttpServer({ logger: createLogger("silent"), metrics: createMetrics() });
  registerApiRoutes(app, {
    ingest: services.ingest,
    staff: services.staff,
    moreRoutes: (api) => {
      registerStaffRoutes(api, staffRouteDependencies(services, async () => {
          throw new Error("not used here");
        }));
      registerOutreachRoutes(api, { overview: new OutreachOverviewRepository(db.prisma), outbox: services.outbox, customers: services.customers, customerService: services.customerService, clock });
    },
  });
  await app.ready();
  return { app, services, config };
}

class Collect extends Writable {
  text = "";
  override _write(chunk: Buffer | string, _encoding: string, callback: () => void) {
    this.text += chunk.toString();
    callback();
  }
}

/** Runs `tend <args>` through commander with the given commands registered, on the suite's (still open) database. */
export async function runCommands(
  db: Database,
  register: (program: Command, openDb: () => Promise<Database>, stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream) => void,
  args: string[],
): Promise<{ stdout: string; error?: unknown }> {
  const stdout = new Collect();
  const stderr = new Collect();
  const program = new Command("tend").exitOverride().configureOutput({ writeErr: (t) => stderr.write(t), writeOut: (t) => stdout.write(t) });
  const openDb = async (): Promise<Database> => ({ ...db, close: async () => {} });
  register(program, openDb, stdout, stderr);
  try {
    await program.parseAsync(args, { from: "user" });
    return { stdout: stdout.text };
  } catch (error) {
    return { stdout: stdout.text, error };
  }
}
