import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDiscordFactory } from "../../adapters/discord/index.ts";
import { webChatFactory } from "../../adapters/web/index.ts";
import { type RunningTend, startTend } from "../../src/app.ts";
import { loadConfig } from "../../src/config/env.ts";
import { DiscordStandIn, type StandInMessage } from "../support/discord-standin.ts";
import { tendDatabaseTargets } from "../support/databases.ts";

/** What a Discord client shows for a message: markdown escapes removed. */
const shown = (content: string) => content.replace(/\\([\\*_`~|[\]()#>.\-:])/g, "$1");
const buttons = (message: StandInMessage) => message.components.flatMap((row) => row.components.map((c) => c.custom_id));

const targets = tendDatabaseTargets("discord");

for (const target of targets) {
  describe.skipIf(Boolean(target.skip))(`Discord conversation through discord.js [${target.name}]${target.skip ? ` (skipped: ${target.skip})` : ""}`, () => {
    let discord: DiscordStandIn;
    let tend: RunningTend;

    const customerOf = async (userId: string) => {
      const customer = await tend.services.customers.findByIdentity("discord", userId);
      if (!customer) throw new Error(`no customer for Discord user ${userId}`);
      return customer;
    };

    beforeAll(async () => {
      discord = await new DiscordStandIn().start();
      const config = loadConfig({
        ...(await target.env()),
        PORT: "0",
        HOST: "127.0.0.1",
        LOG_LEVEL: "silent",
        DISCORD_BOT_TOKEN: discord.token,
        DISCORD_API_URL: discord.apiUrl,
      });
      tend = await startTend({ config, channelFactories: [webChatFactory, createDiscordFactory({ readyTimeoutMs: 10_000 })] });
    });
    afterAll(async () => {
      await tend?.stop();
      await discord?.stop();
    });

    it("logs in over the gateway and registers the slash commands for DMs", () => {
      expect(discord.openGatewayConnections).toBe(1);
      expect(discord.commands.map((c) => c.name).sort()).toEqual(["feedback", "help", "points", "rewards"]);
      for (const command of discord.commands) expect(command.contexts).toEqual([1]);
      expect(discord.requests.filter((r) => r.path === "/gateway/bot")).toHaveLength(1);
    });

    it("runs help, points by command and by button, a survey answered by a button, and STOP", async () => {
      const alice = discord.addUser("alice", "Alice");
      const dm = discord.dmChannelOf(alice.id);

      discord.userWrites(alice.id, "help");
      const help = await discord.nextMessage(dm);
      expect(help.content).toMatch(/^Hi Alice! I can show your points/);
      expect(buttons(help)).toEqual(["menu:points", "menu:rewards", "menu:rate", "menu:agent"]);
      expect(help.components[0]?.components.map((c) => c.label)).toEqual(["My points", "Rewards", "Rate us", "Talk to a person"]);

      // A slash command is deferred at once, then answered by editing the deferred reply.
      const command = discord.userRunsCommand(alice.id, "points");
      const points = await discord.nextMessage(dm);
      expect(points).toMatchObject({ via: "interaction", interactionId: command.id });
      expect(points.content).toMatch(/^You have 0 points\. Your tier: Bronze\./);
      expect(discord.interactions.get(command.id as string)?.callbackType).toBe(5);

      // A button press is acknowledged without touching its message; the answer follows it.
      const press = discord.userPresses(alice.id, help, "menu:rewards");
      const rewards = await discord.nextMessage(dm);
      expect(rewards).toMatchObject({ via: "followup", interactionId: press.id });
      expect(rewards.content).toMatch(/^Rewards you can choose \(you have 0 points\):/);
      expect(discord.interactions.get(press.id as string)?.callbackType).toBe(6);

      discord.userWrites(alice.id, "rate us");
      const survey = await discord.nextMessage(dm);
      const five = buttons(survey).find((id) => /^survey:.+:5$/.test(id ?? ""));
      expect(five).toBeDefined();
      discord.userPresses(alice.id, survey, five!);
      await discord.nextMessage(dm);
      const customer = await customerOf(alice.id);
      const responses = await tend.db.prisma.surveyResponse.findMany({ where: { customerId: customer.id } });
      expect(responses.map((r) => r.score)).toEqual([5]);

      discord.userWrites(alice.id, "STOP");
      expect((await discord.nextMessage(dm)).content).toMatch(/no more messages you did not ask for/);
      const stopped = await tend.services.customers.findById(customer.id);
      expect(stopped?.careConsent).toBe(false);
      expect(stopped?.marketingConsent).toBe(false);

      // Everything is on the timeline under the DM channel's address.
      const identities = await tend.services.customers.identities(customer.id);
      expect(identities.map((i) => [i.platform, i.platformUserId, i.address])).toEqual([["discord", alice.id, `discord:${dm}`]]);
      const timeline = await tend.services.interactions.timeline(customer.id, { limit: 100 });
      expect(timeline.filter((i) => i.direction === "in")).toHaveLength(6);
      expect(discord.unread(dm)).toEqual([]);
    });

    it("maps /feedback to the survey and answers in Chinese for a zh-CN Discord user", async () => {
      const bo = discord.addUser("bo", "波");
      const dm = discord.dmChannelOf(bo.id);
      discord.userRunsCommand(bo.id, "feedback", { locale: "zh-CN" });
      const survey = await discord.nextMessage(dm);
      expect(buttons(survey).filter((id) => id?.startsWith("survey:"))).toHaveLength(5);
      discord.userRunsCommand(bo.id, "help", { locale: "zh-CN" });
      expect((await discord.nextMessage(dm)).content).toMatch(/^您好，波！/);
      expect((await customerOf(bo.id)).locale).toBe("zh-CN");
    });

    it("handles a redelivered message and a redelivered interaction once", async () => {
      const carol = discord.addUser("carol");
      const dm = discord.dmChannelOf(carol.id);
      const message = discord.userWrites(carol.id, "points");
      await discord.nextMessage(dm);
      discord.redeliver("MESSAGE_CREATE", message);
      const command = discord.userRunsCommand(carol.id, "rewards");
      discord.redeliver("INTERACTION_CREATE", command);
      expect((await discord.nextMessage(dm)).content).toMatch(/^Rewards you can choose/);
      // A later message is answered next: nothing was sent for either repeat.
      discord.userWrites(carol.id, "help");
      expect((await discord.nextMessage(dm)).content).toMatch(/^Hi carol!/);
      expect(discord.unread(dm)).toEqual([]);
      const callbacks = discord.requests.filter((r) => r.path.startsWith(`/interactions/${command.id as string}/`));
      expect(callbacks).toHaveLength(1);
      const customer = await customerOf(carol.id);
      const inbound = (await tend.services.interactions.timeline(customer.id, { limit: 50 })).filter((i) => i.direction === "in");
      expect(inbound).toHaveLength(3);
      const repeated = [message.id as string, command.id as string];
      expect(inbound.map((i) => i.platformMessageId).filter((id) => repeated.includes(id ?? "")).sort()).toEqual(repeated.sort());
    });

    it("shows a customer's name with markdown characters literally and pings nobody", async () => {
      const eve = discord.addUser("eve", "*_[x](y)_* @everyone");
      const dm = discord.dmChannelOf(eve.id);
      discord.userWrites(eve.id, "hello");
      const reply = await discord.nextMessage(dm);
      expect(reply.content).not.toContain("*_[x]");
      expect(shown(reply.content)).toBe("Hi *_[x](y)_* @everyone! I can show your points and rewards, take your feedback, or get you a person.");
      expect(reply.allowed_mentions).toEqual({ parse: [] });
    });

    it("links the Discord DM with the web chat into one customer and reaches them proactively", async () => {
      const visitorId = `visitor-discord-${target.name}`;
      const web = await fetch(`${tend.url}/webchat/api/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ visitorId, messageId: "m1", text: "link" }),
      });
      const { replies } = (await web.json()) as { replies: { text: string }[] };
      const code = /link ([A-Z0-9]{6})/.exec(replies[0]?.text ?? "")?.[1];
      expect(code).toBeDefined();

      const dave = discord.addUser("dave", "Dave");
      const dm = discord.dmChannelOf(dave.id);
      discord.userWrites(dave.id, `link ${code}`);
      expect(shown((await discord.nextMessage(dm)).content)).toBe("Linked! Both chats now share one profile, points and history.");
      const webCustomer = await tend.services.customers.findByIdentity("web", visitorId);
      const customer = await customerOf(dave.id);
      expect(customer.id).toBe(webCustomer?.id);
      const platforms = (await tend.services.customers.identities(customer.id)).map((i) => i.platform).sort();
      expect(platforms).toEqual(["discord", "web"]);

      // Discord was used last, so a proactive message goes there, with its buttons.
      await tend.engine.notify(customer.id, { text: "About your feedback: all fixed.", choices: [{ id: "menu:points", label: "My points" }] });
      const proactive = await discord.nextMessage(dm);
      expect(proactive.via).toBe("channel");
      expect(shown(proactive.content)).toBe("About your feedback: all fixed.");
      expect(buttons(proactive)).toEqual(["menu:points"]);

      // The export arrives as a JSON file in the DM.
      discord.userWrites(dave.id, "my data");
      const exported = await discord.nextMessage(dm);
      const file = exported.files[0];
      expect(file?.filename).toMatch(/\.json$/);
      const document = JSON.parse(file!.content.toString("utf8")) as { identities?: unknown[]; interactions: unknown[] };
      expect(document.interactions.length).toBeGreaterThan(2);
    });
  });
}
