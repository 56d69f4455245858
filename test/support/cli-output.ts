import { expect } from "vitest";

/** What every start-up or command failure must look like: one `tend: …` line naming what to fix, no stack trace. */
export function expectOneClearLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^tend: /);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
}
