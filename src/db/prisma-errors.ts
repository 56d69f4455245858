/**
 * True for a unique-constraint violation. Through @prisma/adapter-pg Prisma reports P2002; the
 * PGlite adapter (0.6) passes PostgreSQL's own error through instead, as a DriverAdapterError
 * whose cause carries SQLSTATE 23505. Both mean the same thing.
 */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  if ((error as { code?: unknown }).code === "P2002") return true;
  const cause = (error as { cause?: { kind?: unknown; code?: unknown } }).cause;
  return cause?.kind === "UniqueConstraintViolation" || (cause?.kind === "postgres" && cause.code === "23505");
}

/** True when an update or delete found no row to change (P2025): someone else removed it first. */
export function isRecordNotFound(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2025";
}

/** Driver adapter error kinds (Prisma's names) that mean the database cannot be reached or used. */
const UNAVAILABLE_KINDS = new Set([
  "DatabaseNotReachable",
  "DatabaseDoesNotExist",
  "DatabaseAccessDenied",
  "AuthenticationFailed",
  "SocketTimeout",
  "ConnectionClosed",
  "TooManyConnections",
  "TlsConnectionError",
]);

/** Prisma's codes for the same: can't reach, timed out, no such database, socket timeout, closed, too many connections. */
const UNAVAILABLE_PRISMA_CODES = new Set(["P1000", "P1001", "P1002", "P1003", "P1008", "P1010", "P1011", "P1017", "P2037"]);

/** Node's socket errors from the PostgreSQL driver. */
const UNAVAILABLE_SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EPIPE", "EAI_AGAIN"]);

/**
 * SQLSTATEs: class 08 (connection exception), 57P01–57P03 (server shut down or starting), 53300
 * (too many connections), 3D000 (the database was dropped), 28xxx (login refused).
 */
function isUnavailableSqlState(code: string, message: string): boolean {
  if (code.startsWith("08") || code.startsWith("28")) return true;
  if (code === "57P01" || code === "57P02" || code === "57P03" || code === "53300" || code === "3D000") return true;
  // ALTER DATABASE … ALLOW_CONNECTIONS false; 55000 on its own means many other things.
  return code === "55000" && /not currently accepting connections/i.test(message);
}

/** What pg, pg-pool and PGlite say when there is no usable connection, without a code. */
const UNAVAILABLE_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated|Cannot use a pool after calling end|Client was closed and is not queryable|PGlite is closed|connection timeout/i;

/**
 * True when an error means the database is away (refused, unreachable, dropped, shut down, pool
 * exhausted, PGlite closed) rather than that this request did something wrong: the HTTP layer
 * answers 503 with Retry-After instead of 500. Looks through Prisma's wrappers to the driver's
 * own error, whichever adapter raised it.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  const pending: unknown[] = [error];
  while (pending.length) {
    const node = pending.pop();
    if (typeof node !== "object" || node === null || seen.has(node) || seen.size > 20) continue;
    seen.add(node);
    const { code, kind, originalCode, message, cause, meta } = node as {
      code?: unknown;
      kind?: unknown;
      originalCode?: unknown;
      message?: unknown;
      cause?: unknown;
      meta?: { driverAdapterError?: unknown };
    };
    const text = typeof message === "string" ? message : "";
    if (typeof kind === "string" && UNAVAILABLE_KINDS.has(kind)) return true;
    if (typeof code === "string") {
      if (UNAVAILABLE_PRISMA_CODES.has(code) || UNAVAILABLE_SOCKET_CODES.has(code)) return true;
      if (/^[0-9A-Z]{5}$/.test(code) && !code.startsWith("P") && isUnavailableSqlState(code, text)) return true;
    }
    if (typeof originalCode === "string" && isUnavailableSqlState(originalCode, String((node as { originalMessage?: unknown }).originalMessage ?? ""))) return true;
    if (UNAVAILABLE_MESSAGES.test(text)) return true;
    pending.push(cause, meta?.driverAdapterError);
  }
  return false;
}
