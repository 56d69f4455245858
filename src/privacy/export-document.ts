import { type ScoreExplanation, scoreExplanation } from "../analytics/score-explanation.ts";
import type { Customer, Prisma } from "../db/generated/client.ts";
import type { CustomerTable } from "../db/repositories/customer-tables.ts";
import type { CustomerExportData } from "../db/repositories/privacy-repository.ts";
import { balanceAt } from "../loyalty/ledger-math.ts";

export const EXPORT_FORMAT = "tend.customer-export";
/** Raised when a field changes meaning or goes away; new fields alone do not raise it. */
export const EXPORT_FORMAT_VERSION = 1;

type Iso = string;

/**
 * A customer's copy of their data: plain JSON, dates as ISO 8601 strings (a birthday as its
 * date alone), money as decimal strings so no amount is rounded through a float.
 */
export interface CustomerExport {
  format: typeof EXPORT_FORMAT;
  formatVersion: typeof EXPORT_FORMAT_VERSION;
  exportedAt: Iso;
  customer: {
    id: string;
    externalId: string | null;
    displayName: string | null;
    email: string | null;
    phone: string | null;
    birthday: string | null;
    /** A lunar (农历) birthday as "M-D", e.g. "8-15"; when set it is the birthday celebrated. */
    lunarBirthday: string | null;
    tags: string[];
    createdAt: Iso;
    updatedAt: Iso;
    erasedAt: Iso | null;
  };
  preferences: {
    locale: string;
    timeZone: string;
    /** Local "HH:MM" times; the window may wrap past midnight. */
    quietHours: { start: string; end: string } | null;
    maxCareMessagesPerWeek: number;
    handedOverToStaffAt: Iso | null;
    /** Staff held care, marketing and survey messages back until then. */
    outreachPausedUntil: Iso | null;
  };
  consent: {
    care: { granted: boolean; changedAt: Iso | null };
    marketing: { granted: boolean; changedAt: Iso | null };
    surveys: { granted: boolean; changedAt: Iso | null };
    history: { topic: string; granted: boolean; source: string; changedAt: Iso }[];
  };
  channels: { platform: string; platformUserId: string; address: string; displayName: string | null; firstSeenAt: Iso; lastSeenAt: Iso }[];
  interactions: {
    occurredAt: Iso;
    platform: string;
    direction: string;
    kind: string;
    text: string | null;
    platformMessageId: string | null;
    metadata: Prisma.JsonValue;
  }[];
  orders: { id: string; externalId: string; amount: string; currency: string; placedAt: Iso; recordedAt: Iso }[];
  loyalty: {
    balance: number;
    entries: {
      createdAt: Iso;
      kind: string;
      points: number;
      reason: string | null;
      orderId: string | null;
      reward: { code: string; name: string } | null;
      expiresAt: Iso | null;
    }[];
  };
  surveys: {
    invitations: { id: string; kind: string; platform: string; status: string; context: string | null; sentAt: Iso; expiresAt: Iso }[];
    responses: { invitationId: string; score: number; reason: string | null; respondedAt: Iso; reasonAt: Iso | null }[];
  };
  feedbackCases: {
    id: string;
    source: string;
    status: string;
    summary: string;
    resolution: string | null;
    openedAt: Iso;
    closedAt: Iso | null;
    customerNotifiedAt: Iso | null;
  }[];
  pendingMessages: { kind: string; platform: string | null; status: string; notBefore: Iso; createdAt: Iso; payload: Prisma.JsonValue }[];
  /** Questions the assistant is waiting on an answer to; their internal state is not part of it. */
  pendingActions: { kind: string; createdAt: Iso; expiresAt: Iso }[];
  activeLinkCodes: { createdAt: Iso; expiresAt: Iso }[];
  /** What the analytics concluded about the customer, and why; null before the first refresh. */
  scores: {
    computedAt: Iso;
    rfmSegment: string | null;
    rfm: { recency: number | null; frequency: number | null; monetary: number | null };
    lifecycleStage: string;
    relationshipLevel: string;
    probabilityAlive: number | null;
    historicClv: string;
    predictedClv: string | null;
    /** The facts behind each score with English and Chinese sentences, as every reader renders them. */
    explanation: ScoreExplanation;
  } | null;
}

/** A top-level section of the document, or one level down ("loyalty.entries"). */
export type ExportSection = {
  [K in keyof CustomerExport & string]: K | (NonNullable<CustomerExport[K]> extends unknown[] ? never : NonNullable<CustomerExport[K]> extends object ? `${K}.${keyof NonNullable<CustomerExport[K]> & string}` : never);
}[keyof CustomerExport & string];

export interface TableExport {
  /** The relation of Customer loaded for it (see the repository's export include). */
  relation: Exclude<keyof CustomerExportData, keyof Customer>;
  section: ExportSection;
  /** all: every row is in the document; current: only those still in effect (unsent messages, live codes). */
  rows: "all" | "current";
}

/**
 * Where each table tied to a customer shows in their export. test/customer-tables.test.ts checks
 * every foreign key to "Customer" against this and that a seeded row of each table comes out.
 */
export const EXPORTED_TABLES: Record<CustomerTable, TableExport> = {
  ChannelIdentity: { relation: "identities", section: "channels", rows: "all" },
  ConsentChange: { relation: "consentChanges", section: "consent.history", rows: "all" },
  Interaction: { relation: "interactions", section: "interactions", rows: "all" },
  Order: { relation: "orders", section: "orders", rows: "all" },
  LoyaltyLedgerEntry: { relation: "loyaltyEntries", section: "loyalty.entries", rows: "all" },
  SurveyInvitation: { relation: "surveyInvitations", section: "surveys.invitations", rows: "all" },
  SurveyResponse: { relation: "surveyResponses", section: "surveys.responses", rows: "all" },
  FeedbackCase: { relation: "feedbackCases", section: "feedbackCases", rows: "all" },
  // Sent messages are on the timeline already.
  OutboxMessage: { relation: "outboxMessages", section: "pendingMessages", rows: "current" },
  PendingAction: { relation: "pendingActions", section: "pendingActions", rows: "all" },
  LinkCode: { relation: "linkCodes", section: "activeLinkCodes", rows: "current" },
  CustomerScore: { relation: "score", section: "scores", rows: "all" },
};

export function buildExportDocument(data: CustomerExportData, exportedAt: Date): CustomerExport {
  return {
    format: EXPORT_FORMAT,
    formatVersion: EXPORT_FORMAT_VERSION,
    exportedAt: iso(exportedAt),
    customer: {
      id: data.id,
      externalId: data.externalId,
      displayName: data.displayName,
      email: data.email,
      phone: data.phone,
      birthday: data.birthday ? data.birthday.toISOString().slice(0, 10) : null,
      lunarBirthday: data.lunarBirthMonth !== null && data.lunarBirthDay !== null ? `${data.lunarBirthMonth}-${data.lunarBirthDay}` : null,
      tags: [...data.tags],
      createdAt: iso(data.createdAt),
      updatedAt: iso(data.updatedAt),
      erasedAt: isoOrNull(data.erasedAt),
    },
    preferences: {
      locale: data.locale,
      timeZone: data.timeZone,
      quietHours:
        data.quietHoursStart !== null && data.quietHoursEnd !== null
          ? { start: clockTime(data.quietHoursStart), end: clockTime(data.quietHoursEnd) }
          : null,
      maxCareMessagesPerWeek: data.maxCareMessagesPerWeek,
      handedOverToStaffAt: isoOrNull(data.handedOverAt),
      outreachPausedUntil: isoOrNull(data.outreachPausedUntil),
    },
    consent: {
      care: { granted: data.careConsent, changedAt: isoOrNull(data.careConsentAt) },
      marketing: { granted: data.marketingConsent, changedAt: isoOrNull(data.marketingConsentAt) },
      surveys: { granted: data.surveyConsent, changedAt: isoOrNull(data.surveyConsentAt) },
      history: data.consentChanges.map((c) => ({ topic: c.topic, granted: c.granted, source: c.source, changedAt: iso(c.changedAt) })),
    },
    channels: data.identities.map((i) => ({
      platform: i.platform,
      platformUserId: i.platformUserId,
      address: i.address,
      displayName: i.displayName,
      firstSeenAt: iso(i.createdAt),
      lastSeenAt: iso(i.lastSeenAt),
    })),
    interactions: data.interactions.map((i) => ({
      occurredAt: iso(i.occurredAt),
      platform: i.platform,
      direction: i.direction,
      kind: i.kind,
      text: i.text,
      platformMessageId: i.platformMessageId,
      metadata: i.metadata,
    })),
    orders: data.orders.map((o) => ({
      id: o.id,
      externalId: o.externalId,
      amount: o.amount.toFixed(2),
      currency: o.currency,
      placedAt: iso(o.placedAt),
      recordedAt: iso(o.createdAt),
    })),
    loyalty: {
      // The rule the chat, the API and `tend customer show` use: lapsed points are not in it.
      balance: balanceAt(data.loyaltyEntries, exportedAt),
      entries: data.loyaltyEntries.map((e) => ({
        createdAt: iso(e.createdAt),
        kind: e.kind,
        points: e.points,
        reason: e.reason,
        orderId: e.orderId,
        reward: e.reward ? { code: e.reward.code, name: e.reward.name } : null,
        expiresAt: isoOrNull(e.expiresAt),
      })),
    },
    surveys: {
      invitations: data.surveyInvitations.map((s) => ({
        id: s.id,
        kind: s.kind,
        platform: s.platform,
        status: s.status,
        context: s.context,
        sentAt: iso(s.sentAt),
        expiresAt: iso(s.expiresAt),
      })),
      responses: data.surveyResponses.map((r) => ({
        invitationId: r.invitationId,
        score: r.score,
        reason: r.reason,
        respondedAt: iso(r.respondedAt),
        reasonAt: isoOrNull(r.reasonAt),
      })),
    },
    feedbackCases: data.feedbackCases.map((f) => ({
      id: f.id,
      source: f.source,
      status: f.status,
      summary: f.summary,
      resolution: f.resolution,
      openedAt: iso(f.openedAt),
      closedAt: isoOrNull(f.closedAt),
      customerNotifiedAt: isoOrNull(f.customerNotifiedAt),
    })),
    pendingMessages: data.outboxMessages.map((m) => ({
      kind: m.kind,
      platform: m.platform,
      status: m.status,
      notBefore: iso(m.notBefore),
      createdAt: iso(m.createdAt),
      payload: m.payload,
    })),
    pendingActions: data.pendingActions.map((a) => ({ kind: a.kind, createdAt: iso(a.createdAt), expiresAt: iso(a.expiresAt) })),
    activeLinkCodes: data.linkCodes
      .filter((c) => c.expiresAt > exportedAt)
      .map((c) => ({ createdAt: iso(c.createdAt), expiresAt: iso(c.expiresAt) })),
    scores: data.score
      ? {
          computedAt: iso(data.score.computedAt),
          rfmSegment: data.score.rfmSegment,
          rfm: { recency: data.score.rfmRecency, frequency: data.score.rfmFrequency, monetary: data.score.rfmMonetary },
          lifecycleStage: data.score.lifecycleStage,
          relationshipLevel: data.score.relationshipLevel,
          probabilityAlive: data.score.probabilityAlive,
          historicClv: data.score.historicClv.toFixed(2),
          predictedClv: data.score.predictedClv?.toFixed(2) ?? null,
          explanation: scoreExplanation(data.score),
        }
      : null,
  };
}

function iso(date: Date): string {
  return date.toISOString();
}

function isoOrNull(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}

function clockTime(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}
