import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { type DashboardAuth, type DashboardSession, SESSION_HOURS, csrfMatches } from "./dashboard-auth.ts";

/** The session cookie: HttpOnly, SameSite=Strict, Secure over HTTPS; scoped to the dashboard's paths. */
export const SESSION_COOKIE = "tend_session";

/** Paths under /dashboard that anyone may open: the sign-in pages, the language switch, the style sheet and icon. */
const PUBLIC = new Set(["/dashboard/signin", "/dashboard/login", "/dashboard/lang", "/dashboard/assets/dashboard.css", "/dashboard/assets/icon.svg"]);

const SESSION = Symbol("tend.dashboardSession");
type WithSession = FastifyRequest & { [SESSION]?: DashboardSession };

/** The signed-in session of a request that passed the dashboard's guard (every non-public route). */
export function sessionOf(request: FastifyRequest): DashboardSession {
  const session = (request as WithSession)[SESSION];
  if (!session) throw new Error(`no dashboard session on ${request.method} ${request.url}: the route is not behind the dashboard's guard`);
  return session;
}

export function readCookies(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (request.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    try {
      out[name] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      // A cookie Tend did not write; ignore it.
    }
  }
  return out;
}

/** Served over HTTPS, directly or behind a proxy that says so (X-Forwarded-Proto). */
export function isHttps(request: FastifyRequest): boolean {
  const forwarded = request.headers["x-forwarded-proto"];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim().toLowerCase();
  return request.protocol === "https" || first === "https";
}

export function sessionCookie(request: FastifyRequest, token: string | null): string {
  const attributes = ["Path=/dashboard", "HttpOnly", "SameSite=Strict", token ? `Max-Age=${SESSION_HOURS * 3600}` : "Max-Age=0"];
  if (isHttps(request)) attributes.push("Secure");
  return `${SESSION_COOKIE}=${token ?? ""}; ${attributes.join("; ")}`;
}

/** Pages get a redirect to the sign-in page; JSON endpoints and scripts get 401. */
function wantsJson(request: FastifyRequest): boolean {
  const path = request.url.split("?")[0] ?? "";
  return path.startsWith("/dashboard/api/") || !(request.headers.accept ?? "").includes("text/html");
}

/**
 * The dashboard's guard and headers, on the dashboard's own plugin scope: every route but the
 * public ones needs a live session, and every POST the session's CSRF token (`_csrf`), besides the
 * SameSite=Strict cookie. Pages are never cached and may not be framed or run inline script (scripts only from
 * the dashboard itself: the overview's charts, script-src 'self').
 */
export function installDashboardGuard(scope: FastifyInstance, auth: DashboardAuth): void {
  scope.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string", bodyLimit: 64 * 1024 }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  scope.addHook("onSend", async (_request, reply: FastifyReply, payload) => {
    reply.header("cache-control", "no-store");
    reply.header("x-content-type-options", "nosniff");
    reply.header("referrer-policy", "no-referrer");
    reply.header("x-frame-options", "DENY");
    reply.header("content-security-policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    return payload;
  });

  scope.addHook("preHandler", async (request, reply) => {
    const path = request.url.split("?")[0] ?? "";
    if (PUBLIC.has(path)) return;
    const session = await auth.session(readCookies(request)[SESSION_COOKIE]);
    if (!session) {
      if (wantsJson(request)) return reply.code(401).send({ error: "sign in first: the dashboard needs a staff session" });
      return reply.code(303).header("location", "/dashboard/signin").send();
    }
    if (request.method === "POST" && !csrfMatches(session, (request.body as Record<string, unknown> | undefined)?._csrf)) {
      return reply.code(403).type("text/plain; charset=utf-8").send("This form has expired or did not come from the dashboard: reload the page and try again.");
    }
    (request as WithSession)[SESSION] = session;
  });
}
