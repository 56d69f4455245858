import { actionId } from "../core/action-ids.ts";
import type { Choice, InboundMessage, OutboundMessage } from "../core/channel.ts";
import type { Clock } from "../core/clock.ts";
import type { Customer } from "../db/repositories/customer-repository.ts";
import type { LoyaltyLedgerEntry } from "../db/repositories/loyalty-repository.ts";
import type { InteractionKind } from "../db/generated/client.ts";
import { type CustomerLanguage, customerLanguage } from "../feedback/locale.ts";
import type { EngineServices } from "./services.ts";
import { type Texts, textsFor } from "./texts.ts";

export interface Reply extends OutboundMessage {
  /** What the reply is about, for the timeline. */
  kind: InteractionKind;
}

/**
 * One inbound message being handled: who sent it, in which language to answer, and where the
 * replies collect. Handlers never see a chat id or a platform type.
 */
export class ConversationContext {
  readonly replies: Reply[] = [];
  customer: Customer;

  constructor(
    readonly message: InboundMessage,
    customer: Customer,
    readonly services: EngineServices,
    readonly clock: Clock,
    claim: () => Promise<void> = async () => {},
    /** False when the customer is known to have no pending actions (no question of ours awaits an answer). */
    readonly mayHavePendingActions = true,
    ledger?: readonly LoyaltyLedgerEntry[],
  ) {
    this.customer = customer;
    this.preloadedLedger = ledger;
    this.claim = async () => {
      // A handler that writes may change the ledger: from here on it is read afresh.
      this.preloadedLedger = undefined;
      await claim();
    };
  }

  private preloadedLedger: readonly LoyaltyLedgerEntry[] | undefined;

  /**
   * The customer's loyalty ledger as the inbound read found it (a points or rewards question
   * brings it along), for handlers that only read; undefined once the handler claimed the message
   * (it may write), or when it was not read: then read it.
   */
  get ledger(): readonly LoyaltyLedgerEntry[] | undefined {
    return this.preloadedLedger;
  }

  /**
   * Before a handler writes anything: records the message as being handled here, so a copy of it
   * waits instead of handling it again. Handlers that only read skip it, and their message is
   * recorded with its replies in one statement. Throws when another copy is handling it already.
   */
  readonly claim: () => Promise<void>;

  get language(): CustomerLanguage {
    return customerLanguage(this.customer.locale);
  }

  get t(): Texts {
    return textsFor(this.language);
  }

  now(): Date {
    return this.clock.now();
  }

  reply(text: string, options: { choices?: Choice[]; kind?: InteractionKind; attachment?: OutboundMessage["attachment"] } = {}): void {
    this.replies.push({ text, choices: options.choices, attachment: options.attachment, kind: options.kind ?? "message" });
  }

  /** The main menu's buttons. */
  menuChoices(): Choice[] {
    return [
      { id: actionId({ kind: "menu", item: "points" }), label: this.t.buttonPoints },
      { id: actionId({ kind: "menu", item: "rewards" }), label: this.t.buttonRewards },
      { id: actionId({ kind: "menu", item: "rate" }), label: this.t.buttonRate },
      { id: actionId({ kind: "menu", item: "agent" }), label: this.t.buttonAgent },
    ];
  }

  replyWithMenu(text: string): void {
    this.reply(`${text}`, { choices: this.menuChoices() });
  }
}
