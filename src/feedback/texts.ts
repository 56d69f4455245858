import type { CustomerLanguage } from "./locale.ts";

// Staff often end the resolution with a full stop; the frame adds its own.
function trimEnd(text: string): string {
  return text.trim().replace(/[\s.。!！]+$/u, "");
}

/** What the customer hears when staff close their case. */
export function caseClosedMessage(language: CustomerLanguage, resolution: string): string {
  return language === "zh-CN"
    ? `关于您的反馈：${trimEnd(resolution)}。感谢您告诉我们。`
    : `About your feedback: ${trimEnd(resolution)}. Thank you for telling us.`;
}
