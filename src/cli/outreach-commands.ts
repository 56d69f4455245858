import type { Command } from "commander";
import type { Config } from "../config/env.ts";
import type { Database } from "../db/database.ts";
import { TendError } from "../errors.ts";
import { registerCampaignCommands } from "./campaign-commands.ts";

/** Rows the preview lists unless --limit says otherwise. */
const DEFAULT_PREVIEW_LIMIT = 1000;
const DAY_MS = 86_400_000;

/**
 * A preview bound: a day (YYYY-MM-DD, UTC midnight; as --to the whole day is included) or an
 * ISO time with its zone (2026-12-24T18:00:00+08:00).
 */
export function parsePreviewBound(value: string, option: "--from" | "--to"): Date {
  const text = value.trim();
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (day) {
    const date = new Date(Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3])));
    if (date.toISOString().slice(0, 10) === text) return option === "--to" ? new Date(date.getTime() + DAY_MS) : date;
  } else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) {
    const date = new Date(text);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new TendError("OUTREACH_BAD_DATE", `${option} must be a day written YYYY-MM-DD or an ISO time with its zone, e.g. 2026-12-24 or 2026-12-24T18:00:00+08:00 (got ${JSON.stringify(value)})`);
}

/** `tend outreach status`, `tend outreach retry --dead` and `tend outreach preview` (issue 9 §5). */
export function registerOutreachCommands(program: Command, openDb: () => Promise<Database>, config: () => Config, write: (text: string) => void): void {
  const outreach = program.commands.find((c) => c.name() === "outreach") ?? program.command("outreach").description("scheduled care outreach");

  outreach
    .command("status")
    .description("the outbox in numbers: queued (due now, later), deferred and skipped by the policy's reason, sending, sent, failed, dead-lettered, control")
    .option("--json", "print JSON instead of text")
    .action(async (options: { json?: boolean }) => {
      const { OutreachOverviewRepository } = await import("../db/repositories/outreach-overview-repository.ts");
      const { formatOutreachStatus } = await import("../outreach/outreach-status.ts");
      const db = await openDb();
      try {
        const status = await new OutreachOverviewRepository(db.prisma).status(new Date());
        write(options.json ? `${JSON.stringify(status, null, 2)}\n` : formatOutreachStatus(status));
      } finally {
        await db.close();
      }
    });

  outreach
    .command("retry")
    .description("put messages that ended unsent back in the queue, due now, with their retries counted afresh")
    .option("--dead", "the dead-lettered ones (transient failures that outlasted the retries)")
    .action(async (options: { dead?: boolean }) => {
      // Failed (refused by the platform) and skipped (refused by the policy) would fail again as they are.
      if (!options.dead) throw new TendError("OUTREACH_RETRY_WHAT", "say which messages to retry: --dead (dead-lettered ones)");
      const { OutboxRepository } = await import("../db/repositories/outbox-repository.ts");
      const db = await openDb();
      try {
        const requeued = await new OutboxRepository(db.prisma).requeueDead(new Date());
        write(`${requeued} dead-lettered message${requeued === 1 ? "" : "s"} requeued, due now\n`);
      } finally {
        await db.close();
      }
    });

  outreach
    .command("preview")
    .description(
      "the queued outbox messages due in a window, the channel each would use, and what the contact policy would do " +
        "at its due time: send, defer until when and why, or skip and why; with counts by verdict. " +
        "Only messages already in the outbox: occurrences the care planner has not written yet are not shown",
    )
    .requiredOption("--from <date>", "start, YYYY-MM-DD (UTC midnight) or an ISO time with its zone")
    .requiredOption("--to <date>", "end, YYYY-MM-DD (that whole day, UTC) or an ISO time with its zone (not included)")
    .option("--limit <n>", `list at most this many messages (default ${DEFAULT_PREVIEW_LIMIT})`)
    .option("--json", "print JSON instead of text")
    .action(async (options: { from: string; to: string; limit?: string; json?: boolean }) => {
      const from = parsePreviewBound(options.from, "--from");
      const to = parsePreviewBound(options.to, "--to");
      if (from.getTime() >= to.getTime()) throw new TendError("OUTREACH_BAD_RANGE", `--from (${options.from}) must be before --to (${options.to})`);
      const limit = options.limit === undefined ? DEFAULT_PREVIEW_LIMIT : Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new TendError("OUTREACH_BAD_LIMIT", `--limit must be a whole number from 1 (got ${JSON.stringify(options.limit)})`);
      const settings = (await import("../outreach/contact-policy-settings.ts")).contactPolicySettings(config());
      const { OutreachOverviewRepository } = await import("../db/repositories/outreach-overview-repository.ts");
      const { ContactFactsRepository } = await import("../db/repositories/contact-facts-repository.ts");
      const { previewOutreach, formatOutreachPreview } = await import("../outreach/outreach-preview.ts");
      const db = await openDb();
      try {
        const preview = await previewOutreach(
          { overview: new OutreachOverviewRepository(db.prisma), facts: new ContactFactsRepository(db.prisma), settings },
          { from, to, limit },
        );
        write(options.json ? `${JSON.stringify(preview, null, 2)}\n` : formatOutreachPreview(preview));
      } finally {
        await db.close();
      }
    });
  registerCampaignCommands(outreach, openDb, config, write);
}
