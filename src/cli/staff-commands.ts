import { type Command, InvalidArgumentError } from "commander";
import { type Clock, systemClock } from "../core/clock.ts";
import type { Database } from "../db/database.ts";
import type { AuditRecord } from "../staff/audit-types.ts";
import type { ApiKeyInfo } from "../staff/staff-service.ts";
import { cliActor } from "../staff/actor.ts";

export interface StaffCommandOptions {
  clock?: Clock;
  /** Who runs the command, as the audit names them; default the operating system's user. */
  userName?: string;
  /** TEND_STAFF_SLACK_USERS for `login-link` (Slack staff may sign in to the dashboard too); default from the environment. */
  slackStaffUsers?: string;
}

/**
 * `tend staff add-key | keys | revoke-key | audit`: named HTTP API keys (one per staff member or
 * integration, stored hashed, shown once) and the audit of staff actions.
 */
export function registerStaffCommands(program: Command, openDb: () => Promise<Database>, write: (text: string) => void, options: StaffCommandOptions = {}): void {
  const staff = program.commands.find((c) => c.name() === "staff") ?? program.command("staff").description("staff access: named API keys and the audit of staff actions");
  const service = async (db: Database) => {
    const { StaffService } = await import("../staff/staff-service.ts");
    return new StaffService({ prisma: db.prisma, clock: options.clock ?? systemClock });
  };
  const actor = () => cliActor(options.userName);

  staff
    .command("add-key <name>")
    .description("make a named HTTP API key for a staff member (or, with --integration, a shop or CRM); the key is printed once and stored only hashed")
    .option("--integration", "the key is for an integration, not a person")
    .action(async (name: string, flags: { integration?: boolean }) => {
      const db = await openDb();
      try {
        const created = await (await service(db)).createApiKey(name, flags.integration ? "integration" : "staff", actor());
        write(
          `API key "${created.info.name}" (${created.info.kind}) created. It is shown this once; Tend keeps only its hash:\n\n  ${created.key}\n\n` +
            `Send it as "Authorization: Bearer <key>". The audit names actions done with it "${created.info.name}".\n`,
        );
      } finally {
        await db.close();
      }
    });

  staff
    .command("keys")
    .description("list the named API keys (never the keys themselves): kind, created, last used, revoked")
    .option("--json", "print JSON instead of text")
    .action(async (flags: { json?: boolean }) => {
      const db = await openDb();
      try {
        const keys = await (await service(db)).listApiKeys();
        write(flags.json ? `${JSON.stringify(keys, null, 2)}\n` : formatKeys(keys));
      } finally {
        await db.close();
      }
    });

  staff
    .command("revoke-key <name>")
    .description("revoke a named API key: requests with it get 401 from now on (the name stays, so the audit stays readable)")
    .action(async (name: string) => {
      const db = await openDb();
      try {
        const revoked = await (await service(db)).revokeApiKey(name, actor());
        write(`API key "${revoked.name}" revoked at ${revoked.revokedAt?.toISOString()}\n`);
      } finally {
        await db.close();
      }
    });

  staff
    .command("login-link <name>")
    .description("print a one-time sign-in link to the staff dashboard for a staff member (a Slack staff member's name or a person's API key name); it works once, for 15 minutes")
    .option("--base-url <url>", "the address staff open Tend at (default TEND_PUBLIC_URL, else this machine's port)", process.env.TEND_PUBLIC_URL || `http://localhost:${process.env.PORT || 3000}`)
    .action(async (name: string, flags: { baseUrl: string }) => {
      const db = await openDb();
      try {
        const { StaffService } = await import("../staff/staff-service.ts");
        const { staffSettingsFromConfig } = await import("../staff/staff-settings.ts");
        const { DashboardAuth } = await import("../dashboard/dashboard-auth.ts");
        const clock = options.clock ?? systemClock;
        const staffService = new StaffService({ prisma: db.prisma, clock, settings: staffSettingsFromConfig({ TEND_STAFF_SLACK_USERS: options.slackStaffUsers ?? process.env.TEND_STAFF_SLACK_USERS }) });
        const link = await new DashboardAuth({ prisma: db.prisma, staff: staffService, clock }).createLoginLink(name, actor());
        const { loginLinkUrl } = await import("../dashboard/login-link-url.ts");
        const url = loginLinkUrl(flags.baseUrl, link.token);
        write(`Sign-in link for ${link.actor.name} (works once, until ${link.expiresAt.toISOString()}):\n\n  ${url}\n`);
      } finally {
        await db.close();
      }
    });

  staff
    .command("audit")
    .description("what staff did, newest first: who (staff member or key), through what (slack, api, cli, web), which customer, before and after, outcome")
    .option("--customer <id>", "only this customer (Tend's id or your external id)")
    .option("--since <date>", "only from this day (YYYY-MM-DD, UTC) or ISO time on", parseSince)
    .option("--actor <id>", 'only this actor, e.g. "slack:U012AB3CD" or "apikey:shop-sync"')
    .option("--limit <n>", "at most this many entries (1-1000)", parseLimit, 100)
    .option("--json", "print JSON instead of text")
    .action(async (flags: { customer?: string; since?: Date; actor?: string; limit: number; json?: boolean }) => {
      const db = await openDb();
      try {
        let customerId: string | undefined;
        if (flags.customer !== undefined) {
          const { CustomerRepository } = await import("../db/repositories/customer-repository.ts");
          customerId = (await new CustomerRepository(db.prisma).findByIdOrExternalId(flags.customer))?.id ?? flags.customer;
        }
        const entries = await (await service(db)).auditLog({ customerId, since: flags.since, actorId: flags.actor, limit: flags.limit });
        write(flags.json ? `${JSON.stringify(entries, null, 2)}\n` : formatAudit(entries));
      } finally {
        await db.close();
      }
    });
}

function parseSince(value: string): Date {
  const text = value.trim();
  const date = /^\d{4}-\d{2}-\d{2}$/.test(text) ? new Date(`${text}T00:00:00Z`) : /T\d{2}:\d{2}/.test(text) ? new Date(text) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError("must be a day (YYYY-MM-DD) or an ISO time with its zone, e.g. 2026-12-01T08:00:00Z");
  return date;
}

function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError("must be a whole number from 1 to 1000");
  return n;
}

const stamp = (date: Date | null) => (date ? `${date.toISOString().slice(0, 16).replace("T", " ")} UTC` : "-");

export function formatKeys(keys: ApiKeyInfo[]): string {
  if (!keys.length) return "No named API keys. Make one with `tend staff add-key <name>`.\n";
  const lines = keys.map(
    (k) => `  ${k.name.padEnd(24)}${k.kind.padEnd(13)}created ${stamp(k.createdAt)}  last used ${stamp(k.lastUsedAt)}${k.revokedAt ? `  REVOKED ${stamp(k.revokedAt)}` : ""}`,
  );
  return `API keys (${keys.length})\n${lines.join("\n")}\n`;
}

export function formatAudit(entries: AuditRecord[]): string {
  if (!entries.length) return "No audit entries.\n";
  const lines = entries.map((e) => {
    const change = e.before !== null || e.after !== null ? `  ${JSON.stringify(e.before)} -> ${JSON.stringify(e.after)}` : "";
    const detail = e.detail !== null ? `  ${JSON.stringify(e.detail)}` : "";
    const about = [e.customerId ? `customer ${e.customerId}` : null, e.target ? `target ${e.target}` : null].filter(Boolean).join(", ");
    return `${stamp(e.at)}  ${e.outcome.padEnd(8)}${e.action.padEnd(26)}${e.actorName} (${e.actorId}, ${e.via})${about ? `  ${about}` : ""}${change}${detail}`;
  });
  return `${lines.join("\n")}\n`;
}
