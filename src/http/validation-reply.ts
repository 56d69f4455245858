import type { z } from "zod";
import { type FieldError, fieldErrors } from "../ingest/schemas.ts";

/**
 * The body of every 422 under /api: a one-line summary that names each field, and the list of
 * field paths ("tags.2", "" for the body as a whole) with their reasons for programs to read.
 */
export function validationFailed(errors: FieldError[]): { error: string; errors: FieldError[] } {
  const summary = errors.map((e) => (e.path ? `${e.path} ${e.message}` : e.message)).join("; ");
  return { error: summary ? `validation failed: ${summary}` : "validation failed", errors };
}

/** A request body checked against `schema`: the value, or the 422 body naming what is wrong. */
export function parseRequestBody<T>(schema: z.ZodType<T>, body: unknown): { ok: true; value: T } | { ok: false; body: ReturnType<typeof validationFailed> } {
  const parsed = schema.safeParse(body ?? {});
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, body: validationFailed(fieldErrors(parsed.error)) };
}
