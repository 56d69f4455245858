import os from "node:os";
import { z } from "zod";
import { TendError } from "../errors.ts";

/**
 * Every environment variable Tend reads, with what it expects. `.env.example` lists the same
 * variables; test/config.test.ts keeps the two in step.
 */
const variables = {
  PORT: {
    expect: "a TCP port number from 0 to 65535",
    schema: z.coerce.number().int().min(0).max(65535).default(3000),
  },
  HOST: {
    expect: "an interface address to listen on, e.g. 0.0.0.0 or 127.0.0.1",
    schema: z.string().min(1).default("0.0.0.0"),
  },
  DATABASE_URL: {
    expect: "a PostgreSQL connection URL, postgresql://user:password@host:5432/database",
    secret: true,
    schema: z
      .string()
      .refine((value) => {
        try {
          const url = new URL(value);
          return (url.protocol === "postgresql:" || url.protocol === "postgres:") && url.hostname !== "";
        } catch {
          return false;
        }
      })
      .optional(),
  },
  DATABASE_POOL_SIZE: {
    expect: "an integer from 1 to 100",
    schema: z.coerce.number().int().min(1).max(100).default(10),
  },
  TEND_DATA_DIR: {
    expect: "a folder path for the embedded database and other local data",
    schema: z.string().min(1).default("./data"),
  },
  TEND_INSTANCE_ID: {
    expect: "a short name for this Tend instance (letters, digits, . _ -)",
    schema: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/)
      .default(`${os.hostname().slice(0, 40)}-${process.pid}`),
  },
  LOG_LEVEL: {
    expect: "one of fatal, error, warn, info, debug, trace, silent",
    schema: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  },
  SHUTDOWN_TIMEOUT_MS: {
    expect: "milliseconds from 100 to 600000",
    schema: z.coerce.number().int().min(100).max(600_000).default(10_000),
  },
} as const;

type Variables = typeof variables;
export type Config = { [K in keyof Variables]: z.output<Variables[K]["schema"]> };
export const configVariableNames = Object.keys(variables) as (keyof Variables)[];

const schema = z.object(
  Object.fromEntries(Object.entries(variables).map(([name, v]) => [name, v.schema])) as {
    [K in keyof Variables]: Variables[K]["schema"];
  },
);

/**
 * Reads and checks the configuration. A bad value stops Tend with one line per variable that
 * names it and says what it expects; secrets are never echoed back.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty `NAME=` line in a .env file means "not set", as most tools read it.
  const present = Object.fromEntries(
    configVariableNames.filter((name) => env[name] !== undefined && env[name] !== "").map((name) => [name, env[name]]),
  );
  const parsed = schema.safeParse(present);
  if (parsed.success) return parsed.data as Config;

  const problems = new Map<string, string>();
  for (const issue of parsed.error.issues) {
    const name = String(issue.path[0]) as keyof Variables;
    const variable = variables[name];
    if (!variable || problems.has(name)) continue;
    const shown = "secret" in variable && variable.secret ? "" : ` (got ${JSON.stringify(present[name])})`;
    problems.set(name, `${name} must be ${variable.expect}${shown}`);
  }
  throw new TendError("CONFIG_INVALID", `invalid configuration: ${[...problems.values()].join("; ")}`);
}
