import { EventEmitter } from "node:events";

/**
 * Things that happened in the engine that other parts react to (care messages on a tier change,
 * staff alerts on a low score). Listeners run after the change is stored; a failing listener is
 * reported to `onListenerError` and never undoes the change or stops the other listeners.
 */
export interface DomainEvents {
  "loyalty.tier_changed": { customerId: string; from: string | null; to: string; at: Date };
  "feedback.case_opened": { caseId: string; customerId: string; source: string; at: Date };
  "feedback.case_closed": { caseId: string; customerId: string; resolution: string; at: Date };
  "survey.answered": { invitationId: string; customerId: string; kind: "csat" | "nps"; score: number; at: Date };
  "order.recorded": { orderId: string; customerId: string; amount: string; currency: string; at: Date };
  "conversation.handed_over": { customerId: string; at: Date };
  /** Staff handed the conversation back to the bot (any way in: Slack, the HTTP API, the CLI); `by` names who. */
  "conversation.released": { customerId: string; at: Date; by: string };
  /** `sourceId` no longer exists: everything it had now belongs to `targetId`. */
  "customer.merged": { sourceId: string; targetId: string; at: Date };
  /** Personal data and message texts are gone; anything cached about the customer must go too. */
  "customer.erased": { customerId: string; at: Date };
}

export type DomainEventName = keyof DomainEvents;
type Listener<K extends DomainEventName> = (event: DomainEvents[K]) => void | Promise<void>;

export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor(private readonly onListenerError: (name: DomainEventName, error: unknown) => void = () => {}) {}

  on<K extends DomainEventName>(name: K, listener: Listener<K>): () => void {
    const wrapped = (event: DomainEvents[K]) => {
      try {
        Promise.resolve(listener(event)).catch((error) => this.onListenerError(name, error));
      } catch (error) {
        this.onListenerError(name, error);
      }
    };
    this.emitter.on(name, wrapped);
    return () => this.emitter.off(name, wrapped);
  }

  emit<K extends DomainEventName>(name: K, event: DomainEvents[K]): void {
    this.emitter.emit(name, event);
  }
}
