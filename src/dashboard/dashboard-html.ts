import type { DashboardLang, DashboardTexts } from "./dashboard-texts.ts";
import { queueTextsFor } from "./queue-texts.ts";

/** Escapes text for HTML content and attribute values: every dynamic value on a page goes through this. */
export function esc(value: unknown): string {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** Marks a string as HTML already escaped (built from `html` or `esc`). */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** A template tag that escapes each interpolated value unless it is Html (or an array of Html). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? "";
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? "");
  });
  return new Html(out);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join("");
  if (value === null || value === undefined || value === false) return "";
  return esc(value);
}

export interface PageFrame {
  lang: DashboardLang;
  t: DashboardTexts;
  title: string;
  /** The signed-in staff member and the session's CSRF token; absent on the sign-in pages. */
  who?: { name: string; csrf: string } | undefined;
  /** Which nav entry is current. */
  current?: "overview" | "customers" | "cases" | "outreach" | "calendar" | "campaigns" | undefined;
  /** The path and query of this page, for the language link to come back to. */
  here: string;
}

/** The page around every dashboard view: header, navigation, language switch, sign-out. */
export function page(frame: PageFrame, body: Html): string {
  const { t, who } = frame;
  const other = frame.lang === "zh" ? "en" : "zh";
  const nav = who
    ? html`<nav aria-label="${t.nav}"><ul>
        <li><a href="/dashboard" ${frame.current === "overview" ? new Html('aria-current="page"') : ""}>${t.overview}</a></li>
        <li><a href="/dashboard/customers" ${frame.current === "customers" ? new Html('aria-current="page"') : ""}>${t.customers}</a></li>
        ${queueNav(frame)}
      </ul></nav>`
    : "";
  const account = who
    ? html`<form method="post" action="/dashboard/logout" class="inline"><input type="hidden" name="_csrf" value="${who.csrf}"><span class="who">${t.signedInAs} <strong>${who.name}</strong></span> <button type="submit">${t.signOut}</button></form>`
    : "";
  return `<!doctype html>${html`<html lang="${frame.lang === "zh" ? "zh-CN" : "en"}"><head>
<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${frame.title} · ${t.title}</title>
<link rel="stylesheet" href="/dashboard/assets/dashboard.css"><link rel="icon" href="/dashboard/assets/icon.svg" type="image/svg+xml">
</head><body>
<a class="skip" href="#main">${t.skip}</a>
<header><span class="brand">${t.title}</span>${nav}
<div class="tools"><a href="/dashboard/lang?set=${other}&amp;back=${encodeURIComponent(frame.here)}" lang="${other === "zh" ? "zh-CN" : "en"}" aria-label="${t.otherLangLabel}">${t.otherLang}</a>${account}</div>
</header>
<main id="main" tabindex="-1"><h1>${frame.title}</h1>${body}</main>
</body></html>`.value}`;
}

/** The work queues' nav entries (src/dashboard/queue-*.ts, campaign-*.ts). */
function queueNav(frame: PageFrame): Html {
  const q = queueTextsFor(frame.lang);
  const entries = [
    ["cases", "/dashboard/cases", q.navCases],
    ["outreach", "/dashboard/outreach", q.navOutreach],
    ["calendar", "/dashboard/calendar", q.navCalendar],
    ["campaigns", "/dashboard/campaigns", q.navCampaigns],
  ] as const;
  return html`${entries.map(([key, href, label]) => html`<li><a href="${href}" ${frame.current === key ? new Html('aria-current="page"') : ""}>${label}</a></li>`)}`;
}

/** A table of rows with a bar (a <meter>) beside each count: the overview's charts, readable without colour or script. */
export function barTable(caption: string, headers: [string, string], rows: { label: string; count: number }[], emptyText: string): Html {
  if (!rows.length) return html`<p>${emptyText}</p>`;
  const max = Math.max(1, ...rows.map((r) => r.count));
  return html`<table class="bars"><caption class="vh">${caption}</caption><thead><tr><th scope="col">${headers[0]}</th><th scope="col">${headers[1]}</th></tr></thead><tbody>
  ${rows.map((r) => html`<tr><th scope="row">${r.label}</th><td><meter min="0" max="${max}" value="${r.count}" aria-hidden="true"></meter> <span>${r.count}</span></td></tr>`)}
  </tbody></table>`;
}

/** The tab's icon: a leaf-green circle (served by Tend; no request leaves for a favicon). */
export const DASHBOARD_ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="#137333"/></svg>`;

/** The dashboard's style sheet (served as a file, so the Content-Security-Policy can forbid inline styles). */
export const DASHBOARD_CSS = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;color:#1b1f24;background:#f6f7f9}
a{color:#0b57d0}a:focus,button:focus,input:focus,select:focus,textarea:focus{outline:3px solid #f2a900;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:4px 8px;z-index:2}
header{display:flex;flex-wrap:wrap;align-items:center;gap:8px 16px;padding:8px 16px;background:#123;color:#fff}
header a{color:#fff}.brand{font-weight:700}
nav ul{display:flex;flex-wrap:wrap;gap:12px;list-style:none;margin:0;padding:0}
nav a[aria-current=page]{text-decoration:underline 3px}
.tools{margin-left:auto;display:flex;flex-wrap:wrap;align-items:center;gap:8px 12px}
.inline{display:inline-flex;flex-wrap:wrap;align-items:center;gap:8px}
main{padding:16px;max-width:1100px;margin:0 auto}
h1{font-size:1.5rem;margin:.25rem 0 1rem}h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
section{background:#fff;border:1px solid #d0d5dc;border-radius:6px;padding:12px;margin:0 0 16px;overflow-x:auto}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,320px),1fr));gap:16px}
table{border-collapse:collapse;width:100%}caption{text-align:left;font-weight:600;padding:4px 0}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e1e4e8;vertical-align:top;overflow-wrap:anywhere}
meter{width:min(160px,40vw);height:1rem}
label{display:block;font-weight:600;margin:8px 0 4px}
input,select,textarea,button{font:inherit;max-width:100%}
input[type=text],input[type=search],input[type=number],textarea{width:100%;padding:6px;border:1px solid #6b7280;border-radius:4px}
button{padding:6px 14px;border:1px solid #0b57d0;background:#0b57d0;color:#fff;border-radius:4px;cursor:pointer}
header button{background:#fff;color:#123;border-color:#fff}
pre.card{white-space:pre-wrap;overflow-wrap:anywhere;background:#fff;border:1px solid #d0d5dc;padding:12px;font-size:.9rem}
.notice{padding:8px 12px;border-radius:4px;background:#e6f4ea;border:1px solid #137333}
.error{padding:8px 12px;border-radius:4px;background:#fce8e6;border:1px solid #a50e0e}
.muted{color:#4b5563}
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.pager{display:flex;gap:16px;margin-top:8px}
.cards{list-style:none;margin:0;padding:0}.cards>li{border:1px solid #d0d5dc;border-radius:6px;padding:8px;margin:0 0 8px}.cards p{margin:.25rem 0}
.reasons{margin:0;padding-left:1.1rem;font-size:.9rem}.counts{display:flex;flex-wrap:wrap;gap:4px 16px;list-style:none;padding:0}
fieldset.checks{border:1px solid #d0d5dc;border-radius:4px;margin:8px 0;display:flex;flex-wrap:wrap;gap:4px 16px}fieldset.checks legend{font-weight:600}
.check{display:inline-flex;align-items:center;gap:4px}.check label{display:inline;font-weight:400;margin:0}
dl.facts{display:grid;grid-template-columns:minmax(0,max-content) minmax(0,1fr);gap:4px 12px;margin:0}dl.facts dd{margin:0;min-width:0}
button.secondary{background:#fff;color:#0b57d0}
dl.kvs{margin:0 0 8px}.kv{display:grid;grid-template-columns:minmax(8rem,max-content) minmax(0,1fr);gap:0 12px;padding:2px 0}.kv dt{font-weight:600}.kv dd{margin:0;min-width:0;overflow-wrap:anywhere}
ul.plain{list-style:none;margin:0;padding:0}.ok{color:#137333}.bad{color:#a50e0e}.warn{color:#8a4b00}.num{font-variant-numeric:tabular-nums}td.nowrap{white-space:nowrap}
fieldset.topics{border:1px solid #d0d5dc;border-radius:4px;margin:8px 0}.choice{display:grid;grid-template-columns:auto minmax(0,1fr);gap:0 8px;align-items:start}.choice label{margin:0;font-weight:400}.choice p{grid-column:2;margin:0 0 6px}
@media (max-width:600px){
  main{padding:8px}
  table.responsive thead{position:absolute;left:-9999px}
  table.responsive tr{display:block;border-bottom:1px solid #d0d5dc;padding:4px 0}
  table.responsive td,table.responsive th{display:block;border:0;padding:2px 4px}
  table.responsive td[data-label]::before{content:attr(data-label) ": ";font-weight:600}
  dl.facts{grid-template-columns:minmax(0,1fr)}
  .kv{grid-template-columns:minmax(0,1fr)}
  table.history td:empty{display:none}
}
`;
