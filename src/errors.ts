/**
 * An error Tend can explain in one line to whoever runs it: what happened and, where known,
 * which setting to change. The CLI prints `message` alone; `cause` keeps the original for debug logs.
 */
export class TendError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TendError";
    this.code = code;
  }
}

/** The message of anything thrown, without its stack. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
