import { type PageLanguage, pageTexts } from "./page-texts.ts";

export { pageLanguage } from "./page-texts.ts";

export interface ChatPageOptions {
  /** The language the page opens in (from Accept-Language); it follows the visitor's own once Tend knows them. */
  language: PageLanguage;
  businessName: string | undefined;
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** JSON that stays JSON inside a <script> element: no "</script>" or "<!--" can appear in it. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c");

/**
 * The web chat page: one self-contained document, no build step and no third-party scripts.
 * Every customer or bot text is inserted with textContent, never as HTML. It needs no secure
 * context (plain HTTP on a LAN address works): ids come from crypto.getRandomValues, not randomUUID.
 */
export function chatPage({ language, businessName }: ChatPageOptions): string {
  const texts = Object.fromEntries(
    Object.entries(pageTexts).map(([lang, t]) => [lang, { ...t, title: t.title(businessName) }]),
  );
  const t = pageTexts[language];
  const title = escapeHtml(t.title(businessName));
  return `<!doctype html>
<html lang="${language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>
  * { box-sizing: border-box; }
  body { margin: 0; font: 16px/1.4 system-ui, sans-serif; background: #f4f5f7; color: #1d1f23; }
  main { max-width: 640px; margin: 0 auto; height: 100vh; height: 100dvh; display: flex; flex-direction: column; }
  header { padding: 14px 16px; background: #2f6f5e; color: #fff; font-weight: 600; }
  #problem { padding: 10px 16px; background: #fdecea; color: #8a1c12; border-bottom: 1px solid #f3b8b1; font-size: 14px; }
  #staff { padding: 10px 16px; background: #e8f2ef; color: #1f4d41; border-bottom: 1px solid #b9d6cd; font-size: 14px; }
  #log { flex: 1; overflow-y: auto; padding: 16px; display: flex; flex-direction: column; gap: 8px; }
  .msg { max-width: 85%; padding: 8px 12px; border-radius: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
  .msg time { display: block; margin-top: 4px; font-size: 12px; opacity: 0.7; }
  .me { align-self: flex-end; background: #2f6f5e; color: #fff; }
  .me time { text-align: right; }
  .bot { align-self: flex-start; background: #fff; border: 1px solid #dde0e4; }
  .error { align-self: center; color: #a12; font-size: 14px; text-align: center; }
  .choices { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; }
  .choices button { border: 1px solid #2f6f5e; background: #fff; color: #2f6f5e; border-radius: 16px; padding: 4px 12px; cursor: pointer; font: inherit; font-size: 15px; }
  .choices button:hover:enabled { background: #e8f2ef; }
  .choices button:disabled { cursor: default; border-color: #c5c9cf; color: #8a9099; }
  .choices button.chosen:disabled { background: #e8f2ef; border-color: #2f6f5e; color: #2f6f5e; }
  form { display: flex; gap: 8px; padding: 12px; background: #fff; border-top: 1px solid #dde0e4; }
  input { flex: 1; min-width: 0; padding: 10px; border: 1px solid #c5c9cf; border-radius: 8px; font: inherit; }
  form button { padding: 10px 16px; border: 0; border-radius: 8px; background: #2f6f5e; color: #fff; font: inherit; cursor: pointer; }
</style>
</head>
<body>
<main>
  <header id="title">${title}</header>
  <div id="problem" role="alert" hidden></div>
  <div id="staff" role="status" hidden></div>
  <noscript><div class="msg error">${escapeHtml(t.noScript)}</div></noscript>
  <div id="log" aria-live="polite"></div>
  <form id="form"><input id="text" autocomplete="off" maxlength="4000" placeholder="${escapeHtml(t.placeholder)}"><button id="send">${escapeHtml(t.send)}</button></form>
</main>
<script type="application/json" id="tend-page">${scriptJson({ language, texts })}</script>
<script>
// First and in the oldest syntax: whatever fails later (even a script this browser cannot parse) is shown, not a blank page.
(function () {
  function explain(detail) {
    var box = document.getElementById("problem");
    var text = "The chat stopped working ({error}). Please reload the page.";
    try {
      var page = JSON.parse(document.getElementById("tend-page").textContent);
      text = page.texts[document.documentElement.lang || page.language].broken;
    } catch (ignored) {}
    box.textContent = text.replace("{error}", String(detail || "unknown error"));
    box.hidden = false;
  }
  window.addEventListener("error", function (event) { explain(event.message || event.error); });
  window.addEventListener("unhandledrejection", function (event) {
    var reason = event.reason;
    explain(reason && reason.message ? reason.message : reason);
  });
})();
</script>
<script>
(() => {
  const page = JSON.parse(document.getElementById("tend-page").textContent);
  const log = document.getElementById("log");
  const form = document.getElementById("form");
  const input = document.getElementById("text");
  let language = page.language;

  function t(key, values) {
    let text = page.texts[language][key];
    for (const name in values || {}) text = text.replace("{" + name + "}", values[name]);
    return text;
  }

  function useLanguage(next) {
    if (!page.texts[next] || next === language) return;
    language = next;
    document.documentElement.lang = next;
    document.title = t("title");
    document.getElementById("title").textContent = t("title");
    document.getElementById("send").textContent = t("send");
    input.placeholder = t("placeholder");
  }

  // crypto.randomUUID exists only in secure contexts (HTTPS or localhost); getRandomValues everywhere.
  function randomId() {
    const bytes = new Uint8Array(16);
    if (window.crypto && window.crypto.getRandomValues) window.crypto.getRandomValues(bytes);
    else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function storedVisitorId() {
    const key = "tend.visitorId";
    try {
      let id = localStorage.getItem(key);
      if (!id) { id = randomId(); localStorage.setItem(key, id); }
      return id;
    } catch (error) {
      return randomId(); // storage blocked (private mode): a conversation for this tab only
    }
  }

  const visitorId = storedVisitorId();
  const shown = new Set();
  let cursor = null;

  function formatTime(date) {
    const today = date.toDateString() === new Date().toDateString();
    const options = today ? { hour: "2-digit", minute: "2-digit" } : { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" };
    try { return date.toLocaleString(language, options); } catch (error) { return date.toISOString().slice(0, 16).replace("T", " "); }
  }

  function notice(text) {
    const div = document.createElement("div");
    div.className = "msg error";
    div.textContent = text;
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
  }

  // While a person has the conversation: say so (and who) above the messages, so the quiet bot is not a dead page.
  function showHandover(handedOver) {
    const staff = document.getElementById("staff");
    staff.hidden = !handedOver;
    if (handedOver) staff.textContent = handedOver.to ? t("withStaffNamed", { name: handedOver.to }) : t("withStaff");
  }

  function setButtons(row, disabled) {
    for (const button of row.querySelectorAll("button")) button.disabled = disabled;
  }

  function show(message, who) {
    if (message.id) {
      if (shown.has(message.id)) return;
      shown.add(message.id);
    }
    const div = document.createElement("div");
    div.className = "msg " + who;
    const text = document.createElement("div");
    text.textContent = message.text;
    div.appendChild(text);
    if (message.choices && message.choices.length) {
      const row = document.createElement("div");
      row.className = "choices";
      for (const choice of message.choices) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = choice.label;
        button.disabled = Boolean(message.answered);
        button.addEventListener("click", async () => {
          // One answer per question: the row is spent unless the answer never arrived.
          setButtons(row, true);
          button.classList.add("chosen");
          if (!(await send({ action: choice.id }, choice.label))) {
            button.classList.remove("chosen");
            setButtons(row, false);
          }
        });
        row.appendChild(button);
      }
      div.appendChild(row);
    }
    if (message.attachment) {
      const link = document.createElement("a");
      link.textContent = "⬇ " + message.attachment.fileName;
      link.download = message.attachment.fileName;
      link.href = URL.createObjectURL(new Blob([message.attachment.content], { type: message.attachment.contentType }));
      link.style.display = "block";
      div.appendChild(link);
    }
    const at = message.at ? new Date(message.at) : new Date();
    const time = document.createElement("time");
    time.dateTime = at.toISOString();
    time.textContent = formatTime(at);
    div.appendChild(time);
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
  }

  /** Sends a message or a button press; true once Tend's answer is shown. */
  async function send(body, shownText) {
    if (shownText) show({ text: shownText }, "me");
    let response;
    try {
      response = await fetch("/webchat/api/messages", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ visitorId, messageId: randomId(), locale: navigator.language, ...body }),
      });
    } catch (error) {
      notice(t("offline"));
      return false;
    }
    const data = await response.json().catch(() => null);
    if (response.status === 429) {
      notice(t("tooMany", { seconds: response.headers.get("retry-after") || "60" }));
      return false;
    }
    if (!response.ok || !data) {
      console.warn("web chat:", response.status, data && data.error);
      notice(t("failed"));
      return false;
    }
    for (const reply of data.replies) show({ ...reply, at: data.at }, "bot");
    return true;
  }

  async function getJson(path) {
    const response = await fetch(path + (path.includes("?") ? "&" : "?") + "visitorId=" + encodeURIComponent(visitorId));
    if (!response.ok) throw new Error("HTTP " + response.status);
    return response.json();
  }

  // What Tend sent on its own while the page is open (a follow-up, a survey).
  async function poll() {
    try {
      const data = await getJson("/webchat/api/messages?after=" + encodeURIComponent(cursor));
      if (data.language) useLanguage(data.language);
      showHandover(data.handedOver);
      for (const message of data.messages) show(message, "bot");
      cursor = data.cursor;
    } catch (error) { /* offline for a moment: the next poll catches up */ }
    setTimeout(poll, 5000);
  }

  // The conversation so far, with what arrived while the page was closed; a first visit gets the greeting.
  let toldOffline = false;
  async function open() {
    let data;
    try {
      data = await getJson("/webchat/api/history");
    } catch (error) {
      if (!toldOffline) notice(t("offline"));
      toldOffline = true;
      setTimeout(open, 5000);
      return;
    }
    if (data.language) useLanguage(data.language);
    showHandover(data.handedOver);
    for (const message of data.messages) show(message, message.direction === "in" ? "me" : "bot");
    cursor = data.cursor;
    if (data.messages.length === 0) await send({ action: "menu:help" });
    poll();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send({ text }, text);
  });

  open();
})();
</script>
</body>
</html>
`;
}
