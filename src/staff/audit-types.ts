import type { Prisma } from "../db/generated/client.ts";

/** How an audited action ended: done, refused (not allowed, or the state did not permit it), or failed (an error). */
export type AuditOutcome = "ok" | "refused" | "failed";

/**
 * The names of audited actions. A dotted "area.verb"; new actions may add names (the column is
 * free text), but the ones listed are what Tend writes itself.
 */
export type AuditAction =
  | "staff.authorize"
  | "staff.api_key_created"
  | "staff.api_key_revoked"
  | "customer.take_over"
  | "customer.release"
  | "customer.note"
  | "customer.pause_outreach"
  | "customer.resume_outreach"
  | "customer.update_profile"
  | "customer.set_consent"
  | "customer.view_card"
  | "loyalty.adjust"
  | "case.close"
  | "case.claim"
  | "message.send"
  | (string & {});

/** What an audit entry says besides who and what. */
export interface AuditDetails {
  /** The customer the action was about, when there is one. */
  customerId?: string | null | undefined;
  /** What else it was about: a case id, a key name, a route. */
  target?: string | null | undefined;
  /** State before and after (e.g. `{ balance: 120 }` → `{ balance: 170 }`); JSON values only. */
  before?: Prisma.InputJsonValue | null | undefined;
  after?: Prisma.InputJsonValue | null | undefined;
  /** Anything else worth keeping (a reason, the policy's verdict). No secrets. */
  detail?: Prisma.InputJsonValue | null | undefined;
  /** Default "ok". */
  outcome?: AuditOutcome | undefined;
  /** Default: the service's clock. */
  at?: Date | undefined;
}

/** An audit entry as read back (GET /api/audit, `tend staff audit`). */
export interface AuditRecord {
  id: string;
  at: Date;
  actorKind: "staff" | "integration";
  actorId: string;
  actorName: string;
  via: string;
  action: string;
  customerId: string | null;
  target: string | null;
  before: unknown;
  after: unknown;
  detail: unknown;
  outcome: AuditOutcome;
}
