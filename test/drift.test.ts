import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type DriftReport, checkDrift, hasDrift } from "../src/db/drift.ts";

describe("schema.prisma and prisma/migrations", () => {
  let committed: DriftReport;
  let changedWithoutMigration: DriftReport;

  beforeAll(async () => {
    const schema = await fs.readFile("prisma/schema.prisma", "utf8");
    // A model change nobody wrote a migration for: a new column and a new index.
    const changed = schema
      .replace("  displayName            String?\n", "  displayName            String?\n  nickname               String?\n")
      .replace("  @@index([createdAt])\n}", "  @@index([createdAt])\n  @@index([nickname])\n}");
    expect(changed).toContain("nickname");
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "tend-drift-"));
    const changedPath = path.join(dir, "schema.prisma");
    await fs.writeFile(changedPath, changed);
    [committed, changedWithoutMigration] = await Promise.all([checkDrift(), checkDrift(changedPath)]);
  }, 180_000);

  it("describe the same database", () => {
    expect(committed.missingFromMigrations).toEqual([]);
    expect(committed.notInSchema).toEqual([]);
    expect(hasDrift(committed)).toBe(false);
  });

  it("are reported as drifted when a model changes without a migration", () => {
    expect(hasDrift(changedWithoutMigration)).toBe(true);
    expect(changedWithoutMigration.missingFromMigrations).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^column Customer\.nickname text null/),
        expect.stringMatching(/^index CREATE INDEX "Customer_nickname_idx"/),
      ]),
    );
  });
});
