import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { channelFactories as installedChannels } from "../adapters/index.ts";
import { staffConsoleFactories as installedStaffConsoles } from "../adapters/staff-consoles.ts";
import type { StaffConsole, StaffConsoleFactory } from "./core/staff-console.ts";
import { buildStaffConsoleServices } from "./staff-console/build.ts";
import type { Config } from "./config/env.ts";
import type { ChannelAdapter, ConversationAccess } from "./core/channel.ts";
import type { ChannelFactory } from "./core/channel-factory.ts";
import { type Clock, systemClock } from "./core/clock.ts";
import { type BuiltServices, buildServices } from "./engine/build-services.ts";
import { ConversationHistory } from "./engine/conversation-history.ts";
import { Engine } from "./engine/engine.ts";
import { caseOfFollowUp } from "./feedback/feedback-service.ts";
import { Dispatcher } from "./outreach/dispatcher.ts";
import { contactGate } from "./outreach/contact-gate.ts";
import { contactPolicySettings } from "./outreach/contact-policy-settings.ts";
import { ContactFactsRepository } from "./db/repositories/contact-facts-repository.ts";
import { type InstanceRegistry, startInstanceRegistry } from "./outreach/instance-registry.ts";
import { SendPacer } from "./outreach/send-pacer.ts";
import { sendRatesFromConfig } from "./outreach/send-rates.ts";
import { outboxMetrics } from "./outreach/outbox-metrics.ts";
import { registerApiRoutes } from "./http/api-routes.ts";
import { registerStaffRoutes, staffRouteDependencies } from "./http/staff-routes.ts";
import { registerTakeoverRoutes } from "./http/takeover-routes.ts";
import { setUpStaffSide, staffAlertSettingsFromConfig } from "./staff/takeover-setup.ts";
import { staffAlertServices } from "./staff/takeover-console.ts";
import { registerOutreachRoutes } from "./http/outreach-routes.ts";
import { registerCampaignRoutes } from "./http/campaign-routes.ts";
import { CampaignService } from "./outreach/campaign-service.ts";
import { OutreachOverviewRepository } from "./db/repositories/outreach-overview-repository.ts";
import { analyticsSettingsFromConfig, refreshAnalytics } from "./analytics/refresh.ts";
import { JobScheduler } from "./jobs/scheduler.ts";
import { awardBirthdayBonuses } from "./loyalty/birthday-bonus.ts";
import { loadCarePlans } from "./outreach/care-plans-file.ts";
import { runCarePlanner } from "./outreach/planner-job.ts";
import { loyaltySettingsFromConfig } from "./loyalty/settings.ts";
import { type Database, databaseOptionsFromConfig, openDatabase } from "./db/database.ts";
import { applyMigrations } from "./db/migrations.ts";
import { TendError, describeError } from "./errors.ts";
import { registerHealthRoutes } from "./http/health-routes.ts";
import { DashboardAuth } from "./dashboard/dashboard-auth.ts";
import { registerDashboardRoutes } from "./dashboard/dashboard-routes.ts";
import { createHttpServer } from "./http/server.ts";
import { type Logger, createLogger } from "./observability/logger.ts";
import { type Metrics, createMetrics } from "./observability/metrics.ts";

export interface RunningTend {
  /** Where the HTTP server listens, e.g. http://127.0.0.1:3000 */
  readonly url: string;
  readonly db: Database;
  readonly http: FastifyInstance;
  readonly metrics: Metrics;
  readonly engine: Engine;
  readonly services: BuiltServices;
  /** Stops taking work, lets in-flight work finish, closes the database. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartOptions {
  config: Config;
  logger?: Logger;
  clock?: Clock;
  /** The chat platforms to offer; the installed adapters (the web chat among them) by default. */
  channelFactories?: ChannelFactory[];
  /** The staff consoles to offer (the staff Slack app); the installed ones by default. */
  staffConsoleFactories?: StaffConsoleFactory[];
}

/** The composition root: everything Tend runs is built and wired here, nowhere else. */
export async function startTend({
  config,
  logger = createLogger(config.LOG_LEVEL),
  clock = systemClock,
  channelFactories = installedChannels,
  staffConsoleFactories = installedStaffConsoles,
}: StartOptions): Promise<RunningTend> {
  const log = logger.child({ instance: config.TEND_INSTANCE_ID });
  // Checked before anything opens: a bad plans file stops Tend with its file and line.
  const carePlans = loadCarePlans(config.CARE_PLANS_FILE);
  const db = await openDatabase(databaseOptionsFromConfig(config));
  log.info({ database: db.description }, "database open");

  let http: FastifyInstance | undefined;
  let instances: InstanceRegistry | undefined;
  try {
    const applied = await applyMigrations(db.sql);
    log.info({ applied }, applied.length ? "migrations applied" : "database schema is up to date");

    const services = buildServices(db, config, clock, log);
    // Alerts and the takeover relay (src/staff); alerts only with a staff channel to post them to.
    const staffSide = setUpStaffSide({ prisma: db.prisma, services, clock, settings: staffAlertSettingsFromConfig(config), alertsOn: Boolean(config.TEND_STAFF_SLACK_CHANNEL) });
    const metrics = createMetrics();
    const engine = new Engine({ services, logger: log, clock, staff: config.TEND_STAFF_SLACK_CHANNEL ? staffSide.engineHooks : undefined, observeInbound: (platform, seconds) => metrics.inboundDuration.observe({ platform }, seconds) });
    const catalogue = await services.loyalty.syncRewardCatalogue();
    log.info({ source: catalogue.source, written: catalogue.written }, "reward catalogue ready");

    metrics.watchOutboxDepth(() => services.outbox.depthByStatus());
    // One campaign service for the API and the dashboard.
    const tierRules = loyaltySettingsFromConfig(config);
    const campaigns = new CampaignService({
      db,
      clock,
      tierRules,
      policy: contactPolicySettings(config),
      plan: carePlans.campaigns,
      onQueued: () => services.outbox.queued(),
      staff: services.staff,
    });
    let stopping = false;
    http = createHttpServer({ logger: log, metrics });
    registerHealthRoutes(http, { db, metrics, isStopping: () => stopping });
    registerApiRoutes(http, {
      ingest: services.ingest,
      // Named keys (`tend staff add-key`) and TEND_API_KEY; each request acts as its key.
      staff: services.staff,
      moreRoutes: (api) => {
        registerStaffRoutes(api, staffRouteDependencies(services, (customerId, kind) => engine.inviteToSurvey(customerId, kind)));
        registerOutreachRoutes(api, { overview: new OutreachOverviewRepository(db.prisma), outbox: services.outbox, customers: services.customers, customerService: services.customerService, clock });
        registerTakeoverRoutes(api, { takeover: staffSide.takeover, customers: services.customerService });
        registerCampaignRoutes(api, { campaigns });
      },
    });
    if (!(await services.staff.apiEnabled())) log.warn("the HTTP API is off: make a key with `tend staff add-key <name>` or set TEND_API_KEY");
    // The staff dashboard (/dashboard): named staff signed in by a one-time link (`tend staff login-link`).
    registerDashboardRoutes(http, {
      prisma: db.prisma,
      services,
      auth: new DashboardAuth({ prisma: db.prisma, staff: services.staff, clock }),
      clock,
      queues: { alerts: staffSide.alerts, campaigns, outbox: services.outbox, policy: contactPolicySettings(config), tiers: tierRules.tiers, campaignsEnabled: carePlans.campaigns.enabled, carePlans },
      // The customer page's message (contact policy, then the outbox) and takeover reply, as Slack and the API do them.
      customerActions: { console: buildStaffConsoleServices({ db, config, services, clock }), takeover: staffSide.takeover },
    });

    // What channels may ask the engine besides handing it messages (the web chat's history and retries).
    const history = new ConversationHistory(services.customers, services.interactions);
    const conversations: ConversationAccess = {
      knows: (platform, platformUserId) => history.knows(platform, platformUserId),
      recent: (platform, platformUserId, limit) => history.recent(platform, platformUserId, limit),
      proactiveSince: (platform, platformUserId, since) => history.proactiveSince(platform, platformUserId, since),
      previousReplies: (platform, platformUserId, platformMessageId) => engine.previousReplies(platform, platformUserId, platformMessageId),
    };

    // Adapters are made before listening (webhook routes must exist by then) and started after.
    const channels: ChannelAdapter[] = [];
    const off: string[] = [];
    const configured: ChannelAdapter[] = [];
    for (const factory of channelFactories) {
      const missing = factory.missingSettings(config);
      if (missing.length) off.push(`${factory.platform} (set ${missing.join(", ")})`);
      else configured.push(await factory.create({ config, logger: log.child({ channel: factory.platform }), http, conversations, clock }));
    }

    // Staff consoles, like channels: made before listening (their routes), started after.
    const staffConsoleOff: string[] = [];
    const staffConsolesMade: StaffConsole[] = [];
    const staffServices = {
      ...buildStaffConsoleServices({ db, config, services, clock }),
      ...(config.TEND_STAFF_SLACK_CHANNEL
        ? { alerts: staffAlertServices({ side: staffSide, staff: services.staff, customers: services.customerService, internalPrefix: config.TEND_STAFF_INTERNAL_PREFIX }) }
        : {}),
    };
    for (const factory of staffConsoleFactories) {
      const missing = factory.missingSettings(config);
      if (missing.length) staffConsoleOff.push(`${factory.name} (set ${missing.join(", ")})`);
      else staffConsolesMade.push(await factory.create({ config, logger: log.child({ console: factory.name }), http, clock, services: staffServices }));
    }

    const url = await listen(http, config.HOST, config.PORT);
    log.info({ url, chat: `${url}/chat` }, "Tend is listening");

    for (const adapter of configured) {
      try {
        await adapter.start(engine.handleInbound, engine.recordReplyDelivery);
        engine.registerChannel(adapter);
        channels.push(adapter);
      } catch (error) {
        // One channel's bad token must not keep the others (or the web chat) down.
        log.error({ platform: adapter.platform, err: describeError(error) }, "channel did not start");
        off.push(`${adapter.platform} (failed: ${describeError(error)})`);
        await adapter.stop().catch(() => {});
      }
    }
    log.info({ on: channels.map((c) => c.platform), off }, "channels");

    const staffConsoles: StaffConsole[] = [];
    for (const staffConsole of staffConsolesMade) {
      try {
        await staffConsole.start();
        staffConsoles.push(staffConsole);
      } catch (error) {
        // A bad staff token must not keep customers' channels down.
        log.error({ console: staffConsole.name, err: describeError(error) }, "staff console did not start");
        staffConsoleOff.push(`${staffConsole.name} (failed: ${describeError(error)})`);
        await staffConsole.stop().catch(() => {});
      }
    }
    log.info({ on: staffConsoles.map((c) => c.name), off: staffConsoleOff }, "staff consoles");

    // Platform limits; on a shared PostgreSQL this instance keeps to its share, known before the first send.
    const pacer = new SendPacer({ rates: sendRatesFromConfig(config), clock });
    instances = await startInstanceRegistry({
      db,
      pacer,
      name: config.TEND_INSTANCE_ID,
      platforms: channels.map((channel) => channel.platform),
      clock,
      intervalMs: config.TEND_INSTANCE_HEARTBEAT_SECONDS * 1000,
      logger: log,
    });

    const staffNotifier = staffConsoles.find((staffConsole) => staffConsole.notifier)?.notifier;
    // Every instance dispatches, for the channels it runs; claims keep instances off each other's rows.
    const dispatcher = new Dispatcher({
      outbox: services.outbox,
      channels: engine,
      clock,
      logger: log,
      instanceId: `${config.TEND_INSTANCE_ID}:${randomUUID()}`,
      observer: outboxMetrics(metrics),
      // The contact policy at send time, not only when planning: consent, quiet hours or a complaint may have changed since.
      gate: contactGate(new ContactFactsRepository(db.prisma), contactPolicySettings(config)),
      pacer,
      afterSent: async (row, sentAt) => {
        const caseId = caseOfFollowUp(row.dedupeKey);
        if (caseId) await services.feedback.followUpSent(caseId, sentAt);
        await staffSide.afterSent(row);
      },
      // Staff rows (alerts, takeover threads) go out where a staff console that can post them runs.
      staff: staffNotifier ? staffSide.delivery(staffNotifier) : undefined,
      afterEnded: (row, end, reason) => staffSide.afterEnded(row, end, reason),
    });
    services.outbox.onQueued(() => dispatcher.wake());
    dispatcher.start();

    // Started last, so that a failed start leaves no timers behind.
    const jobs = new JobScheduler(log);
    jobs.add({ name: "loyalty-expiry", schedule: config.LOYALTY_EXPIRY_CRON, run: () => services.loyalty.expirePoints() });
    jobs.add({ name: "survey-expiry", schedule: "*/30 * * * *", run: () => services.surveys.expireOverdue() });
    jobs.add({
      name: "analytics-refresh",
      schedule: config.ANALYTICS_REFRESH_CRON,
      run: () => refreshAnalytics({ prisma: db.prisma, sql: db.sql, clock, settings: analyticsSettingsFromConfig(config) }),
    });
    jobs.add({
      name: "birthday-bonus",
      schedule: "5 * * * *",
      run: () => awardBirthdayBonuses({ ...services, clock, points: config.LOYALTY_BIRTHDAY_BONUS_POINTS }),
    });
    jobs.add({
      name: "care-planner",
      schedule: config.CARE_PLANNER_CRON,
      run: () =>
        runCarePlanner({
          db,
          plans: carePlans,
          clock,
          birthdayBonusPoints: config.LOYALTY_BIRTHDAY_BONUS_POINTS,
          tiers: loyaltySettingsFromConfig(config).tiers,
          surveys: { surveys: services.surveys, customers: services.customers },
        }),
    });

    let stopped: Promise<void> | undefined;
    const server = http;
    const stop = () =>
      (stopped ??= (async () => {
        stopping = true;
        log.info("shutting down: no new work is taken");
        await withTimeout(server.close(), config.SHUTDOWN_TIMEOUT_MS, "in-flight requests").catch((error) =>
          log.warn({ err: describeError(error) }, "shutdown did not finish cleanly"),
        );
        await jobs.stop();
        for (const staffConsole of staffConsoles) {
          await staffConsole.stop().catch((error) => log.warn({ console: staffConsole.name, err: describeError(error) }, "staff console did not stop cleanly"));
        }
        // Before the channels: the send in flight finishes through its adapter; unstarted claims go back.
        await dispatcher.stop();
        pacer.close();
        await instances?.stop();
        for (const channel of channels) {
          await channel.stop().catch((error) => log.warn({ platform: channel.platform, err: describeError(error) }, "channel did not stop cleanly"));
        }
        await db.close();
        log.info("stopped");
      })());
    return { url, db, http, metrics, engine, services, stop };
  } catch (error) {
    await instances?.stop().catch(() => {});
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
