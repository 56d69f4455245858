import type { Config } from "../config/env.ts";
import type { Clock } from "../core/clock.ts";
import type { StaffConsoleServices } from "../core/staff-console-services.ts";
import type { Database } from "../db/database.ts";
import { ContactFactsRepository } from "../db/repositories/contact-facts-repository.ts";
import { OutreachOverviewRepository } from "../db/repositories/outreach-overview-repository.ts";
import { StaffConsoleRepository } from "../db/repositories/staff-console-repository.ts";
import type { BuiltServices } from "../engine/build-services.ts";
import { DashboardAuth } from "../dashboard/dashboard-auth.ts";
import { contactPolicySettings } from "../outreach/contact-policy-settings.ts";
import { dashboardLinkService } from "./dashboard-link.ts";
import { staffConsoleServices } from "./services.ts";

/** The staff consoles' port over the services the composition root built. */
export function buildStaffConsoleServices({ db, config, services, clock }: { db: Database; config: Config; services: BuiltServices; clock: Clock }): StaffConsoleServices {
  const consoleServices = staffConsoleServices({
    staff: services.staff,
    customers: services.customerService,
    cards: services.cards,
    outbox: services.outbox,
    contactFacts: new ContactFactsRepository(db.prisma),
    policy: contactPolicySettings(config),
    surveys: services.surveys,
    overview: new OutreachOverviewRepository(db.prisma),
    repo: new StaffConsoleRepository(db.prisma),
    clock,
  });
  const dashboardLink = dashboardLinkService({ auth: new DashboardAuth({ prisma: db.prisma, staff: services.staff, clock }), staff: services.staff, publicUrl: config.TEND_PUBLIC_URL });
  return { ...consoleServices, dashboardLink };
}
