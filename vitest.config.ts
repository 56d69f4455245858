import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "adapters/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    // PGlite start-up and PostgreSQL template copies take seconds, not milliseconds, and many
    // more on a busy 2-core machine: these bounds only catch a hang, they time nothing.
    testTimeout: 180_000,
    hookTimeout: 300_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
