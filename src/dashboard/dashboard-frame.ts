import type { FastifyReply, FastifyRequest } from "fastify";
import type { PageFrame } from "./dashboard-html.ts";
import { readCookies, sessionOf } from "./dashboard-session-hooks.ts";
import { type DashboardLang, type DashboardTexts, LANG_COOKIE, pickLang, textsFor } from "./dashboard-texts.ts";

/** The nav entries a page can mark as current (one per top-level dashboard page). */
export type DashboardSection = NonNullable<PageFrame["current"]>;

/** The language a request reads in: the switch's cookie, else the browser's Accept-Language. */
export function langOf(request: FastifyRequest): DashboardLang {
  return pickLang(readCookies(request)[LANG_COOKIE], request.headers["accept-language"]);
}

export function sendPage(reply: FastifyReply, text: string, status = 200): FastifyReply {
  return reply.code(status).type("text/html; charset=utf-8").send(text);
}

/** The frame of a signed-in page: language, texts, title, the staff member and CSRF token, the current nav entry. */
export function signedInFrame(
  request: FastifyRequest,
  title: (t: DashboardTexts) => string,
  current?: DashboardSection,
): PageFrame & { lang: DashboardLang; t: DashboardTexts; who: { name: string; csrf: string } } {
  const lang = langOf(request);
  const t = textsFor(lang);
  const session = sessionOf(request);
  return { lang, t, title: title(t), current, who: { name: session.actor.name, csrf: session.csrfToken }, here: request.url };
}
