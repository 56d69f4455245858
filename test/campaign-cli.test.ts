import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerOutreachCommands } from "../src/cli/outreach-commands.ts";
import { loadConfig } from "../src/config/env.ts";
import { type Database, openDatabase } from "../src/db/database.ts";
import { describeEachDatabase } from "./support/databases.ts";
import { runTend, startTendProcess, waitForExit } from "./support/run-tend.ts";

let seq = 0;
const unique = (prefix: string) => `${prefix}-${++seq}-${Math.random().toString(36).slice(2, 8)}`;

let tmp: string;
let plansOn: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "tend-campaign-cli-"));
  plansOn = path.join(tmp, "care-plans.json");
  await fs.writeFile(plansOn, JSON.stringify({ plans: { campaigns: { enabled: true, control: 0 } } }));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Runs `tend outreach campaign …` through its command functions on the test's database (which stays open). */
async function tend(db: Database, args: string[], env: Record<string, string> = { CARE_PLANS_FILE: plansOn }): Promise<string> {
  let out = "";
  const program = new Command("tend").exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  registerOutreachCommands(program, async () => ({ ...db, close: async () => {} }) as Database, () => loadConfig({ OUTREACH_DEFAULT_QUIET_HOURS: "off", ...env }), (text) => void (out += text));
  await program.parseAsync(["node", "tend", "outreach", "campaign", ...args]);
  return out;
}

describeEachDatabase("tend outreach campaign", (db) => {
  async function customer(tag: string, data: { marketingConsent?: boolean; tags?: string[] } = {}) {
    const name = unique("cli");
    const created = await db().prisma.customer.create({ data: { displayName: name, marketingConsent: data.marketingConsent ?? true, tags: [tag, ...(data.tags ?? [])] } });
    await db().prisma.channelIdentity.create({ data: { customerId: created.id, platform: "telegram", platformUserId: name, address: `telegram:${name}` } });
    return created;
  }

  it("creates, lists, shows, previews, sends once and cancels, naming the staff member each time", async () => {
    const tag = unique("cli");
    const vip = await customer(tag, { tags: ["vip"] });
    await customer(tag, { tags: ["vip"], marketingConsent: false });
    await customer(tag);
    const created = JSON.parse(
      await tend(db(), [
        "create",
        "--name",
        "VIP week",
        "--message-en",
        "Hi {name}, {reward}",
        "--message-zh",
        "{name}，{reward}",
        "--offer-en",
        "a free coffee",
        "--tags-all",
        `${tag}, vip`,
        "--channel",
        "telegram",
        "--control",
        "0",
        "--by",
        "Mei",
        "--json",
      ]),
    );
    expect(created).toMatchObject({ status: "draft", createdBy: "Mei", segment: { tags: { all: [tag, "vip"] }, channels: ["telegram"] }, offer: { en: "a free coffee" } });

    expect(await tend(db(), ["list"])).toContain(`${created.id}  draft      "VIP week"  to tags all of ${tag}, vip; on telegram`);
    const preview = JSON.parse(await tend(db(), ["preview", created.id, "--json"]));
    expect(preview).toMatchObject({ total: 2, byReason: { send: 1, "skip:no_consent:marketing": 1 } });
    const text = await tend(db(), ["preview", created.id, "--limit", "5"]);
    expect(text).toContain("2 customers in the segment");
    expect(text).toContain("skip:no_consent:marketing: 1  (Skipped: The customer has not agreed to marketing messages.)");
    expect(text).toContain(`${vip.id}  telegram  en  -> send`);
    expect(text).toContain(`Hi ${vip.displayName}, a free coffee`);

    expect(await tend(db(), ["send", created.id, "--by", "Bo"])).toBe(`Campaign ${created.id} sent: 2 messages queued, 0 held out as control, 0 without a channel\n`);
    expect(await tend(db(), ["send", created.id, "--by", "Bo"])).toBe(`Campaign ${created.id} was sent before (by Bo): nothing new queued\n`);
    const shown = JSON.parse(await tend(db(), ["show", created.id, "--json"]));
    expect(shown).toMatchObject({ status: "sent", sentBy: "Bo", delivery: { pending: 2 } });
    expect(await tend(db(), ["cancel", created.id, "--by", "Lee"])).toBe(`Campaign ${created.id} cancelled; 2 queued messages will not be sent\n`);
    await expect(tend(db(), ["send", created.id, "--by", "Bo"])).rejects.toThrow(/was cancelled: it cannot be sent/);
    // Audited as the staff member named with --by, on the command line.
    const audit = await db().prisma.staffAuditEntry.findMany({ where: { target: created.id }, orderBy: [{ action: "asc" }, { outcome: "asc" }] });
    expect(audit.map((a) => [a.action, a.actorId, a.via, a.outcome])).toEqual([
      ["campaign.cancel", "cli:Lee", "cli", "ok"],
      ["campaign.create", "cli:Mei", "cli", "ok"],
      ["campaign.send", "cli:Bo", "cli", "ok"],
      ["campaign.send", "cli:Bo", "cli", "refused"],
    ]);
  });

  it("says which option is wrong, refuses to send while campaigns are off, and names an unknown campaign", async () => {
    const base = ["create", "--name", "x", "--by", "Mei"];
    await expect(tend(db(), [...base, "--message-en", "Hi {nmae}"])).rejects.toThrow(/invalid campaign: --message-en unknown placeholder \{nmae\}/);
    await expect(tend(db(), [...base, "--message-en", "Hi", "--tier", "Diamond"])).rejects.toThrow(/--tier is not a loyalty tier/);
    await expect(tend(db(), [...base, "--message-en", "Hi", "--stage", "sleepy"])).rejects.toThrow(/--stage must be one of/);
    await expect(tend(db(), [...base, "--message-en", "Hi", "--control", "half"])).rejects.toThrow(/--control must be a number/);
    await expect(tend(db(), [...base, "--message-en", "Hi", "--at", "2020-01-01T00:00:00Z"])).rejects.toThrow(/--at must not be in the past/);
    await expect(tend(db(), [...base, "--message-en", "{reward}"])).rejects.toThrow(/--message-en uses \{reward\} but the campaign has no offer/);
    await expect(tend(db(), ["preview", "no-such-id"])).rejects.toThrow(/no campaign no-such-id/);

    const tag = unique("off");
    await customer(tag);
    // The shipped care plans file has campaigns off; its control share (5 %) is the default.
    const created = JSON.parse(await tend(db(), [...base, "--message-en", "Hi", "--tags-any", tag, "--json"], {}));
    expect(created.controlShare).toBe(0.05);
    await expect(tend(db(), ["send", created.id, "--by", "Bo"], {})).rejects.toThrow(/campaigns are off: set plans.campaigns.enabled to true/);
  });
});

describe("tend outreach campaign while Tend runs on the embedded database", { timeout: 900_000 }, () => {
  it("is carried out by the running Tend and its messages delivered through the web chat", async () => {
    const env = { TEND_DATA_DIR: path.join(tmp, "running"), HOST: "127.0.0.1", PORT: "0", CARE_PLANS_FILE: plansOn, OUTREACH_DEFAULT_QUIET_HOURS: "off" };
    const help = await runTend(["outreach", "campaign", "--help"], env);
    expect(help.code, help.stderr).toBe(0);
    for (const command of ["create", "list", "show", "preview", "send", "cancel"]) expect(help.stdout).toContain(command);

    // A visitor of the web chat becomes a customer; with Tend stopped the test gives them a tag and marketing consent.
    const visitorId = `visitor-${unique("v")}`;
    const first = await startTendProcess(env);
    try {
      const said = await fetch(`${first.url}/webchat/api/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ visitorId, text: "hello" }) });
      expect(said.status).toBe(200);
    } finally {
      first.child.kill("SIGTERM");
      await waitForExit(first.child);
    }
    const direct = await openDatabase({ kind: "pglite", dataDir: env.TEND_DATA_DIR });
    try {
      const identity = await direct.prisma.channelIdentity.findFirstOrThrow({ where: { platform: "web", platformUserId: visitorId } });
      await direct.prisma.customer.update({ where: { id: identity.customerId }, data: { tags: ["launch"], marketingConsent: true, displayName: "Wen" } });
    } finally {
      await direct.close();
    }

    const tend = await startTendProcess(env);
    try {
      const created = await runTend(["outreach", "campaign", "create", "--name", "Launch", "--message-en", "Hello {name}, we opened a new shop", "--tags-any", "launch", "--by", "Mei", "--json"], env);
      expect(created.code, created.stderr).toBe(0);
      const id = (JSON.parse(created.stdout) as { id: string }).id;
      const preview = await runTend(["outreach", "campaign", "preview", id, "--json"], env);
      expect(preview.code, preview.stderr).toBe(0);
      expect(JSON.parse(preview.stdout)).toMatchObject({ total: 1, byReason: { send: 1 } });
      const sent = await runTend(["outreach", "campaign", "send", id, "--by", "Bo"], env);
      expect(sent.code, sent.stderr).toBe(0);
      expect(sent.stdout).toBe(`Campaign ${id} sent: 1 message queued, 0 held out as control, 0 without a channel\n`);

      // The running Tend's dispatcher delivers it on the web chat, where the page picks it up.
      let delivered: string[] = [];
      for (let attempt = 0; attempt < 600 && delivered.length === 0; attempt++) {
        const since = await fetch(`${tend.url}/webchat/api/messages?visitorId=${visitorId}&after=2000-01-01T00:00:00Z`);
        delivered = ((await since.json()) as { messages: { text: string }[] }).messages.map((m) => m.text).filter((t) => t.includes("new shop"));
        if (!delivered.length) await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(delivered).toEqual(["Hello Wen, we opened a new shop"]);
      const shown = await runTend(["outreach", "campaign", "show", id, "--json"], env);
      expect(JSON.parse(shown.stdout)).toMatchObject({ status: "sent", sentBy: "Bo", delivery: { sent: 1 } });
    } finally {
      tend.child.kill("SIGTERM");
      await waitForExit(tend.child);
    }
  });
});
