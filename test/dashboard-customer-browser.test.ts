import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumMissing, launchChromium, noSideways, signInWithLink, watchProblems } from "./support/dashboard-browser.ts";
import { type RunningTend, startTend } from "../src/app.ts";
import { loadConfig } from "../src/config/env.ts";
import { DashboardAuth } from "../src/dashboard/dashboard-auth.ts";

/**
 * The dashboard's customer page in headless Chromium (playwright-core): resolve a case and see the
 * customer's follow-up on their timeline; take over, reply and see the reply delivered; adjust
 * points and see the ledger; send a one-off care message the contact policy defers for the
 * customer's quiet hours and see it shown deferred with the reason; the page in English and
 * Chinese at desktop and phone width (no sideways scroll). PGlite only; the routes' rules are
 * tested on both databases in dashboard-customer.test.ts.
 */
const skip = chromiumMissing;
const desktop = { width: 1280, height: 900 };
const phone = { width: 390, height: 844 };
const screenshots = process.env.TEND_UPDATE_SCREENSHOTS === "1" ? path.resolve("docs/screenshots") : fs.mkdtempSync(path.join(os.tmpdir(), "tend-customer-screens-"));


describe.skipIf(Boolean(skip))(`dashboard customer page in a browser${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let tend: RunningTend;
  let browser: Browser;
  let auth: DashboardAuth;
  let complainer: string;
  let sleeper: string;

  const chat = async (visitorId: string, text: string) => {
    const response = await fetch(`${tend.url}/webchat/api/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ visitorId, text }) });
    expect(response.status).toBe(200);
  };

  beforeAll(async () => {
    const config = loadConfig({
      TEND_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "tend-dashboard-customer-")),
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      // The wall clock runs this suite: only the customer's own quiet hours (set below) may hold a message.
      OUTREACH_DEFAULT_QUIET_HOURS: "off",
    });
    tend = await startTend({ config });
    await tend.services.staff.createApiKey("mei", "staff");
    auth = new DashboardAuth({ prisma: tend.db.prisma, staff: tend.services.staff });

    // A web chat customer who asks for a person: a feedback case opens.
    for (const text of ["hello", "agent"]) await chat("customer-browser-complainer", text);
    complainer = (await tend.services.customers.findByIdentity("web", "customer-browser-complainer"))!.id;
    await tend.db.prisma.customer.update({ where: { id: complainer }, data: { displayName: "Li Wei 李伟" } });

    // A customer whose own quiet hours are now (an hour either side of the wall clock, in UTC).
    await chat("customer-browser-sleeper", "hello");
    sleeper = (await tend.services.customers.findByIdentity("web", "customer-browser-sleeper"))!.id;
    const now = new Date();
    const minutes = now.getUTCHours() * 60 + now.getUTCMinutes();
    await tend.db.prisma.customer.update({
      where: { id: sleeper },
      data: { displayName: "Chen Jing 陈静", timeZone: "UTC", quietHoursStart: (minutes + 1380) % 1440, quietHoursEnd: (minutes + 60) % 1440 },
    });

    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await tend?.stop();
  });

  async function signedIn(context: BrowserContext): Promise<{ page: Page; problems: string[] }> {
    const page = await context.newPage();
    const problems = watchProblems(page);
    await signInWithLink(page, tend.url, auth);
    return { page, problems };
  }


  /** Reloads until the timeline shows `text` (the dispatcher delivers through the outbox in the background). */
  const timelineShows = (page: Page, text: string) =>
    expect
      .poll(
        async () => {
          await page.reload();
          return page.locator("#timeline").textContent();
        },
        { timeout: 20_000, interval: 500 },
      )
      .toContain(text);

  it("resolves a case, takes over and replies, adjusts points, and sends a care message the policy defers (desktop, English)", async () => {
    const context = await browser.newContext({ viewport: desktop, locale: "en-US" });
    try {
      const { page, problems } = await signedIn(context);
      await page.goto(`${tend.url}/dashboard/customers/${complainer}`);
      expect(await page.locator("h1").textContent()).toBe("Li Wei 李伟");

      // Resolve the case: the follow-up goes out through the outbox and lands on the timeline.
      await page.getByLabel("Resolution (what was done; the customer is told)").fill("We rebooked your table for Friday");
      await page.getByRole("button", { name: "Resolve case" }).click();
      await page.waitForURL(/done=1/);
      expect(await page.locator(".notice").textContent()).toBe("Done.");
      expect(await page.locator("#h-cases + h3 + p").textContent()).toBe("No open cases.");
      await timelineShows(page, "We rebooked your table for Friday");
      expect(await page.locator("#cases").textContent()).toContain("closed by mei");

      // Take over and reply: the reply is delivered to the web chat and shown sent, by Mei.
      await page.getByRole("button", { name: "Take over", exact: true }).click();
      await page.waitForURL(/done=took/);
      expect(await page.locator(".notice").textContent()).toBe("You have the conversation.");
      await page.getByLabel("Reply to the customer").fill("Hi, this is Mei: your table is confirmed.");
      await page.getByRole("button", { name: "Send reply" }).click();
      await page.waitForURL(/done=replied/);
      await timelineShows(page, "Hi, this is Mei: your table is confirmed.");
      const replyRow = page.locator("#timeline tr", { hasText: "your table is confirmed" });
      expect(await replyRow.textContent()).toContain("mei");
      expect(await replyRow.textContent()).toContain("sent");
      await page.getByRole("button", { name: "Hand back to the bot" }).click();
      await page.waitForURL(/done=released/);

      // Adjust points: the ledger shows the entry and the balance.
      await page.getByLabel("Points (negative to take away)").fill("120");
      await page.getByLabel("Reason (kept in the ledger and the audit)").fill("Sorry for the double booking");
      await page.getByRole("button", { name: "Book points" }).click();
      await page.waitForURL(/booked=120/);
      expect(await page.locator(".notice").textContent()).toBe("+120 points booked; balance 120.");
      expect(await page.locator("#ledger").textContent()).toContain("Sorry for the double booking");
      expect(await page.locator("#ledger").textContent()).toContain("+120");
      await page.screenshot({ path: path.join(screenshots, "dashboard-customer-desktop-en.png"), fullPage: true });

      // A one-off care message to a customer in their quiet hours: queued, deferred, with the reason.
      await page.goto(`${tend.url}/dashboard/customers/${sleeper}`);
      expect(await page.locator("#verdict-care").textContent()).toContain("deferred until");
      await page.getByLabel("Message to the customer").fill("Your loyalty card is ready to collect.");
      await page.getByLabel("A care message (consent, quiet hours, the weekly cap and a pause apply)").check();
      await page.getByRole("button", { name: "Send", exact: true }).click();
      await page.waitForURL(/sent=deferred/);
      const notice = await page.locator(".notice").textContent();
      expect(notice).toMatch(/^Message queued, deferred until \d{4}-\d\d-\d\d \d\d:\d\d UTC: Quiet hours in the customer's time zone\.$/);
      expect(await page.locator("#waiting").textContent()).toContain("Your loyalty card is ready to collect.");
      // The dispatcher asks the policy again and holds it back too, saying why.
      await expect
        .poll(
          async () => {
            await page.reload();
            return page.locator("#waiting").textContent();
          },
          { timeout: 20_000, interval: 500 },
        )
        .toContain("held back: Quiet hours in the customer's time zone.");
      expect(await tend.db.prisma.outboxMessage.count({ where: { customerId: sleeper, status: "sent" } })).toBe(0);

      const actions = (await tend.services.staff.auditLog({ actorId: "apikey:mei", limit: 100 })).map((e) => e.action);
      expect(actions).toEqual(expect.arrayContaining(["case.close", "customer.take_over", "message.send", "customer.release", "loyalty.adjust"]));
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);

  it("shows the customer page in Chinese and English at phone and desktop width without sideways scrolling", async () => {
    for (const [viewport, name] of [
      [phone, "phone"],
      [desktop, "desktop"],
    ] as const) {
      const context = await browser.newContext({ viewport, locale: "zh-CN" });
      try {
        const { page, problems } = await signedIn(context);
        await page.goto(`${tend.url}/dashboard/customers/${complainer}`);
        expect(await page.getAttribute("html", "lang")).toBe("zh-CN");
        expect(await page.locator("#h-card").textContent()).toBe("客户卡片");
        expect(await page.locator("#h-ledger").textContent()).toBe("积分明细");
        expect(await page.locator("#card").textContent()).toContain("关怀消息");
        expect(await noSideways(page)).toBe(true);
        await page.screenshot({ path: path.join(screenshots, `dashboard-customer-${name}-zh.png`), fullPage: true });
        // Keyboard: every action's field is reachable by its label.
        await page.getByLabel("积分（负数为扣减）").focus();
        await page.keyboard.type("5");
        await page.getByRole("link", { name: "Switch to English" }).click();
        expect(await page.locator("#h-card").textContent()).toBe("Customer card");
        expect(await noSideways(page)).toBe(true);
        if (name === "phone") await page.screenshot({ path: path.join(screenshots, "dashboard-customer-phone-en.png"), fullPage: true });
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    }
  }, 120_000);
});
