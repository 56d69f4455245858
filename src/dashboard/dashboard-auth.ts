import { randomBytes, timingSafeEqual } from "node:crypto";
import { type Clock, systemClock } from "../core/clock.ts";
import type { PrismaClient } from "../db/generated/client.ts";
import { TendError } from "../errors.ts";
import { type Actor, apiKeyActorId, slackActorId } from "../staff/actor.ts";
import { hashApiKey } from "../staff/api-key-secret.ts";
import type { StaffService } from "../staff/staff-service.ts";

/** A sign-in link works this long after it was made, and once. */
export const LOGIN_LINK_MINUTES = 15;
/** A session ends this long after sign-in, however busy (sign in again). */
export const SESSION_HOURS = 12;

export interface LoginLink {
  /** The secret part of the link: shown once, kept only as its sha256. */
  token: string;
  actor: Actor;
  expiresAt: Date;
}

/** A live session: who, and the CSRF token every form must post back. */
export interface DashboardSession {
  id: string;
  actor: Actor;
  csrfToken: string;
  expiresAt: Date;
}

export interface DashboardAuthOptions {
  prisma: PrismaClient;
  staff: StaffService;
  clock?: Clock | undefined;
}

/**
 * Who may use the staff dashboard and how they get in: named staff only (a Slack staff member of
 * TEND_STAFF_SLACK_USERS, or a person's named API key from `tend staff add-key`), through a
 * one-time link that becomes a session. Tokens are random 256-bit values kept only as sha256, so
 * a copy of the database opens nothing. Sign-in and sign-out are audited as the staff member (via "web").
 */
export class DashboardAuth {
  private readonly prisma: PrismaClient;
  private readonly staff: StaffService;
  private readonly clock: Clock;

  constructor(options: DashboardAuthOptions) {
    this.prisma = options.prisma;
    this.staff = options.staff;
    this.clock = options.clock ?? systemClock;
  }

  /**
   * The staff member a name means: a Slack staff member by name or user id, else a person's API key
   * that is not revoked. The actor id is the one the person has elsewhere, so the audit names the
   * same person whichever way they come in. Throws DASHBOARD_NOT_STAFF for anyone else.
   */
  async staffActor(name: string): Promise<Actor> {
    const wanted = name.trim();
    const slack = this.staff.settings.slackStaff.find((member) => member.userId === wanted || member.name.toLowerCase() === wanted.toLowerCase());
    if (slack) return { kind: "staff", id: slackActorId(slack.userId), name: slack.name, via: "web" };
    const key = (await this.staff.listApiKeys()).find((k) => k.name === wanted && !k.revokedAt);
    if (key && key.kind === "staff") return { kind: "staff", id: apiKeyActorId(key.name), name: key.name, via: "web" };
    throw new TendError(
      "DASHBOARD_NOT_STAFF",
      key
        ? `"${wanted}" is an integration's key, not a person: the dashboard is for staff members`
        : `no staff member named "${wanted}": name someone in TEND_STAFF_SLACK_USERS, or make them a key with \`tend staff add-key ${wanted || "<name>"}\``,
    );
  }

  /** A one-time sign-in link for a staff member (`tend staff login-link`); audited as `by`. */
  async createLoginLink(name: string, by: Actor): Promise<LoginLink> {
    const actor = await this.staffActor(name);
    const token = randomToken();
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + LOGIN_LINK_MINUTES * 60_000);
    await this.prisma.dashboardLoginLink.create({ data: { tokenHash: hashApiKey(token), actorKind: actor.kind, actorId: actor.id, actorName: actor.name, createdAt: now, expiresAt } });
    await this.staff.audit(by, "dashboard.login_link", { target: actor.id, detail: { for: actor.name, expiresAt: expiresAt.toISOString() } });
    return { token, actor, expiresAt };
  }

  /**
   * Uses a sign-in link: one conditional update marks it used, so two clicks give one session. An
   * unknown, used or expired link gives null (and, when it named someone, a refused audit entry).
   */
  async signIn(token: string): Promise<{ session: DashboardSession; sessionToken: string } | null> {
    if (!token || token.length > 200) return null;
    const tokenHash = hashApiKey(token);
    const now = this.clock.now();
    const used = await this.prisma.dashboardLoginLink.updateMany({ where: { tokenHash, usedAt: null, expiresAt: { gt: now } }, data: { usedAt: now } });
    const link = await this.prisma.dashboardLoginLink.findUnique({ where: { tokenHash } });
    if (!link) return null;
    const actor: Actor = { kind: link.actorKind, id: link.actorId, name: link.actorName, via: "web" };
    if (used.count !== 1) {
      await this.staff.audit(actor, "dashboard.sign_in", { outcome: "refused", detail: { reason: link.expiresAt <= now ? "link expired" : "link already used" } });
      return null;
    }
    const sessionToken = randomToken();
    const csrfToken = randomToken();
    const expiresAt = new Date(now.getTime() + SESSION_HOURS * 3_600_000);
    const row = await this.prisma.dashboardSession.create({
      data: { tokenHash: hashApiKey(sessionToken), csrfToken, actorKind: actor.kind, actorId: actor.id, actorName: actor.name, createdAt: now, expiresAt },
    });
    await this.staff.audit(actor, "dashboard.sign_in", { target: row.id });
    return { session: { id: row.id, actor, csrfToken, expiresAt }, sessionToken };
  }

  /** The live session a cookie's token names; null when unknown, signed out or expired. */
  async session(sessionToken: string | undefined): Promise<DashboardSession | null> {
    if (!sessionToken || sessionToken.length > 200) return null;
    const row = await this.prisma.dashboardSession.findUnique({ where: { tokenHash: hashApiKey(sessionToken) } });
    if (!row || row.endedAt || row.expiresAt <= this.clock.now()) return null;
    if (!(await this.stillStaff(row.actorId))) return null;
    return { id: row.id, actor: { kind: row.actorKind, id: row.actorId, name: row.actorName, via: "web" }, csrfToken: row.csrfToken, expiresAt: row.expiresAt };
  }

  /**
   * Is the person behind a session still staff? A revoked key, or a Slack user taken out of
   * TEND_STAFF_SLACK_USERS, ends their sessions at once rather than when they expire.
   */
  private async stillStaff(actorId: string): Promise<boolean> {
    if (actorId.startsWith("slack:")) return this.staff.settings.slackStaff.some((member) => slackActorId(member.userId) === actorId);
    if (actorId.startsWith("apikey:")) {
      const key = await this.prisma.apiKey.findUnique({ where: { name: actorId.slice("apikey:".length) } });
      return Boolean(key && !key.revokedAt && key.kind === "staff");
    }
    return false;
  }

  /** Ends a session (sign-out). */
  async signOut(session: DashboardSession): Promise<void> {
    await this.prisma.dashboardSession.updateMany({ where: { id: session.id, endedAt: null }, data: { endedAt: this.clock.now() } });
    await this.staff.audit(session.actor, "dashboard.sign_out", { target: session.id });
  }
}

/** Does a posted CSRF token match the session's? Constant time. */
export function csrfMatches(session: DashboardSession, posted: unknown): boolean {
  if (typeof posted !== "string" || !posted) return false;
  const a = Buffer.from(posted);
  const b = Buffer.from(session.csrfToken);
  return a.length === b.length && timingSafeEqual(a, b);
}

function randomToken(): string {
  return randomBytes(32).toString("base64url");
}
