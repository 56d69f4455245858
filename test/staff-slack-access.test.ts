import { expect, it } from "vitest";
import { loadConfig } from "../src/config/env.ts";
import { ManualClock } from "../src/core/clock.ts";
import { Writable } from "node:stream";
import { createLogger } from "../src/observability/logger.ts";
import { StaffService } from "../src/staff/staff-service.ts";
import { parseSlackChannels, parseSlackStaff, staffSettingsFromConfig } from "../src/staff/staff-settings.ts";
import { describeEachDatabase } from "./support/databases.ts";

it("reads TEND_STAFF_SLACK_USERS (ids, optional names) and TEND_STAFF_SLACK_CHANNELS", () => {
  expect(parseSlackStaff(" U012AB3CD:Alice Chen, U045EF6GH ,, W0ENTERPRISE:Bo, U012AB3CD:dup")).toEqual([
    { userId: "U012AB3CD", name: "Alice Chen" },
    { userId: "U045EF6GH", name: "U045EF6GH" },
    { userId: "W0ENTERPRISE", name: "Bo" },
  ]);
  expect(parseSlackChannels("C012AB3CD, G045EF6GH")).toEqual(["C012AB3CD", "G045EF6GH"]);
  expect(parseSlackStaff(undefined)).toEqual([]);
  expect(() => parseSlackStaff("alice")).toThrow(/TEND_STAFF_SLACK_USERS: "alice" is not a Slack user id/);
  expect(() => parseSlackChannels("#support")).toThrow(/TEND_STAFF_SLACK_CHANNELS: "#support" is not a Slack channel id/);
  // A bad value stops Tend with the variable's name.
  expect(() => loadConfig({ TEND_STAFF_SLACK_USERS: "alice" })).toThrow(/TEND_STAFF_SLACK_USERS must be Slack user ids/);
  expect(() => loadConfig({ TEND_STAFF_SLACK_CHANNELS: "#support" })).toThrow(/TEND_STAFF_SLACK_CHANNELS must be Slack channel ids/);
  expect(staffSettingsFromConfig(loadConfig({ TEND_STAFF_SLACK_USERS: "U1AAAA:Ana", TEND_STAFF_SLACK_CHANNELS: "C1AAAA" }))).toMatchObject({
    slackStaff: [{ userId: "U1AAAA", name: "Ana" }],
    slackChannels: ["C1AAAA"],
  });
});

describeEachDatabase("staff in Slack", (db) => {
  const clock = new ManualClock("2026-12-02T09:00:00Z");
  const staff = () =>
    new StaffService({ prisma: db().prisma, clock, settings: staffSettingsFromConfig({ TEND_STAFF_SLACK_USERS: "U0ALICE:Alice Chen,U0BOB", TEND_STAFF_SLACK_CHANNELS: "C0STAFF" }) });

  it("lets staff act in a staff channel and in a direct message with the app", async () => {
    expect(await staff().authorizeSlack("U0ALICE", "C0STAFF")).toEqual({ ok: true, actor: { kind: "staff", id: "slack:U0ALICE", name: "Alice Chen", via: "slack" } });
    expect(await staff().authorizeSlack("U0BOB", "D0DIRECT")).toEqual({ ok: true, actor: { kind: "staff", id: "slack:U0BOB", name: "U0BOB", via: "slack" } });
    expect(await staff().authorizeSlack("U0BOB", "C0WHATEVER", { isDirectMessage: true })).toMatchObject({ ok: true });
    expect(staff().slackActor("U0NOBODY")).toBeUndefined();
  });

  it("refuses anyone else, and staff in other channels, and audits and logs each refusal", async () => {
    clock.advance(1000);
    const customer = await staff().authorizeSlack("U0CUSTOMER", "C0STAFF", { attempted: "command /tend customer" });
    expect(customer).toEqual({ ok: false, reason: "not_staff", message: expect.stringMatching(/team only/) });
    clock.advance(1000);
    const elsewhere = await staff().authorizeSlack("U0ALICE", "C0RANDOM", { attempted: "action take_over" });
    expect(elsewhere).toMatchObject({ ok: false, reason: "channel_not_allowed" });

    const entries = await staff().auditLog({ action: "staff.authorize" });
    expect(entries.slice(0, 2)).toMatchObject([
      { actorId: "slack:U0ALICE", actorName: "Alice Chen", via: "slack", outcome: "refused", target: "C0RANDOM", detail: { reason: "channel_not_allowed", attempted: "action take_over" } },
      { actorId: "slack:U0CUSTOMER", actorName: "U0CUSTOMER", via: "slack", outcome: "refused", target: "C0STAFF", detail: { reason: "not_staff", attempted: "command /tend customer" } },
    ]);
  });

  it("logs a refusal at warn, naming the Slack user, channel and reason", async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _encoding, done) => void (lines.push(String(chunk)), done()) });
    const logged = new StaffService({ prisma: db().prisma, clock, logger: createLogger("info", sink), settings: staffSettingsFromConfig({ TEND_STAFF_SLACK_USERS: "U0ALICE" }) });
    await logged.authorizeSlack("U0MALLORY", "C0STAFF", { attempted: "command /tend report" });
    const entry = JSON.parse(lines.at(-1)!);
    expect(entry).toMatchObject({ level: 40, msg: "staff Slack request refused", slackUserId: "U0MALLORY", channelId: "C0STAFF", reason: "not_staff", attempted: "command /tend report" });
  });

  it("refuses everyone when no staff are configured", async () => {
    const nobody = new StaffService({ prisma: db().prisma, clock });
    expect(await nobody.authorizeSlack("U0ALICE", "D0DIRECT")).toMatchObject({ ok: false, reason: "not_staff" });
  });
});
