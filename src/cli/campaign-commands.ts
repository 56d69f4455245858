import type { Command } from "commander";
import type { Config } from "../config/env.ts";
import type { Database } from "../db/database.ts";
import { TendError } from "../errors.ts";
import type { FieldError } from "../ingest/schemas.ts";
import type { CampaignActor, CampaignService, CampaignView } from "../outreach/campaign-service.ts";

/** Recipients `campaign preview` lists unless --limit says otherwise. */
const DEFAULT_PREVIEW_LIMIT = 20;

/** Which option set each field of the API's body, so an error names what the user typed. */
const optionOfField: [prefix: string, option: string][] = [
  ["message.en", "--message-en"],
  ["message.zh-CN", "--message-zh"],
  ["offer.en", "--offer-en"],
  ["offer.zh-CN", "--offer-zh"],
  ["offer", "--offer-en"],
  ["segment.tags.any", "--tags-any"],
  ["segment.tags.all", "--tags-all"],
  ["segment.tiers", "--tier"],
  ["segment.lifecycleStages", "--stage"],
  ["segment.rfmSegments", "--rfm"],
  ["segment.channels", "--channel"],
  ["controlShare", "--control"],
  ["scheduledAt", "--at"],
  ["name", "--name"],
  ["by", "--by"],
];

interface CreateOptions {
  name: string;
  messageEn: string;
  messageZh?: string;
  offerEn?: string;
  offerZh?: string;
  tagsAny?: string;
  tagsAll?: string;
  tier?: string;
  stage?: string;
  rfm?: string;
  channel?: string;
  control?: string;
  at?: string;
  by: string;
  json?: boolean;
}

/**
 * `tend outreach campaign create|list|show|preview|send|cancel`: the staff campaigns of the HTTP API
 * (src/http/campaign-routes.ts) from the command line, through the same CampaignService. Like every
 * command it works while Tend runs (on the embedded database the running Tend carries it out).
 */
export function registerCampaignCommands(outreach: Command, openDb: () => Promise<Database>, config: () => Config, write: (text: string) => void): void {
  const campaign = outreach.command("campaign").description("one-off campaigns by staff to a segment: create a draft, preview it, send it, cancel it");

  /** Opens the database and the service, runs `work`, and closes the database again. */
  const withService = async <T>(work: (service: CampaignService) => Promise<T>): Promise<T> => {
    const { CampaignService } = await import("../outreach/campaign-service.ts");
    const { loyaltySettingsFromConfig } = await import("../loyalty/settings.ts");
    const { contactPolicySettings } = await import("../outreach/contact-policy-settings.ts");
    const { loadCarePlans } = await import("../outreach/care-plans-file.ts");
    const { systemClock } = await import("../core/clock.ts");
    const { StaffService } = await import("../staff/staff-service.ts");
    const settings = config();
    // Read before the database opens: a bad plans file fails fast.
    const plans = loadCarePlans(settings.CARE_PLANS_FILE);
    const db = await openDb();
    try {
      const service = new CampaignService({
        db,
        clock: systemClock,
        tierRules: loyaltySettingsFromConfig(settings),
        policy: contactPolicySettings(settings),
        plan: plans.campaigns,
        // Create, send and cancel are audited as the staff member named with --by, on the command line.
        staff: new StaffService({ prisma: db.prisma, clock: systemClock }),
      });
      return await work(service);
    } finally {
      await db.close();
    }
  };
  const print = (json: boolean | undefined, value: unknown, text: string) => write(json ? `${JSON.stringify(value, null, 2)}\n` : text);

  campaign
    .command("create")
    .description("create a draft campaign (nothing is sent until `campaign send`); lists are comma-separated")
    .requiredOption("--name <name>", "what staff call it")
    .requiredOption("--message-en <text>", "the message in English (also for other languages); may use {name}, {tier}, {reward}")
    .option("--message-zh <text>", "the message in Chinese")
    .option("--offer-en <text>", "the offer, filled in as {reward}")
    .option("--offer-zh <text>", "the offer in Chinese")
    .option("--tags-any <tags>", "customers with any of these tags")
    .option("--tags-all <tags>", "customers with all of these tags")
    .option("--tier <tiers>", "loyalty tiers (LOYALTY_TIERS names)")
    .option("--stage <stages>", "lifecycle stages: potential, new, growing, mature, declining, churned")
    .option("--rfm <segments>", "RFM segments, e.g. champions, at_risk, cant_lose")
    .option("--channel <platforms>", "customers on these channels, sent there: telegram, discord, slack, web")
    .option("--control <share>", "share held out as a control group, 0 to 0.5 (default: plans.campaigns.control of the care plans file)")
    .option("--at <time>", "when to deliver, an ISO time with its zone (default: when sent)")
    .requiredOption("--by <name>", "the staff member creating it")
    .option("--json", "print JSON instead of text")
    .action(async (options: CreateOptions) => {
      const body = createBody(options);
      await withService(async (service) => {
        const parsed = service.parseDraft(body);
        if (!parsed.ok) throw invalidOptions(parsed.errors);
        const created = await service.create(parsed.value, await staffActor(options.by));
        print(options.json, created, `Created draft campaign ${created.id} "${created.name}" for ${created.audience}; preview it with \`tend outreach campaign preview ${created.id}\`\n`);
      });
    });

  campaign
    .command("list")
    .description("campaigns, newest first, with their status and counts")
    .option("--json", "print JSON instead of text")
    .action(async (options: { json?: boolean }) => {
      await withService(async (service) => {
        const campaigns = await service.list();
        print(options.json, campaigns, campaigns.length ? `${campaigns.map(describeCampaign).join("\n")}\n` : "No campaigns yet.\n");
      });
    });

  campaign
    .command("show <id>")
    .description("one campaign: its texts, segment, status, counts, and what became of its messages so far")
    .option("--json", "print JSON instead of text")
    .action(async (id: string, options: { json?: boolean }) => {
      await withService(async (service) => {
        const found = await service.get(id);
        if (!found) throw noSuchCampaign(id);
        const delivery = Object.entries(found.delivery).map(([key, n]) => `  ${key}: ${n}`);
        print(options.json, found, `${describeCampaign(found)}\n  message: ${JSON.stringify(found.message)}\n${delivery.length ? `Messages:\n${delivery.join("\n")}\n` : ""}`);
      });
    });

  campaign
    .command("preview <id>")
    .description("who would get what: the first recipients with their text and channel, and counts of what the contact policy would send, defer or skip, and why")
    .option("--limit <n>", `list at most this many recipients (default ${DEFAULT_PREVIEW_LIMIT}); the counts cover everyone`)
    .option("--json", "print JSON instead of text")
    .action(async (id: string, options: { limit?: string; json?: boolean }) => {
      const limit = options.limit === undefined ? DEFAULT_PREVIEW_LIMIT : Number(options.limit);
      if (!Number.isInteger(limit) || limit < 0) throw new TendError("CAMPAIGN_BAD_LIMIT", `--limit must be a whole number from 0 (got ${JSON.stringify(options.limit)})`);
      const { formatCampaignPreview } = await import("../outreach/campaign-preview.ts");
      await withService(async (service) => {
        const preview = await service.preview(id, limit);
        if (!preview) throw noSuchCampaign(id);
        print(options.json, preview, formatCampaignPreview(preview));
      });
    });

  campaign
    .command("send <id>")
    .description("queue the campaign: one message per reachable customer in the segment, delivered at its time under the contact policy; sending again queues nothing new")
    .requiredOption("--by <name>", "the staff member sending it")
    .option("--json", "print JSON instead of text")
    .action(async (id: string, options: { by: string; json?: boolean }) => {
      await withService(async (service) => {
        const outcome = await service.send(id, await staffActor(options.by));
        switch (outcome.status) {
          case "not_found":
            throw noSuchCampaign(id);
          case "disabled":
            throw new TendError("CAMPAIGNS_OFF", "campaigns are off: set plans.campaigns.enabled to true in the care plans file (CARE_PLANS_FILE) to send them");
          case "busy":
            throw new TendError("CAMPAIGN_BUSY", "the campaign is being sent by another process right now; try again when it has finished");
          case "cancelled":
            throw new TendError("CAMPAIGN_CANCELLED", `campaign ${id} was cancelled: it cannot be sent`);
          case "already_sent":
            return print(options.json, outcome, `Campaign ${id} was sent before (by ${outcome.campaign.sentBy}): nothing new queued\n`);
          case "sent":
            return print(
              options.json,
              outcome,
              `Campaign ${id} sent: ${outcome.queued} message${outcome.queued === 1 ? "" : "s"} queued, ${outcome.control} held out as control, ${outcome.unreachable} without a channel\n`,
            );
        }
      });
    });

  campaign
    .command("cancel <id>")
    .description("cancel a campaign: a draft is never sent; a sent one's messages still queued are not sent")
    .requiredOption("--by <name>", "the staff member cancelling it")
    .option("--json", "print JSON instead of text")
    .action(async (id: string, options: { by: string; json?: boolean }) => {
      await withService(async (service) => {
        const result = await service.cancel(id, await staffActor(options.by));
        if (!result) throw noSuchCampaign(id);
        print(
          options.json,
          result,
          result.status === "already_cancelled" ? `Campaign ${id} was cancelled before\n` : `Campaign ${id} cancelled; ${result.stopped} queued message${result.stopped === 1 ? "" : "s"} will not be sent\n`,
        );
      });
    });
}

/** The CLI's actor: the staff member --by names (the OS user is the running Tend's when the command is handed to it). */
async function staffActor(name: string): Promise<CampaignActor> {
  const { cliActor } = await import("../staff/actor.ts");
  return { actor: cliActor(name.trim()) };
}

function createBody(options: CreateOptions): Record<string, unknown> {
  const list = (value: string | undefined) =>
    value === undefined
      ? undefined
      : value
          .split(",")
          .map((item) => item.trim())
          .filter(Boolean);
  const segment: Record<string, unknown> = {};
  if (options.tagsAny !== undefined || options.tagsAll !== undefined) segment.tags = { any: list(options.tagsAny), all: list(options.tagsAll) };
  if (options.tier !== undefined) segment.tiers = list(options.tier);
  if (options.stage !== undefined) segment.lifecycleStages = list(options.stage);
  if (options.rfm !== undefined) segment.rfmSegments = list(options.rfm);
  if (options.channel !== undefined) segment.channels = list(options.channel);
  const control = options.control === undefined ? undefined : options.control.trim() === "" ? Number.NaN : Number(options.control);
  return {
    name: options.name,
    message: { en: options.messageEn, ...(options.messageZh !== undefined ? { "zh-CN": options.messageZh } : {}) },
    ...(options.offerEn !== undefined || options.offerZh !== undefined ? { offer: { en: options.offerEn, ...(options.offerZh !== undefined ? { "zh-CN": options.offerZh } : {}) } } : {}),
    segment,
    ...(control !== undefined ? { controlShare: control } : {}),
    ...(options.at !== undefined ? { scheduledAt: options.at } : {}),
    by: options.by,
  };
}

function invalidOptions(errors: FieldError[]): TendError {
  const described = errors.map((error) => {
    const option = optionOfField.find(([prefix]) => error.path === prefix || error.path.startsWith(`${prefix}.`))?.[1];
    return option ? `${option} ${error.message}` : error.path ? `${error.path} ${error.message}` : error.message;
  });
  return new TendError("CAMPAIGN_INVALID", `invalid campaign: ${described.join("; ")}`);
}

function noSuchCampaign(id: string): TendError {
  return new TendError("CAMPAIGN_NOT_FOUND", `no campaign ${id} (see \`tend outreach campaign list\`)`);
}

function describeCampaign(c: CampaignView): string {
  const when = c.status === "sent" ? `sent ${c.sentAt} by ${c.sentBy}` : c.status === "cancelled" ? `cancelled ${c.cancelledAt} by ${c.cancelledBy}` : `draft by ${c.createdBy}`;
  return (
    `${c.id}  ${c.status.padEnd(9)}  "${c.name}"  to ${c.audience}; at ${c.scheduledAt}; control ${Math.round(c.controlShare * 1000) / 10} %; ${when}\n` +
    `  queued ${c.counts.queued}, control ${c.counts.control}, no channel ${c.counts.unreachable}, cancelled ${c.counts.cancelled}`
  );
}
