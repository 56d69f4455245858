import type { App, BlockAction, ButtonAction } from "@slack/bolt";
import type { Actor, StaffCustomerCard } from "../../src/core/staff-console-services.ts";
import { describeError, TendError } from "../../src/errors.ts";
import { staffActor } from "./access.ts";
import { type Block, escapeMrkdwn, header, mrkdwnSection, section, stamp } from "./blocks.ts";
import { CARD_ACTIONS, cardBlocks, cardFallback, interactionLine } from "./card-blocks.ts";
import type { StaffFeature, StaffSlackContext } from "./context.ts";
import { tellStaff } from "./follow-up.ts";
import { decodeModalMetadata, type ModalMetadata } from "./modal-metadata.ts";
import { MAX_MESSAGE, MAX_NOTE, MAX_REASON, MODALS, inputValue, messageModal, noteModal, pauseModal, pointsModal, verdictText } from "./modals.ts";

/** How many cases and timeline entries "Cases & timeline" lists. */
const HISTORY_CASES = 10;
const HISTORY_TIMELINE = 20;

interface Pressed {
  customerId: string;
  actor: Actor;
  userId: string;
  triggerId: string;
  metadata: ModalMetadata;
}

function pressed(body: BlockAction, action: ButtonAction, actor: Actor): Pressed {
  const channel = body.channel?.id ?? body.container?.channel_id;
  return {
    customerId: action.value ?? "",
    actor,
    userId: body.user.id,
    triggerId: body.trigger_id,
    metadata: { channel, customerId: action.value ?? "", responseUrl: body.response_url },
  };
}

/** Which message a failed action gets: TendErrors say what to fix; anything else is in the log. */
function failure(ctx: StaffSlackContext, what: string, error: unknown): string {
  if (error instanceof TendError) return `Not done: ${error.message}`;
  ctx.log.error({ err: describeError(error), what }, "a staff action failed");
  return `Not done: ${what} failed. The error is in Tend's log.`;
}

async function openModal(ctx: StaffSlackContext, triggerId: string, view: Record<string, unknown>): Promise<string | undefined> {
  const opened = await ctx.client.views.open({ trigger_id: triggerId, view: view as never });
  return opened.view?.id;
}

/** The card's buttons: each opens its modal (or acts at once), and each modal's submission does the work and says what happened. */
export const cardActionsFeature: StaffFeature = (app, ctx) => {
  const onButton = (actionId: string, run: (p: Pressed, card: StaffCustomerCard, respond: (m: Record<string, unknown>) => Promise<unknown>) => Promise<void>) => {
    app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, action, respond, context: boltContext }) => {
      await ack();
      const p = pressed(body, action, staffActor(boltContext));
      try {
        const card = await ctx.services.card(p.customerId, p.actor);
        if (!card) {
          await respond({ response_type: "ephemeral", replace_original: false, text: "That customer no longer exists." });
          return;
        }
        await run(p, card, (m) => respond(m as never));
      } catch (error) {
        await respond({ response_type: "ephemeral", replace_original: false, text: failure(ctx, actionId, error) }).catch(() => {});
      }
    });
  };

  onButton(CARD_ACTIONS.note, async (p, card) => void (await openModal(ctx, p.triggerId, noteModal(card, p.metadata))));
  onButton(CARD_ACTIONS.points, async (p, card) => void (await openModal(ctx, p.triggerId, pointsModal(card, p.metadata, "adjust"))));
  onButton(CARD_ACTIONS.goodwill, async (p, card) => void (await openModal(ctx, p.triggerId, pointsModal(card, p.metadata, "goodwill"))));
  onButton(CARD_ACTIONS.pause, async (p, card) => void (await openModal(ctx, p.triggerId, pauseModal(card, p.metadata))));
  onButton(CARD_ACTIONS.message, async (p, card) => {
    // Open first (the trigger lasts 3 s), then show the policy's verdict.
    const viewId = await openModal(ctx, p.triggerId, messageModal(card, p.metadata, undefined));
    const judged = await ctx.services.messageVerdict(p.customerId);
    if (viewId && judged) await ctx.client.views.update({ view_id: viewId, view: messageModal(card, p.metadata, judged) as never });
  });
  onButton(CARD_ACTIONS.takeOver, async (p, _card, respond) => {
    const result = await ctx.services.takeOver(p.customerId, p.actor);
    if (result.status === "taken") {
      await respond({
        response_type: "ephemeral",
        replace_original: false,
        text: `You have the conversation now: the bot stays quiet until it is released.${result.customerNotified ? " The customer was told you joined." : ""}`,
      });
      for (const hook of ctx.takeOverHooks) {
        await hook({ customerId: p.customerId, actor: p.actor, result }).catch((error: unknown) => ctx.log.error({ err: describeError(error) }, "a take-over hook failed"));
      }
      return;
    }
    const text =
      result.status === "already_yours"
        ? "You have this conversation already."
        : result.status === "held_by_other"
          ? `${result.handover.heldBy?.name ?? "Someone else"} has this conversation; ask them to hand it over.`
          : "That customer no longer exists.";
    await respond({ response_type: "ephemeral", replace_original: false, text });
  });
  onButton(CARD_ACTIONS.history, async (p, _card, respond) => {
    const [cases, card] = await Promise.all([ctx.services.cases(p.customerId, HISTORY_CASES), ctx.services.card(p.customerId, p.actor, { recent: HISTORY_TIMELINE })]);
    const blocks: Block[] = [header(`Cases & timeline: ${card ? (card.profile.displayName ?? card.customerId) : p.customerId}`)];
    blocks.push(
      section(
        cases.length
          ? cases
              .map((c) =>
                c.status === "open"
                  ? `OPEN since ${stamp(c.openedAt)} · ${c.source}: ${c.summary}${c.assignee ? ` [${c.assignee}]` : ""}`
                  : `closed ${stamp(c.closedAt)} by ${c.closedBy ?? "?"} · ${c.source}: ${c.summary}${c.resolution ? ` → ${c.resolution}` : ""}`,
              )
              .join("\n")
          : "No feedback cases.",
      ),
    );
    const timeline = card?.interactions.recent ?? [];
    blocks.push(mrkdwnSection(`*Timeline* (latest ${timeline.length} of ${card?.interactions.total ?? 0})`));
    blocks.push(section(timeline.length ? timeline.map(interactionLine).join("\n") : "Nothing yet."));
    await respond({ response_type: "ephemeral", replace_original: false, text: "Cases and timeline", blocks });
  });

  registerSubmissions(app, ctx);
};

/** Reads a submission's metadata, or refuses one this app did not make. */
function submission(body: { view: { private_metadata?: string }; user: { id: string } }): ModalMetadata | undefined {
  return decodeModalMetadata(body.view.private_metadata);
}

function registerSubmissions(app: App, ctx: StaffSlackContext): void {
  /**
   * Checks the inputs (errors are shown in the modal, which stays open), acknowledges (closing
   * it), then does the work and tells the staff member how it went.
   */
  const onSubmit = (
    callbackId: string,
    check: (view: unknown) => { errors: Record<string, string> } | { run: (metadata: ModalMetadata, actor: Actor) => Promise<{ text: string; refresh?: boolean }> },
  ) => {
    app.view(callbackId, async ({ ack, body, view, context: boltContext }) => {
      const metadata = submission(body);
      if (!metadata) {
        await ack({ response_action: "errors", errors: {} } as never);
        return;
      }
      const checked = check(view);
      if ("errors" in checked) {
        await ack({ response_action: "errors", errors: checked.errors });
        return;
      }
      await ack();
      const actor = staffActor(boltContext);
      let text: string;
      let refresh = false;
      try {
        ({ text, refresh = false } = await checked.run(metadata, actor));
      } catch (error) {
        text = failure(ctx, callbackId, error);
      }
      await tellStaff(ctx, body.user.id, metadata, { text });
      if (refresh) {
        const card = await ctx.services.card(metadata.customerId, actor).catch(() => null);
        if (card) await tellStaff(ctx, body.user.id, metadata, { text: cardFallback(card), blocks: cardBlocks(card), replace: true });
      }
    });
  };

  onSubmit(MODALS.note, (view) => {
    const note = inputValue(view, "note")?.trim() ?? "";
    if (!note) return { errors: { note: "Write the note." } };
    if (note.length > MAX_NOTE) return { errors: { note: `At most ${MAX_NOTE} characters.` } };
    return {
      run: async (m, actor) => {
        await ctx.services.addNote(m.customerId, actor, note);
        return { text: "Note saved on the customer's timeline.", refresh: true };
      },
    };
  });

  for (const purpose of ["adjust", "goodwill"] as const) {
    onSubmit(purpose === "goodwill" ? MODALS.goodwill : MODALS.points, (view) => {
      const raw = inputValue(view, "points")?.trim() ?? "";
      const points = Number(raw);
      const reason = inputValue(view, "reason")?.trim() ?? "";
      const errors: Record<string, string> = {};
      if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(points) || points === 0 || points > 2_147_483_647 || points < -2_147_483_648) errors.points = "A whole number of points, not 0.";
      else if (purpose === "goodwill" && points < 0) errors.points = "Goodwill points are added: a positive number.";
      if (!reason) errors.reason = "Say why: the reason is kept with the change.";
      else if (reason.length > MAX_REASON) errors.reason = `At most ${MAX_REASON} characters.`;
      if (Object.keys(errors).length) return { errors };
      return {
        run: async (m, actor) => {
          const done = await ctx.services.adjustPoints(m.customerId, actor, { points, reason, purpose });
          const verb = purpose === "goodwill" ? "Granted" : points > 0 ? "Added" : "Took away";
          if (done.result.status !== "adjusted") return { text: `Already done earlier: the balance is ${done.after} points.` };
          return { text: `${verb} ${Math.abs(points)} points (${escapeMrkdwn(reason)}): balance ${done.before} → ${done.after}.`, refresh: true };
        },
      };
    });
  }

  onSubmit(MODALS.pause, (view) => {
    const raw = inputValue(view, "days")?.trim() ?? "";
    const days = Number(raw);
    if (!/^\d+$/.test(raw) || days < 1 || days > 365) return { errors: { days: "From 1 to 365 days." } };
    return {
      run: async (m, actor) => {
        const until = await ctx.services.pauseOutreach(m.customerId, actor, days);
        if (!until) return { text: "That customer no longer exists." };
        return { text: `Outreach paused for ${days} day${days === 1 ? "" : "s"}, until ${stamp(until)}.`, refresh: true };
      },
    };
  });

  onSubmit(MODALS.message, (view) => {
    const message = inputValue(view, "message")?.trim() ?? "";
    if (!message) return { errors: { message: "Write the message." } };
    if (message.length > MAX_MESSAGE) return { errors: { message: `At most ${MAX_MESSAGE} characters.` } };
    return {
      run: async (m, actor) => {
        const sent = await ctx.services.sendMessage(m.customerId, actor, message);
        if (sent.status === "not_found") return { text: "That customer no longer exists." };
        if (sent.status === "refused") return { text: `Not sent. ${verdictText(sent)}` };
        return { text: `Message queued in the outbox. ${verdictText(sent)}` };
      },
    };
  });
}

