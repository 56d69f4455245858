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
