// Prisma CLI configuration: the WASM query compiler and a driver adapter, never a downloaded engine.
// The CLI reads the same variables as Tend: DATABASE_URL for PostgreSQL, else PGlite in TEND_DATA_DIR.
import path from "node:path";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { defineConfig } from "prisma/config";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations") },
  async adapter(): Promise<SqlMigrationAwareDriverAdapterFactory> {
    const url = process.env.DATABASE_URL;
    if (url) {
      const { PrismaPg } = await import("@prisma/adapter-pg");
      return new PrismaPg({ connectionString: url });
    }
    const { PGlite } = await import("@electric-sql/pglite");
    const { PrismaPGlite } = await import("pglite-prisma-adapter");
    // Same folder as src/db/database.ts pgliteDir(); the 0.6 adapter's older types need the cast.
    const dataDir = path.resolve(process.env.TEND_DATA_DIR ?? "./data", "pglite");
    return new PrismaPGlite(new PGlite(dataDir)) as unknown as SqlMigrationAwareDriverAdapterFactory;
  },
});
