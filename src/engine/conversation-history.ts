import type { Choice, Conversation, ConversationEntry, Platform } from "../core/channel.ts";
import { readInteractionMetadata } from "../core/interaction-metadata.ts";
import type { CustomerRepository } from "../db/repositories/customer-repository.ts";
import type { Interaction, InteractionRepository } from "../db/repositories/interaction-repository.ts";
import { customerLanguage } from "../feedback/locale.ts";

/**
 * A person's conversation on one channel read back from the timeline, for clients that keep no
 * history of their own: the web chat's page shows it when opened and polls it for what Tend sends
 * on its own.
 */
export class ConversationHistory {
  constructor(
    private readonly customers: CustomerRepository,
    private readonly interactions: InteractionRepository,
  ) {}

  /** Platform users known to exist, kept a minute: the web chat's gate asks before every message. */
  private readonly known = new Map<string, number>();

  /**
   * Whether Tend knows this platform user (the web chat limits new visitors, not known ones). A
   * "yes" is remembered for a minute (at most 10,000 users): a visitor erased meanwhile still
   * counts as known for that long, which only spares them the new-visitor limit.
   */
  async knows(platform: Platform, platformUserId: string): Promise<boolean> {
    const key = `${platform}:${platformUserId}`;
    const until = this.known.get(key);
    if (until !== undefined && until > Date.now()) return true;
    const found = (await this.customers.findByIdentity(platform, platformUserId)) !== null;
    this.known.delete(key);
    if (found) {
      if (this.known.size >= 10_000) this.known.delete(this.known.keys().next().value!);
      this.known.set(key, Date.now() + 60_000);
    }
    return found;
  }

  async recent(platform: Platform, platformUserId: string, limit: number): Promise<Conversation> {
    const customer = await this.customers.findByIdentity(platform, platformUserId);
    if (!customer) return { language: undefined, entries: [] };
    // A few more rows than asked for: invisible ones (the page's opening "menu:help", system events) are dropped.
    const rows = (await this.interactions.timeline(customer.id, { platform, limit: limit * 2 })).sort(inTimeOrder);
    return { language: customerLanguage(customer.locale), entries: toEntries(rows).slice(-limit), handedOver: handedOverOf(customer) };
  }

  async proactiveSince(platform: Platform, platformUserId: string, since: Date): Promise<Conversation> {
    const customer = await this.customers.findByIdentity(platform, platformUserId);
    if (!customer) return { language: undefined, entries: [] };
    // At or after `since`: two messages in the same millisecond must not lose one; the client drops repeats by id.
    const rows = await this.interactions.outboundSince(customer.id, platform, new Date(since.getTime() - 1));
    const entries = toEntries(rows).filter((entry) => entry.proactive);
    return { language: customerLanguage(customer.locale), entries, handedOver: handedOverOf(customer) };
  }
}

/** Who has the conversation, when staff have it (the web chat shows a note). */
function handedOverOf(customer: { handedOverAt: Date | null; handedOverToName: string | null }): Conversation["handedOver"] {
  return customer.handedOverAt ? { to: customer.handedOverToName } : undefined;
}

/**
 * Oldest first. A message and its reply can share a millisecond (and do under a stopped test
 * clock); ids are random, so within one instant what the person sent goes before what Tend answered.
 */
function inTimeOrder(a: Interaction, b: Interaction): number {
  return a.occurredAt.getTime() - b.occurredAt.getTime() || (a.direction === b.direction ? 0 : a.direction === "in" ? -1 : 1);
}

/**
 * Timeline rows (oldest first) as the person saw them. A button press shows as the button's label;
 * presses of buttons not in view (the page's own opening request) and rows without text (system
 * events, erased texts) are left out. Buttons count as answered once one of them was pressed.
 */
export function toEntries(rows: Interaction[]): ConversationEntry[] {
  const entries: ConversationEntry[] = [];
  const offered = new Map<string, { choice: Choice; entry: ConversationEntry }>();
  for (const row of rows) {
    // Staff notes are for staff: on the timeline, never in the person's view of the conversation.
    if (row.kind === "staff_note") continue;
    const metadata = readInteractionMetadata(row.metadata);
    if (row.direction === "out") {
      if (!row.text) continue;
      const entry: ConversationEntry = {
        id: row.id,
        direction: "out",
        text: row.text,
        ...(metadata.choices?.length ? { choices: metadata.choices } : {}),
        answered: false,
        proactive: metadata.proactive === true,
        at: row.occurredAt,
      };
      for (const choice of metadata.choices ?? []) offered.set(choice.id, { choice, entry });
      entries.push(entry);
      continue;
    }
    const pressed = metadata.action ? offered.get(metadata.action) : undefined;
    if (pressed) pressed.entry.answered = true;
    const text = row.text ?? pressed?.choice.label;
    if (!text) continue;
    entries.push({ id: row.id, direction: "in", text, answered: false, proactive: false, at: row.occurredAt });
  }
  return entries;
}
