import { pino, type Logger } from "pino";

export type { Logger };

/**
 * JSON logs on stdout. Message texts and personal data stay out of info-level logs by
 * convention; these paths are redacted as a second line of defence for the usual suspects.
 */
export const redactedPaths = [
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["x-slack-signature"]',
  'req.headers["x-telegram-bot-api-secret-token"]',
  "*.token",
  "*.password",
  "*.secret",
  "*.apiKey",
  "*.text",
  "*.email",
  "*.phone",
  "databaseUrl",
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "tend" },
      redact: { paths: redactedPaths, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
