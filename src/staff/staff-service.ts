import type { Logger } from "../observability/logger.ts";
import { type Clock, systemClock } from "../core/clock.ts";
import type { PrismaClient } from "../db/generated/client.ts";
import { type ApiKey, type AuditQuery, type Db, StaffRepository, type StaffAuditEntry } from "../db/repositories/staff-repository.ts";
import { TendError } from "../errors.ts";
import { type Actor, type ActorKind, apiKeyActorId, slackActorId } from "./actor.ts";
import { generateApiKey, hashApiKey, sameHash } from "./api-key-secret.ts";
import type { AuditAction, AuditDetails, AuditRecord } from "./audit-types.ts";
import { type SlackStaffMember, type StaffSettings, defaultStaffSettings } from "./staff-settings.ts";

export type { Actor, AuditAction, AuditDetails, AuditRecord, AuditQuery, SlackStaffMember, StaffSettings };

/** The name the legacy shared key (TEND_API_KEY) goes by in the audit. */
export const LEGACY_API_KEY_NAME = "TEND_API_KEY";

/** Why a Slack user was refused. */
export type SlackRefusalReason = "not_staff" | "channel_not_allowed";

export type SlackAuthorization =
  | { ok: true; actor: Actor }
  /** `message` is safe to show the person refused. */
  | { ok: false; reason: SlackRefusalReason; message: string };

export interface SlackContext {
  /**
   * True for a direct message with the staff app. When left out, a channel id starting with "D"
   * is taken as one (Slack's ids for direct messages).
   */
  isDirectMessage?: boolean | undefined;
  /** What was attempted ("/tend customer", "button:take_over"), for the refusal's audit entry. */
  attempted?: string | undefined;
}

/** A named API key as listed (never its secret or hash). */
export interface ApiKeyInfo {
  name: string;
  kind: ActorKind;
  createdAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

export interface CreatedApiKey {
  /** The key itself: shown this once, stored only as its hash. */
  key: string;
  info: ApiKeyInfo;
}

/** The result of checking a bearer key: the actor, or why not (for the 401's wording and the log). */
export type ApiKeyCheck = { ok: true; actor: Actor } | { ok: false; reason: "missing" | "unknown" | "revoked"; keyName?: string };

export interface StaffServiceOptions {
  prisma: PrismaClient;
  clock?: Clock;
  logger?: Logger;
  settings?: Partial<StaffSettings>;
}

/** Names of keys: what people can type and read back in the audit. */
const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/**
 * Staff identity, permissions and the audit log. Staff are identified people (Slack user ids in
 * TEND_STAFF_SLACK_USERS, named API keys, the CLI's user), never a shared key; every staff action
 * is written to StaffAuditEntry, with its outcome, by `audit` or, inside the action's own
 * transaction, by `auditIn`.
 */
export class StaffService {
  readonly settings: StaffSettings;
  private readonly repo: StaffRepository;
  private readonly clock: Clock;
  private readonly logger: Logger | undefined;
  private readonly slackStaff: Map<string, SlackStaffMember>;
  private readonly legacyHash: string | undefined;
  private readonly prisma: PrismaClient;
  /** When this process last recorded each key's use: lastUsedAt is written at most once a minute per key. */
  private readonly touched = new Map<string, number>();

  constructor(options: StaffServiceOptions) {
    this.settings = { ...defaultStaffSettings, ...options.settings };
    this.prisma = options.prisma;
    this.repo = new StaffRepository(options.prisma);
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger?.child({ component: "staff" });
    this.slackStaff = new Map(this.settings.slackStaff.map((member) => [member.userId, member]));
    this.legacyHash = this.settings.legacyApiKey ? hashApiKey(this.settings.legacyApiKey) : undefined;
  }

  // --- Slack ---

  /** The configured staff member with this Slack user id, if any. */
  slackMember(userId: string): SlackStaffMember | undefined {
    return this.slackStaff.get(userId);
  }

  /** The Actor for a configured Slack staff member (no channel check; for events already authorised). */
  slackActor(userId: string): Actor | undefined {
    const member = this.slackStaff.get(userId);
    return member ? { kind: "staff", id: slackActorId(member.userId), name: member.name, via: "slack" } : undefined;
  }

  /**
   * May this Slack user use staff commands here? Staff (TEND_STAFF_SLACK_USERS) in a staff channel
   * (TEND_STAFF_SLACK_CHANNELS) or a direct message with the staff app. A refusal is logged and
   * audited (as the Slack user, outcome "refused") before it is returned.
   */
  async authorizeSlack(userId: string, channelId: string, context: SlackContext = {}): Promise<SlackAuthorization> {
    const actor = this.slackActor(userId);
    const direct = context.isDirectMessage ?? channelId.startsWith("D");
    let refusal: { reason: SlackRefusalReason; message: string } | undefined;
    if (!actor) refusal = { reason: "not_staff", message: "Sorry, Tend's staff tools are for the team only." };
    else if (!direct && !this.settings.slackChannels.includes(channelId)) {
      refusal = { reason: "channel_not_allowed", message: "Staff commands work only in the staff channels or a direct message with this app." };
    }
    if (!refusal) return { ok: true, actor: actor! };
    this.logger?.warn({ slackUserId: userId, channelId, reason: refusal.reason, attempted: context.attempted }, "staff Slack request refused");
    const who: Actor = actor ?? { kind: "staff", id: slackActorId(userId), name: userId, via: "slack" };
    await this.audit(who, "staff.authorize", { target: channelId, outcome: "refused", detail: { reason: refusal.reason, ...(context.attempted ? { attempted: context.attempted } : {}) } });
    return { ok: false, ...refusal };
  }

  // --- API keys ---

  /** Makes a named key; the key is returned once. Throws STAFF_KEY_EXISTS / STAFF_KEY_NAME_INVALID. */
  async createApiKey(name: string, kind: ActorKind, by?: Actor): Promise<CreatedApiKey> {
    const keyName = name.trim();
    if (!KEY_NAME.test(keyName) || keyName === LEGACY_API_KEY_NAME) {
      throw new TendError(
        "STAFF_KEY_NAME_INVALID",
        keyName === LEGACY_API_KEY_NAME
          ? `"${LEGACY_API_KEY_NAME}" is the name of the key set in the environment; choose another name`
          : `a key's name is 1 to 64 letters, digits, . _ @ or - (got ${JSON.stringify(name)})`,
      );
    }
    const key = generateApiKey();
    const created = await this.repo.createApiKey({ name: keyName, kind, hash: hashApiKey(key), createdAt: this.clock.now() });
    if (!created) throw new TendError("STAFF_KEY_EXISTS", `there is already a key named "${keyName}" (revoked keys keep their names, so the audit stays readable)`);
    if (by) await this.audit(by, "staff.api_key_created", { target: keyName, detail: { kind } });
    return { key, info: infoOf(created) };
  }

  listApiKeys(): Promise<ApiKeyInfo[]> {
    return this.repo.listApiKeys().then((keys) => keys.map(infoOf));
  }

  /** Revokes a key: refused with 401 from then on. Throws STAFF_KEY_NOT_FOUND when no such active key. */
  async revokeApiKey(name: string, by?: Actor): Promise<ApiKeyInfo> {
    const keyName = name.trim();
    if (!(await this.repo.revokeApiKey(keyName, this.clock.now()))) {
      const existing = await this.repo.findApiKeyByName(keyName);
      throw new TendError("STAFF_KEY_NOT_FOUND", existing ? `the key "${keyName}" was already revoked on ${existing.revokedAt?.toISOString()}` : `there is no key named "${keyName}"`);
    }
    if (by) await this.audit(by, "staff.api_key_revoked", { target: keyName });
    return infoOf((await this.repo.findApiKeyByName(keyName))!);
  }

  /**
   * The actor behind a bearer key: a named key (not revoked), or the legacy TEND_API_KEY (actor
   * "apikey:TEND_API_KEY", kind integration). Looked up by the key's sha256 (a unique index) and
   * compared again in constant time.
   */
  async authenticateApiKey(key: string | undefined): Promise<ApiKeyCheck> {
    if (!key) return { ok: false, reason: "missing" };
    const hash = hashApiKey(key);
    if (this.legacyHash && sameHash(hash, this.legacyHash)) {
      return { ok: true, actor: { kind: "integration", id: apiKeyActorId(LEGACY_API_KEY_NAME), name: LEGACY_API_KEY_NAME, via: "api" } };
    }
    const found = await this.repo.findApiKeyByHash(hash);
    if (!found || !sameHash(hash, found.hash)) return { ok: false, reason: "unknown" };
    if (found.revokedAt) return { ok: false, reason: "revoked", keyName: found.name };
    const now = this.clock.now();
    if ((this.touched.get(found.id) ?? 0) <= now.getTime() - 60_000) {
      this.touched.set(found.id, now.getTime());
      await this.repo.touchApiKey(found.id, now).catch((error: unknown) => this.logger?.warn({ err: error }, "could not record an API key's use"));
    }
    return { ok: true, actor: { kind: found.kind, id: apiKeyActorId(found.name), name: found.name, via: "api" } };
  }

  /** True when any way into the API exists (the legacy key or a named key not revoked). */
  async apiEnabled(): Promise<boolean> {
    if (this.legacyHash) return true;
    return (await this.repo.listApiKeys()).some((key) => !key.revokedAt);
  }

  // --- Audit ---

  /** Writes one audit entry on its own (for actions that are not a database change, or refusals). */
  audit(actor: Actor, action: AuditAction, details: AuditDetails = {}): Promise<AuditRecord> {
    return this.auditIn(undefined, actor, action, details);
  }

  /**
   * Writes one audit entry inside `tx`, the transaction of the action it records, so the action
   * and its entry are stored together or not at all. `tx` undefined: on its own.
   */
  async auditIn(tx: Db | undefined, actor: Actor, action: AuditAction, details: AuditDetails = {}): Promise<AuditRecord> {
    const entry = await this.repo.appendAudit(tx ?? this.prisma, {
      at: details.at ?? this.clock.now(),
      actorKind: actor.kind,
      actorId: actor.id,
      actorName: actor.name,
      via: actor.via,
      action,
      customerId: details.customerId ?? null,
      target: details.target ?? null,
      before: details.before ?? null,
      after: details.after ?? null,
      detail: details.detail ?? null,
      outcome: details.outcome ?? "ok",
    });
    return recordOf(entry);
  }

  /** Audit entries, newest first (`tend staff audit`, GET /api/audit). */
  async auditLog(query: AuditQuery = {}): Promise<AuditRecord[]> {
    return (await this.repo.audit(query)).map(recordOf);
  }
}

function infoOf(key: ApiKey): ApiKeyInfo {
  return { name: key.name, kind: key.kind, createdAt: key.createdAt, revokedAt: key.revokedAt, lastUsedAt: key.lastUsedAt };
}

function recordOf(entry: StaffAuditEntry): AuditRecord {
  return {
    id: entry.id,
    at: entry.at,
    actorKind: entry.actorKind,
    actorId: entry.actorId,
    actorName: entry.actorName,
    via: entry.via,
    action: entry.action,
    customerId: entry.customerId,
    target: entry.target,
    before: entry.before as unknown,
    after: entry.after as unknown,
    detail: entry.detail as unknown,
    outcome: entry.outcome,
  };
}
