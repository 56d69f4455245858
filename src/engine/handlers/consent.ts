import type { ConsentTopic } from "../../db/generated/client.ts";
import type { Customer } from "../../db/repositories/customer-repository.ts";
import type { ConversationContext } from "../context.ts";

/** Every message a customer did not ask for: what STOP ends and START may give back. */
const UNASKED: readonly ConsentTopic[] = ["care", "marketing", "surveys"];

const granted: Record<ConsentTopic, (customer: Customer) => boolean> = {
  care: (c) => c.careConsent,
  marketing: (c) => c.marketingConsent,
  surveys: (c) => c.surveyConsent,
};

/** Consent a topic has before anyone changed it (the schema's defaults). */
const ON_BY_DEFAULT: Record<ConsentTopic, boolean> = { care: true, marketing: false, surveys: true };

/**
 * STOP (退订) ends care, marketing and surveys in one step. Only the topics that were on get a
 * change, marked as STOP's, so START can tell what STOP took from what the customer had turned
 * off themselves. Each change is kept with its time.
 */
export async function stopMessages(ctx: ConversationContext): Promise<void> {
  const source = `chat:${ctx.message.platform}:stop`;
  const at = ctx.now();
  for (const topic of UNASKED) {
    if (granted[topic](ctx.customer)) ctx.customer = await ctx.services.customerService.setOwnConsent(ctx.customer.id, topic, false, source, at);
  }
  ctx.reply(ctx.t.stopped, { kind: "system" });
}

/**
 * START gives back what STOP took and nothing else: a topic the customer turned off some other
 * way stays off, and START is never a way into marketing they did not agree to.
 */
export async function startMessages(ctx: ConversationContext): Promise<void> {
  const source = `chat:${ctx.message.platform}:start`;
  const at = ctx.now();
  const history = await ctx.services.customerService.consentHistory(ctx.customer.id);
  for (const topic of UNASKED) {
    const changes = history.filter((change) => change.topic === topic);
    if (stopTook(topic, changes)) ctx.customer = await ctx.services.customerService.setOwnConsent(ctx.customer.id, topic, true, source, at);
  }
  ctx.reply(ctx.t.started, { kind: "system" });
}

function stopTook(topic: ConsentTopic, changes: { granted: boolean; source: string }[]): boolean {
  const [before, last] = changes.length >= 2 ? changes.slice(-2) : [undefined, changes[0]];
  if (!last || last.granted) return false;
  if (last.source.endsWith(":stop")) return true;
  // A STOP from before sources were marked ("chat:<platform>") turned care and marketing off
  // whatever they were: it took a topic only if the topic was on just before.
  return /^chat:[a-z]+$/.test(last.source) && (before ? before.granted : ON_BY_DEFAULT[topic]);
}
