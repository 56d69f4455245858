/** Escapes the three characters Telegram's HTML mode and Slack's message text treat as markup. */
export function escapeAmpersandAndAngles(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/**
 * Cuts a text into pieces of at most `limit` UTF-16 units: at the last line break in the second
 * half of the window, else at the last space there, else hard (never inside a surrogate pair).
 * The break character itself is dropped; blank pieces are left out (platforms refuse empty text).
 */
export function splitAtBreaks(text: string, limit: number): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    const floor = Math.floor(limit / 2);
    let cut = rest.lastIndexOf("\n", limit);
    if (cut < floor) {
      cut = -1;
      for (let i = limit; i >= floor; i--) {
        if (/\s/.test(rest[i] ?? "")) {
          cut = i;
          break;
        }
      }
    }
    if (cut >= floor) {
      parts.push(rest.slice(0, cut));
      rest = rest.slice(cut + 1);
    } else {
      const hard = isHighSurrogate(rest.charCodeAt(limit - 1)) ? limit - 1 : limit;
      parts.push(rest.slice(0, hard));
      rest = rest.slice(hard);
    }
  }
  parts.push(rest);
  return parts.filter((part) => part.trim() !== "");
}
