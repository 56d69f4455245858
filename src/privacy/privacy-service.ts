import { createHash } from "node:crypto";
import { type Clock, systemClock } from "../core/clock.ts";
import type { EventBus } from "../core/events.ts";
import type { Platform, PrismaClient } from "../db/generated/client.ts";
import { type ErasureCounts, type PendingAction, PrivacyRepository } from "../db/repositories/privacy-repository.ts";
import { TendError } from "../errors.ts";
import { normalizeCode, randomCode } from "../linking/code.ts";
import { type CustomerExport, buildExportDocument } from "./export-document.ts";
import { type ExportCounts, exportCounts, exportSummaryText } from "./export-summary.ts";

export interface PrivacySettings {
  /** How long an erasure confirmation token stays valid. */
  erasureConfirmationTtlMinutes: number;
}

export const defaultPrivacySettings: PrivacySettings = { erasureConfirmationTtlMinutes: 10 };

/** PendingAction kind that holds an erasure request awaiting the customer's confirmation. */
export const CONFIRM_ERASE_KIND = "confirm_erase";
/** Consent history entries written by an erasure carry this source. */
export const ERASURE_CONSENT_SOURCE = "erasure";
const TOKEN_LENGTH = 6;
const MINUTE = 60_000;

export interface CustomerExportResult {
  document: CustomerExport;
  /** Chat text in the customer's language with counts only; the document goes as a file. */
  summary: string;
  counts: ExportCounts;
  /** A file name for the document when the channel sends it as an attachment. */
  fileName: string;
}

export interface EraseOptions {
  /** Who asked: "chat", "api", "staff". Stored on the erasure event. */
  requestedVia: string;
  /** Platform for the erasure event on the timeline; defaults to where the customer was last seen. */
  platform?: Platform | undefined;
}

export interface ErasureResult {
  customerId: string;
  /** When this run happened (an earlier erasure keeps its own time on the customer). */
  erasedAt: Date;
  /** True when the customer had been erased before; counts then cover only what was left. */
  alreadyErased: boolean;
  counts: ErasureCounts;
}

export interface ErasureRequest {
  /** What the customer sends back to confirm; case and spaces do not matter. Never stored, only its hash. */
  token: string;
  /**
   * The stored request's id, for a caller that already knows the customer is the one asking (the
   * chat, where the customer presses their own confirmation) and so need not keep the token anywhere.
   */
  requestId: string;
  expiresAt: Date;
}

export type ConfirmErasureResult = ({ kind: "erased" } & ErasureResult) | { kind: "expired" } | { kind: "invalid" };

/**
 * A customer's data rights: a copy of everything held about them, and erasure of their personal
 * data behind a confirmation step. After erasure the customer row stays, anonymous, so counts and
 * revenue reports do not change; their channel identities are gone, so if the same person writes
 * again they are a new customer with no history.
 */
export class PrivacyService {
  private readonly repository: PrivacyRepository;
  private readonly settings: PrivacySettings;

  constructor(
    source: PrivacyRepository | PrismaClient,
    private readonly clock: Clock = systemClock,
    settings: Partial<PrivacySettings> = {},
    private readonly events?: EventBus,
  ) {
    this.repository = source instanceof PrivacyRepository ? source : new PrivacyRepository(source);
    this.settings = { ...defaultPrivacySettings, ...settings };
  }

  async exportCustomerData(customerId: string): Promise<CustomerExportResult> {
    const exportedAt = this.clock.now();
    const data = await this.repository.loadExportData(customerId);
    if (!data) throw notFound(customerId);
    const document = buildExportDocument(data, exportedAt);
    return {
      document,
      summary: exportSummaryText(document, data.locale),
      counts: exportCounts(document),
      fileName: `tend-data-${exportedAt.toISOString().slice(0, 10)}.json`,
    };
  }

  /** Erases at once, without confirmation: for staff and the API. Chat goes through requestErasure. */
  async eraseCustomer(customerId: string, options: EraseOptions): Promise<ErasureResult> {
    const at = this.clock.now();
    const result = await this.repository.transaction(async (tx) => {
      if (!(await tx.lockCustomer(customerId))) throw notFound(customerId);
      return this.erase(tx, customerId, at, options);
    });
    this.events?.emit("customer.erased", { customerId, at });
    return result;
  }

  /** Starts an erasure that `confirmErasure` completes; an earlier unconfirmed request is replaced. */
  async requestErasure(customerId: string): Promise<ErasureRequest> {
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + this.settings.erasureConfirmationTtlMinutes * MINUTE);
    const token = randomCode(TOKEN_LENGTH);
    const request = await this.repository.transaction(async (tx) => {
      if (!(await tx.lockCustomer(customerId))) throw notFound(customerId);
      return tx.replacePendingAction(customerId, CONFIRM_ERASE_KIND, { tokenHash: hashToken(token) }, now, expiresAt);
    });
    return { token, requestId: request.id, expiresAt };
  }

  /** Erases only for the customer's own, unexpired, unused token; a token works once. */
  async confirmErasure(customerId: string, token: string, options: Partial<EraseOptions> = {}): Promise<ConfirmErasureResult> {
    const normalized = normalizeCode(token, TOKEN_LENGTH);
    if (!normalized) return { kind: "invalid" };
    const tokenHash = hashToken(normalized);
    return this.confirm(customerId, (r) => (r.payload as { tokenHash?: unknown } | null)?.tokenHash === tokenHash, options);
  }

  /**
   * Erases for the customer's own, unexpired, unused request with this id (from `requestErasure`);
   * for the chat, whose confirmation button already proves who is asking.
   */
  confirmErasureRequest(customerId: string, requestId: string, options: Partial<EraseOptions> = {}): Promise<ConfirmErasureResult> {
    return this.confirm(customerId, (r) => r.id === requestId, options);
  }

  private async confirm(customerId: string, matches: (request: PendingAction) => boolean, options: Partial<EraseOptions>): Promise<ConfirmErasureResult> {
    const now = this.clock.now();
    const result = await this.repository.transaction(async (tx): Promise<ConfirmErasureResult> => {
      if (!(await tx.lockCustomer(customerId))) return { kind: "invalid" };
      const requests = await tx.pendingActions(customerId, CONFIRM_ERASE_KIND);
      const request = requests.find(matches);
      if (!request || !(await tx.consumePendingAction(request.id))) return { kind: "invalid" };
      if (request.expiresAt <= now) return { kind: "expired" };
      const erased = await this.erase(tx, customerId, now, { requestedVia: options.requestedVia ?? "chat", platform: options.platform });
      return { kind: "erased", ...erased };
    });
    if (result.kind === "erased") this.events?.emit("customer.erased", { customerId, at: now });
    return result;
  }

  private async erase(tx: PrivacyRepository, customerId: string, at: Date, options: EraseOptions): Promise<ErasureResult> {
    const outcome = await tx.erasePersonalData(customerId, {
      at,
      requestedVia: options.requestedVia,
      platform: options.platform,
      consentSource: ERASURE_CONSENT_SOURCE,
    });
    if (!outcome) throw notFound(customerId);
    return { customerId, erasedAt: at, ...outcome };
  }
}

/** Only a hash is stored, so a data export or a database reader cannot confirm for the customer. */
function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

function notFound(customerId: string): TendError {
  return new TendError("CUSTOMER_NOT_FOUND", `no customer ${customerId}`);
}
