import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { configVariableNames, loadConfig } from "../src/config/env.ts";
import { TendError } from "../src/errors.ts";

describe("configuration", () => {
  it("runs with nothing set: embedded database in ./data on port 3000", () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.TEND_DATA_DIR).toBe("./data");
    expect(config.LOG_LEVEL).toBe("info");
  });

  it("treats an empty value as unset, as .env files mean it", () => {
    expect(loadConfig({ DATABASE_URL: "", PORT: "" }).PORT).toBe(3000);
  });

  it("accepts a PostgreSQL URL in either spelling", () => {
    expect(loadConfig({ DATABASE_URL: "postgres://u:p@db:5432/tend" }).DATABASE_URL).toBe("postgres://u:p@db:5432/tend");
    expect(loadConfig({ DATABASE_URL: "postgresql://db/tend" }).DATABASE_URL).toBe("postgresql://db/tend");
  });

  it("names every bad variable in one message and never echoes a secret", () => {
    let error: unknown;
    try {
      loadConfig({ PORT: "70000", LOG_LEVEL: "loud", DATABASE_URL: "http://user:hunter2@db" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TendError);
    const message = (error as Error).message;
    expect(message).toContain('PORT must be a TCP port number from 0 to 65535 (got "70000")');
    expect(message).toContain('LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")');
    expect(message).toContain("DATABASE_URL must be a PostgreSQL connection URL");
    expect(message).not.toContain("hunter2");
    expect(message).not.toContain("\n");
  });

  it("lists every variable in .env.example, and nothing it does not read", () => {
    const example = fs.readFileSync(".env.example", "utf8");
    const listed = [...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]);
    expect([...new Set(listed)].sort()).toEqual([...configVariableNames].sort());
  });
});
