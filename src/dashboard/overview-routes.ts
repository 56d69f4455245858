import type { FastifyInstance } from "fastify";
import type { Clock } from "../core/clock.ts";
import type { PrismaClient } from "../db/generated/client.ts";
import type { BuiltServices } from "../engine/build-services.ts";
import { loadChartAssets } from "./chart-assets.ts";
import { page } from "./dashboard-html.ts";
import { sendPage, signedInFrame } from "./dashboard-frame.ts";
import { readOverview } from "./overview-data.ts";
import { overviewBody } from "./overview-page.ts";

export interface OverviewRouteOptions {
  prisma: PrismaClient;
  services: Pick<BuiltServices, "surveys" | "loyalty">;
  clock: Clock;
}

/**
 * The overview (/dashboard), its figures as JSON (/dashboard/api/overview) and the chart files
 * (/dashboard/assets/…), on the dashboard's guarded scope: signed-in staff only, like every page.
 */
export function registerOverviewRoutes(scope: FastifyInstance, { prisma, services, clock }: OverviewRouteOptions): void {
  const assets = loadChartAssets();
  const read = () => readOverview({ prisma, surveys: services.surveys, loyalty: services.loyalty }, clock.now());

  for (const [name, asset] of Object.entries(assets)) {
    scope.get(`/assets/${name}`, async (_request, reply) => reply.type(asset.type).send(asset.body));
  }

  scope.get("/api/overview", async () => read());

  scope.get("/", async (request, reply) => {
    const f = signedInFrame(request, (t) => t.overview, "overview");
    return sendPage(reply, page(f, overviewBody(f.t, f.lang, await read())));
  });
}
