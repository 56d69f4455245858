/**
 * The staff Slack app: a Bolt App of its own (its own bot token, and signing secret or app-level
 * token), apart from the customer channel in adapters/slack, so staff and customer traffic never mix.
 *
 * CONTRACT FOR FEATURES (alerts, takeover threads, the staff outbox route…):
 * - A feature is a `StaffFeature = (app: App, ctx: StaffSlackContext) => void` (context.ts),
 *   listed in features.ts. Each is applied once when the app is built at start(), after the access
 *   check and before any request can arrive. It adds Bolt listeners (app.action, app.view,
 *   app.event, app.message…) and/or `/tend <word>` subcommands with `ctx.subcommand({...})`, and
 *   may hook `ctx.onTakeOver(...)` (runs after the card's Take over button took a conversation).
 * - Access control (access.ts) runs before every slash command, block action, options request,
 *   view submission and shortcut: only staff (`services.authorizeSlack`) in configured channels or
 *   DMs get through; everyone else gets an ephemeral refusal and the attempt is audited. In a
 *   listener, `staffActor(context)` is the acting staff member: pass it to every service call that
 *   changes something (it is the audit's actor). Events (messages, reactions) are NOT filtered:
 *   a feature decides about them itself (and ignores `ctx.botUserId`'s own messages).
 * - Action ids start with `tend.staff.` (this file's features use `tend.staff.card.*`); a button's
 *   value carries the customer id. Modals put `encodeModalMetadata({ channel, customerId })` in
 *   private_metadata so their submission is checked against the channel they came from.
 * - Slow work: `await ack()` first (Slack's 3 s), then answer with `respond` (response_url) or
 *   `ctx.client` (the staff bot's WebClient: no silent retries, errors thrown).
 * - ctx.services is the port to Tend (src/core/staff-console-services.ts): add what a feature
 *   needs there and in its implementation (src/staff-console/services.ts), never import src/ domain code here.
 */
import { App, webApi } from "@slack/bolt";
import type { Clock } from "../../src/core/clock.ts";
import type { StaffConsole } from "../../src/core/staff-console.ts";
import type { StaffConsoleServices } from "../../src/core/staff-console-services.ts";
import { describeError } from "../../src/errors.ts";
import type { Logger } from "../../src/observability/logger.ts";
import { webClientOptions } from "../slack/adapter.ts";
import { boltLogger } from "../slack/bolt-logger.ts";
import { platformErrorCode } from "../slack/errors.ts";
import { FastifyReceiver } from "../slack/receiver.ts";
import type { StaffNotifier } from "../../src/core/staff-notifier.ts";
import { SlackStaffNotifier } from "./alerts-notifier.ts";
import { accessControl } from "./access.ts";
import { routeStaffCommand } from "./command-router.ts";
import type { StaffFeature, StaffSlackContext, StaffSubcommand, TakeOverHook } from "./context.ts";

export interface StaffSlackSettings {
  botToken: string;
  /** With it, requests come over Socket Mode; without, over HTTP to POST /slack/staff/events. */
  appToken?: string | undefined;
  /** Web API base URL ending in /api/. */
  apiUrl: string;
  alertsChannel?: string | undefined;
  command: string;
}

export interface StaffSlackDeps {
  settings: StaffSlackSettings;
  services: StaffConsoleServices;
  log: Logger;
  clock: Clock;
}

/** Refusals of a token: the named variable needs fixing, retrying will not help. */
const TOKEN_ERRORS = new Set(["invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive", "not_allowed_token_type"]);

export class StaffSlackApp implements StaffConsole {
  readonly name = "slack-staff";
  readonly mode: "http" | "socket";
  readonly client: webApi.WebClient;
  /** Set in HTTP mode: the route hands requests to it. */
  readonly receiver: FastifyReceiver | undefined;
  readonly ctx: StaffSlackContext;
  private readonly features: StaffFeature[] = [];
  private readonly subcommands: StaffSubcommand[] = [];
  /** Run after a Take over from the card (the takeover thread hooks in here). */
  readonly takeOverHooks: TakeOverHook[] = [];
  /** Posts alerts and takeover threads in the staff channel for the dispatcher (alerts-notifier.ts). */
  readonly notifier: StaffNotifier | undefined;
  private app: App | undefined;
  private botUserId: string | undefined;

  constructor(private readonly deps: StaffSlackDeps) {
    const { settings, log } = deps;
    this.mode = settings.appToken ? "socket" : "http";
    this.client = new webApi.WebClient(settings.botToken, webClientOptions(settings.apiUrl, log));
    this.receiver = settings.appToken ? undefined : new FastifyReceiver(log);
    const alerts = deps.services.alerts;
    this.notifier = settings.alertsChannel && alerts ? new SlackStaffNotifier(this.client, settings.alertsChannel, alerts.internalPrefix) : undefined;
    const self = this;
    this.ctx = {
      client: this.client,
      services: deps.services,
      alertsChannel: settings.alertsChannel,
      command: settings.command,
      log,
      clock: deps.clock,
      get botUserId() {
        return self.botUserId;
      },
      subcommand: (definition) => {
        if (this.subcommands.some((s) => s.name === definition.name)) throw new Error(`two staff subcommands named ${definition.name}`);
        this.subcommands.push(definition);
      },
      onTakeOver: (hook) => {
        this.takeOverHooks.push(hook);
      },
      takeOverHooks: this.takeOverHooks,
    };
  }

  /** Adds a feature; applied when the app is built at start(). */
  register(feature: StaffFeature): this {
    if (this.app) throw new Error("register staff features before start()");
    this.features.push(feature);
    return this;
  }

  async start(): Promise<void> {
    const { settings, log } = this.deps;
    let botId: string | undefined;
    try {
      const auth = await this.client.auth.test();
      this.botUserId = auth.user_id;
      botId = auth.bot_id;
    } catch (error) {
      const code = platformErrorCode(error);
      if (code && TOKEN_ERRORS.has(code)) throw new Error(`Slack refused the staff bot token (${code}); check TEND_STAFF_SLACK_BOT_TOKEN`);
      throw new Error(`could not reach the Slack Web API at ${settings.apiUrl} (TEND_STAFF_SLACK_API_URL): ${describeError(error)}`);
    }
    const app = new App({
      token: settings.botToken,
      botId,
      botUserId: this.botUserId,
      tokenVerificationEnabled: false,
      ...(settings.appToken ? { socketMode: true, appToken: settings.appToken } : { receiver: this.receiver }),
      clientOptions: webClientOptions(settings.apiUrl, log),
      logger: boltLogger(log),
      convoStore: false,
    });
    app.error(async (error) => {
      log.error({ err: describeError(error) }, "a staff Slack listener failed");
    });
    app.use(accessControl(this.deps.services, log));
    for (const feature of this.features) feature(app, this.ctx);
    routeStaffCommand(app, settings.command, this.subcommands, log);
    try {
      await app.start();
    } catch (error) {
      const code = platformErrorCode(error);
      if (code && TOKEN_ERRORS.has(code)) throw new Error(`Slack refused the staff app-level token (${code}); check TEND_STAFF_SLACK_APP_TOKEN`);
      throw new Error(`could not open the staff app's Socket Mode connection: ${describeError(error)}`);
    }
    this.app = app;
    log.info({ botUser: this.botUserId, mode: this.mode }, "staff slack app connected");
  }

  async stop(): Promise<void> {
    const app = this.app;
    this.app = undefined;
    if (app) await app.stop().catch((error: unknown) => this.deps.log.warn({ err: describeError(error) }, "the staff Slack app did not stop cleanly"));
    await this.whenIdle();
  }

  /** Resolves when every request answered so far (over HTTP) has been fully handled, follow-ups included. */
  async whenIdle(): Promise<void> {
    await this.receiver?.idle();
  }
}

/** The staff Slack app with the given features. */
export function createStaffSlackApp(deps: StaffSlackDeps, features: readonly StaffFeature[]): StaffSlackApp {
  const staffApp = new StaffSlackApp(deps);
  for (const feature of features) staffApp.register(feature);
  return staffApp;
}
