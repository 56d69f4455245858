import type { App, RespondFn, SlashCommand, webApi } from "@slack/bolt";
import type { Clock } from "../../src/core/clock.ts";
import type { Actor, StaffConsoleServices, TakeOverResult } from "../../src/core/staff-console-services.ts";
import type { Logger } from "../../src/observability/logger.ts";

/** One `/tend <word> …` subcommand; `/tend help` lists them in the order they were added. */
export interface StaffSubcommand {
  /** The first word after the command, lowercase, e.g. "customer". */
  name: string;
  /** Shown in help after the command, e.g. "customer <name, handle, id or order id>". */
  usage: string;
  /** One line for help. */
  help: string;
  /**
   * Runs after the command was acknowledged (Slack's 3 s are already met): answer with `respond`
   * (ephemeral by default) or through `ctx.client`.
   */
  run(request: SubcommandRequest): Promise<void>;
}

export interface SubcommandRequest {
  /** What followed the subcommand's name, trimmed. */
  args: string;
  command: SlashCommand;
  actor: Actor;
  respond: RespondFn;
}

/** What every staff feature gets besides the Bolt app: see the contract in app.ts. */
export interface StaffSlackContext {
  /** The staff bot's Web API client (its own token and base URL; no silent retries). */
  readonly client: webApi.WebClient;
  readonly services: StaffConsoleServices;
  /** The staff channel for alerts and takeover threads (TEND_STAFF_SLACK_CHANNEL), if set. */
  readonly alertsChannel: string | undefined;
  /** The slash command, "/tend" unless TEND_STAFF_SLACK_COMMAND says otherwise. */
  readonly command: string;
  readonly log: Logger;
  readonly clock: Clock;
  /** The staff bot's own user id (from auth.test at start): features ignore the bot's own messages by it. */
  readonly botUserId: string | undefined;
  /** Adds `/tend <name> …`. Call from a feature, i.e. before start. */
  subcommand(definition: StaffSubcommand): void;
  /**
   * Runs `hook` after a staff member took a conversation over from the card's Take over button
   * (status "taken"): e.g. the takeover thread opens in the staff channel. Hooks run in order;
   * one failing is logged and does not stop the others.
   */
  onTakeOver(hook: TakeOverHook): void;
  /** The hooks added so far, for the Take over button's listener. */
  readonly takeOverHooks: readonly TakeOverHook[];
}

export type TakeOverHook = (event: { customerId: string; actor: Actor; result: Extract<TakeOverResult, { status: "taken" }> }) => Promise<void>;

/** A staff feature: adds its listeners and subcommands to the app, once, before it starts. */
export type StaffFeature = (app: App, ctx: StaffSlackContext) => void;
