/**
 * The web chat page: one self-contained document, no build step and no third-party scripts.
 * Every customer or bot text is inserted with textContent, never as HTML.
 */
export const chatPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Chat with us</title>
<style>
  * { box-sizing: border-box; }
  body { margin: 0; font: 16px/1.4 system-ui, sans-serif; background: #f4f5f7; color: #1d1f23; }
  main { max-width: 640px; margin: 0 auto; height: 100vh; display: flex; flex-direction: column; }
  header { padding: 14px 16px; background: #2f6f5e; color: #fff; font-weight: 600; }
  #log { flex: 1; overflow-y: auto; padding: 16px; display: flex; flex-direction: column; gap: 8px; }
  .msg { max-width: 85%; padding: 8px 12px; border-radius: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
  .me { align-self: flex-end; background: #2f6f5e; color: #fff; }
  .bot { align-self: flex-start; background: #fff; border: 1px solid #dde0e4; }
  .error { align-self: center; color: #a12; font-size: 14px; }
  .choices { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; }
  .choices button { border: 1px solid #2f6f5e; background: #fff; color: #2f6f5e; border-radius: 16px; padding: 4px 12px; cursor: pointer; }
  .choices button:hover { background: #e8f2ef; }
  form { display: flex; gap: 8px; padding: 12px; background: #fff; border-top: 1px solid #dde0e4; }
  input { flex: 1; padding: 10px; border: 1px solid #c5c9cf; border-radius: 8px; font: inherit; }
  form button { padding: 10px 16px; border: 0; border-radius: 8px; background: #2f6f5e; color: #fff; font: inherit; cursor: pointer; }
</style>
</head>
<body>
<main>
  <header>Chat with us</header>
  <div id="log" aria-live="polite"></div>
  <form id="form"><input id="text" autocomplete="off" maxlength="4000" placeholder="Type a message… (try: help / 帮助)"><button>Send</button></form>
</main>
<script>
(() => {
  const log = document.getElementById("log");
  const form = document.getElementById("form");
  const input = document.getElementById("text");
  const key = "tend.visitorId";
  let visitorId = localStorage.getItem(key);
  if (!visitorId) { visitorId = crypto.randomUUID(); localStorage.setItem(key, visitorId); }
  let cursor = new Date().toISOString();

  function bubble(text, who) {
    const div = document.createElement("div");
    div.className = "msg " + who;
    div.textContent = text;
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
    return div;
  }

  function showReply(reply) {
    const div = bubble(reply.text, "bot");
    if (reply.choices && reply.choices.length) {
      const row = document.createElement("div");
      row.className = "choices";
      for (const choice of reply.choices) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = choice.label;
        button.addEventListener("click", () => send({ action: choice.id }, choice.label));
        row.appendChild(button);
      }
      div.appendChild(row);
    }
    if (reply.attachment) {
      const link = document.createElement("a");
      link.textContent = "⬇ " + reply.attachment.fileName;
      link.download = reply.attachment.fileName;
      link.href = URL.createObjectURL(new Blob([reply.attachment.content], { type: reply.attachment.contentType }));
      link.style.display = "block";
      div.appendChild(link);
    }
  }

  async function send(body, shown) {
    if (shown) bubble(shown, "me");
    const messageId = crypto.randomUUID();
    try {
      const response = await fetch("/webchat/api/messages", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ visitorId, messageId, locale: navigator.language, ...body }),
      });
      const data = await response.json();
      if (!response.ok) { bubble(data.error || "Something went wrong.", "error"); return; }
      data.replies.forEach(showReply);
    } catch (error) {
      bubble("Could not reach us. Please check your connection and try again.", "error");
    }
  }

  async function poll() {
    try {
      const response = await fetch("/webchat/api/messages?visitorId=" + encodeURIComponent(visitorId) + "&after=" + encodeURIComponent(cursor));
      if (response.ok) {
        const data = await response.json();
        data.messages.forEach(showReply);
        cursor = data.cursor;
      }
    } catch (error) { /* offline for a moment: the next poll catches up */ }
    setTimeout(poll, 5000);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send({ text }, text);
  });

  send({ action: "menu:help" });
  poll();
})();
</script>
</body>
</html>
`;
