import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StaffSlackApp } from "../adapters/slack-staff/app.ts";
import { REFUSAL } from "../adapters/slack-staff/access.ts";
import { staffSlackFactory } from "../adapters/slack-staff/index.ts";
import { type RunningTend, startTend } from "../src/app.ts";
import { loadConfig } from "../src/config/env.ts";
import type { StaffConsoleFactory } from "../src/core/staff-console.ts";
import { DashboardAuth } from "../src/dashboard/dashboard-auth.ts";
import { dashboardLinkService } from "../src/staff-console/dashboard-link.ts";
import { botToken } from "./support/slack-helpers.ts";
import { SlackStandin } from "./support/slack-standin.ts";
import { postToStaffEvents, slashCommand, staffBotToken, staffSigningSecret } from "./support/slack-staff-helpers.ts";

const PUBLIC_URL = "https://tend.example.test/";

/**
 * `/tend login` in the staff Slack app (issue 12), through Bolt against the Slack stand-in: a staff
 * member gets an ephemeral answer and, in a direct message from the staff app, a one-time link to
 * the dashboard at TEND_PUBLIC_URL that signs them in once; a stranger is refused and audited and
 * no link is made. PGlite only: the links and sessions are tested on both databases in
 * dashboard-sessions.test.ts.
 */
describe("/tend login: a dashboard sign-in link by Slack DM", () => {
  let standin: SlackStandin;
  let tend: RunningTend;
  let staffApp: StaffSlackApp;
  let sam: string;
  let nina: string;
  let staffChannel: string;
  let sequence = 0;

  const capturing: StaffConsoleFactory = {
    ...staffSlackFactory,
    async create(context) {
      const made = await staffSlackFactory.create(context);
      staffApp = made as StaffSlackApp;
      return made;
    },
  };

  async function command(text: string, user: string, channel = staffChannel) {
    const key = `login-${++sequence}`;
    const response = await postToStaffEvents(tend.url, slashCommand({ text, userId: user, channelId: channel, responseUrl: standin.responseUrl(key) }), "command");
    const raw = await response.text();
    await staffApp.whenIdle();
    return { status: response.status, ack: raw ? (JSON.parse(raw) as { response_type?: string; text?: string }) : undefined, responses: standin.responsesTo(key) };
  }

  const staffDms = () => standin.posts.filter((p) => p.token === staffBotToken && p.text.includes("/dashboard/login?token="));
  const signIn = (token: string) =>
    fetch(`${tend.url}/dashboard/login`, { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ token }).toString() });

  beforeAll(async () => {
    standin = await SlackStandin.start({ botToken, staffBotToken, users: [{ name: "sam", displayName: "Sam" }, { name: "nina", displayName: "Nina" }] });
    sam = standin.userId("sam");
    nina = standin.userId("nina");
    staffChannel = await standin.createChannel("staff");
    const config = loadConfig({
      TEND_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "tend-slack-login-")),
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      OUTREACH_DEFAULT_QUIET_HOURS: "off",
      TEND_PUBLIC_URL: PUBLIC_URL,
      TEND_STAFF_SLACK_BOT_TOKEN: staffBotToken,
      TEND_STAFF_SLACK_SIGNING_SECRET: staffSigningSecret,
      TEND_STAFF_SLACK_API_URL: standin.url,
      TEND_STAFF_SLACK_USERS: `${sam}:Sam Lee`,
      TEND_STAFF_SLACK_CHANNELS: staffChannel,
    });
    tend = await startTend({ config, channelFactories: [], staffConsoleFactories: [capturing] });
  }, 120_000);
  afterAll(async () => {
    await tend?.stop();
    await standin?.close();
  });

  it("sends a staff member a link in a direct message that signs them in once, and says so ephemerally where they asked", async () => {
    const { status, responses } = await command("login", sam);
    expect(status).toBe(200);
    expect(responses).toHaveLength(1);
    expect(responses[0]!.body).toMatchObject({ response_type: "ephemeral" });
    expect(responses[0]!.body.text).toMatch(/sent you a sign-in link .* in a direct message/);
    expect(JSON.stringify(responses[0]!.body)).not.toContain("token=");

    // The direct message: opened with Sam alone, by the staff app, never in the channel; previews off.
    const opened = standin.callsOf("conversations.open").filter((c) => c.token === staffBotToken);
    expect(opened.map((c) => c.params.users)).toEqual([sam]);
    const [dm, ...more] = staffDms();
    expect(more).toEqual([]);
    expect(dm!.channel).toMatch(/^D/);
    expect(standin.postsTo(staffChannel).filter((p) => p.text.includes("token="))).toEqual([]);
    const post = standin.callsOf("chat.postMessage").find((c) => String(c.params.text ?? "").includes("token="))!;
    expect(String(post.params.unfurl_links)).toBe("false");
    const url = /https:\/\/tend\.example\.test\/dashboard\/login\?token=([A-Za-z0-9_-]{43})/.exec(dm!.text);
    expect(url, dm!.text).not.toBeNull();
    expect(JSON.stringify(dm!.blocks)).toContain(url![0]);

    // The link signs in once, as Sam (the same person as in Slack), through the web.
    const first = await signIn(url![1]!);
    expect(first.status).toBe(303);
    const cookie = String(first.headers.get("set-cookie")).split(";")[0]!;
    const overview = await fetch(`${tend.url}/dashboard`, { headers: { cookie, accept: "text/html" }, redirect: "manual" });
    expect(overview.status).toBe(200);
    expect(await overview.text()).toContain("Sam Lee");
    expect((await signIn(url![1]!)).status).toBe(401);

    const made = await tend.services.staff.auditLog({ action: "dashboard.login_link", limit: 10 });
    expect(made.map((e) => [e.actorId, e.via, e.outcome])).toEqual([[`slack:${sam}`, "slack", "ok"]]);
    const signedIn = await tend.services.staff.auditLog({ action: "dashboard.sign_in", limit: 10 });
    expect(signedIn.map((e) => [e.actorId, e.via, e.outcome])).toEqual([
      [`slack:${sam}`, "web", "refused"],
      [`slack:${sam}`, "web", "ok"],
    ]);
  }, 60_000);

  it("works from a direct message with the app too", async () => {
    const before = staffDms().length;
    const { responses } = await command("login", sam, await standin.dm("sam"));
    expect(responses[0]!.body.text).toMatch(/direct message/);
    expect(staffDms()).toHaveLength(before + 1);
  }, 60_000);

  it("refuses a stranger: no link is made, nothing is sent, and the attempt is audited", async () => {
    const links = await tend.db.prisma.dashboardLoginLink.count();
    const dms = staffDms().length;
    const { ack, responses } = await command("login", nina);
    expect(ack).toMatchObject({ response_type: "ephemeral", text: REFUSAL });
    expect(responses).toEqual([]);
    expect(await tend.db.prisma.dashboardLoginLink.count()).toBe(links);
    expect(staffDms()).toHaveLength(dms);
    expect(standin.callsOf("conversations.open").filter((c) => c.params.users === nina)).toEqual([]);
    const [refused] = await tend.services.staff.auditLog({ actorId: `slack:${nina}`, limit: 1 });
    expect(refused).toMatchObject({ action: "staff.authorize", outcome: "refused", via: "slack", detail: { reason: "not_staff", attempted: "command /tend" } });
  }, 60_000);

  it("makes no link without TEND_PUBLIC_URL, and the dashboard refuses a Slack user it does not know; both audited", async () => {
    const auth = new DashboardAuth({ prisma: tend.db.prisma, staff: tend.services.staff });
    const samActor = { kind: "staff" as const, id: `slack:${sam}`, name: "Sam Lee", via: "slack" as const };
    const links = await tend.db.prisma.dashboardLoginLink.count();
    const unset = await dashboardLinkService({ auth, staff: tend.services.staff, publicUrl: undefined })(sam, samActor);
    expect(unset).toMatchObject({ status: "unavailable", message: expect.stringContaining("TEND_PUBLIC_URL") });
    const stranger = { kind: "staff" as const, id: `slack:${nina}`, name: nina, via: "slack" as const };
    const refused = await dashboardLinkService({ auth, staff: tend.services.staff, publicUrl: PUBLIC_URL })(nina, stranger);
    expect(refused).toMatchObject({ status: "refused" });
    expect(await tend.db.prisma.dashboardLoginLink.count()).toBe(links);
    const audit = await tend.services.staff.auditLog({ action: "dashboard.login_link", limit: 10 });
    expect(audit.filter((e) => e.outcome === "refused").map((e) => e.actorId).sort()).toEqual([`slack:${nina}`, `slack:${sam}`].sort());
  }, 60_000);
});
