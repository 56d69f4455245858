import type { ApiKey, Prisma, PrismaClient, StaffAuditEntry } from "../generated/client.ts";
import { isUniqueViolation } from "../prisma-errors.ts";

export type { ApiKey, StaffAuditEntry };

/** Works on the client or inside the caller's transaction (an audit entry written with its action). */
export type Db = PrismaClient | Prisma.TransactionClient;

export interface NewAuditEntry {
  at: Date;
  actorKind: "staff" | "integration";
  actorId: string;
  actorName: string;
  via: string;
  action: string;
  customerId: string | null;
  target: string | null;
  before: Prisma.InputJsonValue | null;
  after: Prisma.InputJsonValue | null;
  detail: Prisma.InputJsonValue | null;
  outcome: "ok" | "refused" | "failed";
}

export interface AuditQuery {
  customerId?: string | undefined;
  actorId?: string | undefined;
  action?: string | undefined;
  /** Entries at or after this time. */
  since?: Date | undefined;
  /** Entries before this time (paging backwards). */
  before?: Date | undefined;
  /** At most this many, newest first (default 100, at most 1000). */
  limit?: number | undefined;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Named API keys and the staff audit log. */
export class StaffRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Null when a key of that name exists already. */
  async createApiKey(input: { name: string; kind: "staff" | "integration"; hash: string; createdAt: Date }): Promise<ApiKey | null> {
    try {
      return await this.prisma.apiKey.create({ data: input });
    } catch (error) {
      if (isUniqueViolation(error)) return null;
      throw error;
    }
  }

  findApiKeyByHash(hash: string): Promise<ApiKey | null> {
    return this.prisma.apiKey.findUnique({ where: { hash } });
  }

  findApiKeyByName(name: string): Promise<ApiKey | null> {
    return this.prisma.apiKey.findUnique({ where: { name } });
  }

  listApiKeys(): Promise<ApiKey[]> {
    return this.prisma.apiKey.findMany({ orderBy: [{ createdAt: "asc" }, { name: "asc" }] });
  }

  /** Revokes a key that is not revoked yet; false when there is none such. */
  async revokeApiKey(name: string, at: Date): Promise<boolean> {
    const { count } = await this.prisma.apiKey.updateMany({ where: { name, revokedAt: null }, data: { revokedAt: at } });
    return count > 0;
  }

  /** Records a use; at most once a minute per key, so a busy integration does not write on every request. */
  async touchApiKey(id: string, at: Date): Promise<void> {
    await this.prisma.apiKey.updateMany({
      where: { id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(at.getTime() - 60_000) } }] },
      data: { lastUsedAt: at },
    });
  }

  appendAudit(db: Db, entry: NewAuditEntry): Promise<StaffAuditEntry> {
    const json = (value: Prisma.InputJsonValue | null) => (value === null ? undefined : value);
    return db.staffAuditEntry.create({
      data: { ...entry, before: json(entry.before), after: json(entry.after), detail: json(entry.detail) },
    });
  }

  /** Audit entries, newest first. A customer id that is not a uuid matches nothing. */
  async audit(query: AuditQuery = {}): Promise<StaffAuditEntry[]> {
    if (query.customerId !== undefined && !uuidPattern.test(query.customerId)) return [];
    const limit = Math.min(Math.max(query.limit ?? 100, 1), 1000);
    return this.prisma.staffAuditEntry.findMany({
      where: {
        ...(query.customerId !== undefined ? { customerId: query.customerId.toLowerCase() } : {}),
        ...(query.actorId !== undefined ? { actorId: query.actorId } : {}),
        ...(query.action !== undefined ? { action: query.action } : {}),
        ...(query.since || query.before ? { at: { ...(query.since ? { gte: query.since } : {}), ...(query.before ? { lt: query.before } : {}) } } : {}),
      },
      orderBy: [{ at: "desc" }, { id: "desc" }],
      take: limit,
    });
  }
}
