import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { sendPage } from "./dashboard-frame.ts";
import { html, page } from "./dashboard-html.ts";
import type { DashboardRouteOptions } from "./dashboard-routes.ts";
import { sessionOf } from "./dashboard-session-hooks.ts";
import { type CampaignForm, draftBodyOf } from "./campaign-form.ts";
import { campaignBody, campaignBuilderBody, campaignListBody } from "./campaign-pages.ts";
import { afterAction, flash } from "./queue-common.ts";
import { queueFrame } from "./queue-frame.ts";

/** Recipients the preview names (the first, by customer id). */
const PREVIEW_NAMES = 20;

/**
 * The campaign builder (issue 12 work queues): list, new (segment + message per locale), the draft's
 * preview (how many, the first names, what the contact policy would skip and why) and Send / Cancel.
 * Everything goes through CampaignService, the one the API and `tend outreach campaign` use, as the
 * signed-in staff member: create, send (a refusal too) and cancel are audited by the service.
 */
export function registerCampaignPages(
  scope: FastifyInstance,
  options: DashboardRouteOptions,
  unavailable: (request: FastifyRequest, reply: FastifyReply) => FastifyReply,
): void {
  const { services } = options;

  scope.get<{ Querystring: { ok?: string; error?: string; by?: string; n?: string } }>("/campaigns", async (request, reply) => {
    if (!options.queues) return unavailable(request, reply);
    const f = queueFrame(request, (q) => q.campaignsTitle, "campaigns");
    const campaigns = await options.queues.campaigns.list(100);
    return sendPage(reply, page(f, campaignListBody(f.q, f.lang, campaigns, options.queues.tiers, flash(f.q, request.query))));
  });

  scope.get("/campaigns/new", async (request, reply) => {
    if (!options.queues) return unavailable(request, reply);
    const f = queueFrame(request, (q) => q.builderTitle, "campaigns");
    return sendPage(reply, page(f, campaignBuilderBody(f.q, f.lang, { tiers: options.queues.tiers, form: {}, errors: [], csrf: f.who.csrf })));
  });

  scope.post<{ Body: CampaignForm }>("/campaigns", async (request, reply) => {
    const queues = options.queues;
    if (!queues) return unavailable(request, reply);
    const form: CampaignForm = { ...(request.body ?? {}) };
    delete form._csrf;
    const parsed = queues.campaigns.parseDraft(draftBodyOf(form, queues.tiers.map((tier) => tier.name)));
    if (!parsed.ok) {
      // The form comes back as it was typed, with the errors: nothing is lost.
      const f = queueFrame(request, (q) => q.builderTitle, "campaigns");
      return sendPage(reply, page(f, campaignBuilderBody(f.q, f.lang, { tiers: queues.tiers, form, errors: parsed.errors, csrf: f.who.csrf })), 422);
    }
    const created = await queues.campaigns.create(parsed.value, { actor: sessionOf(request).actor });
    return reply.code(303).header("location", `/dashboard/campaigns/${created.id}`).send();
  });

  scope.get<{ Params: { id: string }; Querystring: { ok?: string; error?: string; by?: string; n?: string } }>("/campaigns/:id", async (request, reply) => {
    const queues = options.queues;
    if (!queues) return unavailable(request, reply);
    const f = queueFrame(request, (q) => q.previewTitle, "campaigns");
    const campaign = await queues.campaigns.get(request.params.id);
    if (!campaign) return sendPage(reply, page(f, html`<p class="error" role="alert">${f.q.notFound}</p>`), 404);
    // Only a draft has a preview worth the walk over its segment; a sent one shows its delivery.
    const preview = campaign.status === "draft" ? await queues.campaigns.preview(campaign.id, PREVIEW_NAMES) : null;
    if (preview) {
      await services.staff.audit(sessionOf(request).actor, "campaign.preview", { target: campaign.id, detail: { total: preview.total, counts: preview.counts } });
    }
    const body = campaignBody(f.q, f.lang, { campaign, preview, enabled: queues.campaignsEnabled, tiers: queues.tiers, csrf: f.who.csrf, message: flash(f.q, request.query) });
    return sendPage(reply, page({ ...f, title: campaign.name }, body));
  });

  scope.post<{ Params: { id: string } }>("/campaigns/:id/send", async (request, reply) => {
    const queues = options.queues;
    if (!queues) return unavailable(request, reply);
    const back = `/dashboard/campaigns/${encodeURIComponent(request.params.id)}`;
    const outcome = await queues.campaigns.send(request.params.id, { actor: sessionOf(request).actor });
    switch (outcome.status) {
      case "not_found":
        return reply.code(303).header("location", afterAction("/dashboard/campaigns", { ok: false, code: "not_found" })).send();
      case "sent":
        return reply.code(303).header("location", afterAction(back, { ok: true, code: "sent", n: outcome.queued })).send();
      case "already_sent":
        return reply.code(303).header("location", afterAction(back, { ok: true, code: "already_sent" })).send();
      default:
        // disabled, busy, cancelled: refused with the reason (the service audited a refusal).
        return reply.code(303).header("location", afterAction(back, { ok: false, code: outcome.status })).send();
    }
  });

  scope.post<{ Params: { id: string } }>("/campaigns/:id/cancel", async (request, reply) => {
    const queues = options.queues;
    if (!queues) return unavailable(request, reply);
    const result = await queues.campaigns.cancel(request.params.id, { actor: sessionOf(request).actor });
    if (!result) return reply.code(303).header("location", afterAction("/dashboard/campaigns", { ok: false, code: "not_found" })).send();
    return reply.code(303).header("location", afterAction(`/dashboard/campaigns/${result.campaign.id}`, { ok: true, code: "campaign_cancelled" })).send();
  });
}
