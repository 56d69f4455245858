import { LIFECYCLE_STAGES, LIFECYCLE_STAGE_LABELS } from "../analytics/lifecycle.ts";
import { RFM_SEGMENTS, RFM_SEGMENT_LABELS } from "../analytics/rfm.ts";
import { platforms } from "../core/channel.ts";
import type { FieldError } from "../ingest/schemas.ts";
import type { Tier } from "../loyalty/tiers.ts";
import type { CampaignPreview } from "../outreach/campaign-preview.ts";
import type { CampaignView } from "../outreach/campaign-service.ts";
import { type Html, html } from "./dashboard-html.ts";
import type { DashboardLang } from "./dashboard-texts.ts";
import { type CampaignForm, fieldOfPath } from "./campaign-form.ts";
import { csrfField, stamp } from "./queue-common.ts";
import { reasonText } from "./queue-outreach-page.ts";
import type { QueueTexts } from "./queue-texts.ts";

/** The segment in words, in the reader's language (describeSegment's English for `en`). */
export function audienceText(t: QueueTexts, lang: DashboardLang, c: Pick<CampaignView, "segment" | "audience">, tiers: readonly Tier[]): string {
  if (lang !== "zh") return c.audience;
  const s = c.segment;
  const parts: string[] = [];
  if (s.tags?.any?.length) parts.push(`${t.tagsAnyShort} ${s.tags.any.join("、")}`);
  if (s.tags?.all?.length) parts.push(`${t.tagsAllShort} ${s.tags.all.join("、")}`);
  if (s.tiers?.length) parts.push(`${t.tiers} ${s.tiers.map((name) => tiers.find((tier) => tier.name === name)?.nameZh ?? name).join(" 或 ")}`);
  if (s.lifecycleStages?.length) parts.push(`${t.stages} ${s.lifecycleStages.map((stage) => LIFECYCLE_STAGE_LABELS[stage]?.zh ?? stage).join(" 或 ")}`);
  if (s.rfmSegments?.length) parts.push(`${t.rfm} ${s.rfmSegments.map((segment) => RFM_SEGMENT_LABELS[segment]?.zh ?? segment).join(" 或 ")}`);
  if (s.channels?.length) parts.push(`${t.channels} ${s.channels.join(" 或 ")}`);
  return parts.length ? parts.join("；") : t.everyone;
}

/** The campaigns list: every campaign (newest first) with its status and counts, and the way to a new one. */
export function campaignListBody(t: QueueTexts, lang: DashboardLang, campaigns: CampaignView[], tiers: readonly Tier[], message: Html | null): Html {
  const rows = campaigns.map(
    (c) => html`<tr><td><a href="/dashboard/campaigns/${c.id}">${c.name}</a></td><td data-label="${t.audience}">${audienceText(t, lang, c, tiers)}</td>
      <td data-label="${t.status}">${t.statuses[c.status] ?? c.status}</td><td data-label="${t.createdBy}">${c.createdBy} · ${stamp(c.createdAt)}</td>
      <td data-label="${t.queuedCount}">${c.status === "draft" ? "–" : c.counts.queued}</td></tr>`,
  );
  return html`${message ?? ""}<p><a href="/dashboard/campaigns/new" id="new-campaign">${t.newCampaign}</a></p><section>
    ${
      rows.length
        ? html`<table class="responsive" id="campaigns"><caption>${t.campaignList}</caption><thead><tr><th scope="col">${t.name}</th><th scope="col">${t.audience}</th>
          <th scope="col">${t.status}</th><th scope="col">${t.createdBy}</th><th scope="col">${t.queuedCount}</th></tr></thead><tbody>${rows}</tbody></table>`
        : html`<p>${t.noCampaigns}</p>`
    }</section>`;
}

/** One checkbox per value, each its own field name (see CampaignForm), in a fieldset with its legend. */
function checkboxes(legend: string, prefix: string, options: { value: string; label: string }[], form: CampaignForm): Html {
  return html`<fieldset class="checks"><legend>${legend}</legend>${options.map(
    (o) => html`<span class="check"><input type="checkbox" id="${prefix}-${o.value}" name="${prefix}.${o.value}" ${form[`${prefix}.${o.value}`] !== undefined ? html`checked` : ""}>
      <label for="${prefix}-${o.value}">${o.label}</label></span>`,
  )}</fieldset>`;
}

/** The builder: the segment's dimensions and the message per locale; posting saves a draft and opens its preview. */
export function campaignBuilderBody(t: QueueTexts, lang: DashboardLang, view: { tiers: readonly Tier[]; form: CampaignForm; errors: FieldError[]; csrf: string }): Html {
  const { form } = view;
  const errorList = view.errors.length
    ? html`<div class="error" role="alert" id="form-errors"><p>${t.formErrors}</p><ul>${view.errors.map(
        (e) => html`<li><a href="#${fieldOfPath(e.path)}">${e.path || t.campaignName}</a>: ${e.message}</li>`,
      )}</ul></div>`
    : "";
  const invalid = (field: string) => (view.errors.some((e) => fieldOfPath(e.path) === field) ? html`aria-invalid="true"` : "");
  const label = (labels: { en: string; zh: string }) => (lang === "zh" ? labels.zh : labels.en);
  return html`${errorList}<p class="muted">${t.builderIntro}</p>
  <form method="post" action="/dashboard/campaigns" id="campaign-form">${csrfField(view.csrf)}
    <section><label for="name">${t.campaignName}</label><input type="text" id="name" name="name" required maxlength="200" value="${form.name ?? ""}" ${invalid("name")}></section>
    <section aria-labelledby="h-segment" id="segment"><h2 id="h-segment">${t.segment}</h2>
      <label for="tagsAny">${t.tagsAny}</label><input type="text" id="tagsAny" name="tagsAny" value="${form.tagsAny ?? ""}" ${invalid("tagsAny")}>
      <label for="tagsAll">${t.tagsAll}</label><input type="text" id="tagsAll" name="tagsAll" value="${form.tagsAll ?? ""}" ${invalid("tagsAll")}>
      ${checkboxes(t.tiers, "tier", view.tiers.map((tier) => ({ value: tier.name, label: lang === "zh" && tier.nameZh ? tier.nameZh : tier.name })), form)}
      ${checkboxes(t.stages, "stage", LIFECYCLE_STAGES.map((s) => ({ value: s, label: label(LIFECYCLE_STAGE_LABELS[s]) })), form)}
      ${checkboxes(t.rfm, "rfm", RFM_SEGMENTS.map((s) => ({ value: s, label: label(RFM_SEGMENT_LABELS[s]) })), form)}
      ${checkboxes(t.channels, "channel", platforms.map((p) => ({ value: p, label: p })), form)}
    </section>
    <section aria-labelledby="h-message"><h2 id="h-message">${t.message}</h2><p class="muted" id="placeholders">${t.placeholders}</p>
      <label for="messageEn">${t.messageEn}</label><textarea id="messageEn" name="messageEn" rows="4" required maxlength="4000" aria-describedby="placeholders" ${invalid("messageEn")}>${form.messageEn ?? ""}</textarea>
      <label for="messageZh">${t.messageZh}</label><textarea id="messageZh" name="messageZh" rows="4" maxlength="4000" lang="zh-CN" aria-describedby="placeholders" ${invalid("messageZh")}>${form.messageZh ?? ""}</textarea>
    </section>
    <button type="submit" id="preview-campaign">${t.previewButton}</button>
  </form>`;
}

/** A campaign: what it is, and for a draft the preview (how many, who, what the policy would skip and why) and Send. */
export function campaignBody(
  t: QueueTexts,
  lang: DashboardLang,
  view: { campaign: CampaignView & { delivery: Record<string, number> }; preview: CampaignPreview | null; enabled: boolean; tiers: readonly Tier[]; csrf: string; message: Html | null },
): Html {
  const { campaign: c, preview } = view;
  const facts = html`<dl class="facts"><dt>${t.status}</dt><dd id="campaign-status">${t.statuses[c.status] ?? c.status}</dd>
    <dt>${t.audience}</dt><dd>${audienceText(t, lang, c, view.tiers)}</dd><dt>${t.createdBy}</dt><dd>${c.createdBy} · ${stamp(c.createdAt)}</dd>
    ${c.sentAt ? html`<dt>${t.statuses.sent}</dt><dd>${c.sentBy ?? ""} · ${stamp(c.sentAt)} · ${t.queuedCount} ${c.counts.queued}</dd>` : ""}
    <dt>${t.messageEnShort}</dt><dd><pre class="card">${c.message.en ?? ""}</pre></dd>
    ${c.message["zh-CN"] ? html`<dt>${t.messageZhShort}</dt><dd lang="zh-CN"><pre class="card">${c.message["zh-CN"]}</pre></dd>` : ""}</dl>`;
  const delivery = Object.keys(c.delivery).length
    ? html`<section aria-labelledby="h-delivery"><h2 id="h-delivery">${t.delivery}</h2><ul id="delivery">${Object.entries(c.delivery).map(([key, n]) => html`<li>${deliveryLabel(t, lang, key)}: ${n}</li>`)}</ul></section>`
    : "";
  const actions =
    c.status === "draft"
      ? html`<section aria-labelledby="h-send"><h2 id="h-send" class="vh">${t.send}</h2>
        ${view.enabled ? "" : html`<p class="error" id="campaigns-off">${t.campaignsOff}</p>`}<p class="muted">${t.sendNote}</p>
        <div class="inline"><form method="post" action="/dashboard/campaigns/${c.id}/send">${csrfField(view.csrf)}<button type="submit" id="send-campaign">${t.send}</button></form>
        <form method="post" action="/dashboard/campaigns/${c.id}/cancel">${csrfField(view.csrf)}<button type="submit" class="secondary">${t.cancelCampaign}</button></form></div></section>`
      : "";
  return html`${view.message ?? ""}<section>${facts}</section>${preview ? previewBody(t, lang, preview) : ""}${actions}${delivery}`;
}

/** A delivery count's key ("sent", "skipped:no_consent:marketing", "deferred:quiet_hours") in words. */
function deliveryLabel(t: QueueTexts, lang: DashboardLang, key: string): string {
  const colon = key.indexOf(":");
  if (colon < 0) return t.deliveryStates[key] ?? key;
  return `${t.deliveryStates[key.slice(0, colon)] ?? key.slice(0, colon)} · ${reasonText(lang, key.slice(colon + 1))}`;
}

function previewBody(t: QueueTexts, lang: DashboardLang, p: CampaignPreview): Html {
  const describe = (key: string) =>
    key === "send" ? t.reasonSend : key === "control" ? t.reasonControl : key === "no_channel" ? t.reasonNoChannel : reasonText(lang, key.slice(key.indexOf(":") + 1));
  const verdictOf = (key: string) => (key.startsWith("defer:") ? t.verdicts.defer : key.startsWith("skip:") ? t.verdicts.skip : key === "no_channel" ? t.verdicts.noChannel : (t.verdicts[key] ?? key));
  const counts = (["send", "defer", "skip", "control", "noChannel"] as const).map((k) => html`<li><strong>${p.counts[k]}</strong> ${t.verdicts[k]}</li>`);
  const recipients = p.recipients.map((r) => {
    const verdict = r.verdict.action === "defer" || r.verdict.action === "skip" ? `${verdictOf(`${r.verdict.action}:`)} · ${reasonText(lang, r.verdict.reason)}` : verdictOf(r.verdict.action === "no_channel" ? "no_channel" : r.verdict.action);
    return html`<tr><td><a href="/dashboard/customers/${r.customerId}">${r.name ?? t.unnamed}</a></td><td data-label="${t.channel}">${r.channel ?? "–"}</td><td data-label="${t.verdict}">${verdict}</td></tr>`;
  });
  return html`<section aria-labelledby="h-preview" id="preview"><h2 id="h-preview">${t.previewTitle}</h2>
    <p><strong id="preview-total">${t.inSegment(p.total)}</strong> <span class="muted">(${t.previewAt} ${stamp(p.at)})</span></p>
    <ul class="counts" id="preview-counts">${counts}</ul>
    ${
      Object.keys(p.byReason).length
        ? html`<table class="responsive" id="preview-reasons"><caption>${t.byReason}</caption><thead><tr><th scope="col">${t.verdict}</th><th scope="col">${t.count}</th><th scope="col">${t.reason}</th></tr></thead><tbody>
      ${Object.entries(p.byReason).map(([key, n]) => html`<tr><th scope="row">${verdictOf(key)}</th><td data-label="${t.count}">${n}</td><td data-label="${t.reason}">${describe(key)}</td></tr>`)}</tbody></table>`
        : ""
    }
    ${
      p.recipients.length
        ? html`<table class="responsive" id="preview-recipients"><caption>${t.firstRecipients(p.recipients.length)}</caption><thead><tr><th scope="col">${t.recipient}</th><th scope="col">${t.channel}</th><th scope="col">${t.verdict}</th></tr></thead>
      <tbody>${recipients}</tbody></table>`
        : ""
    }</section>`;
}
