// Fails (exit 1) when prisma/schema.prisma and prisma/migrations describe different databases.
import { checkDrift, hasDrift } from "../src/db/drift.ts";

const report = await checkDrift(process.argv[2]);
if (!hasDrift(report)) {
  console.log("schema.prisma and prisma/migrations agree");
  process.exit(0);
}
console.error("schema.prisma and prisma/migrations have drifted apart:");
for (const line of report.missingFromMigrations) console.error(`  in schema.prisma, missing from migrations: ${line}`);
for (const line of report.notInSchema) console.error(`  in migrations, not in schema.prisma: ${line}`);
console.error("write a migration: npm run db:new-migration -- <name>");
process.exit(1);
