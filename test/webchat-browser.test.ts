import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type Browser, type BrowserContext, type Page, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningTend, startTend } from "../src/app.ts";
import { loadConfig } from "../src/config/env.ts";
import { tendDatabaseTargets } from "./support/databases.ts";

/**
 * The web chat page in a real browser, opened the way a phone on the LAN opens it: plain HTTP on
 * this machine's own non-loopback address, which browsers treat as an insecure context.
 */
const chromiumPath = "/usr/bin/chromium";
const lanAddress = Object.values(os.networkInterfaces())
  .flat()
  .find((a) => a && a.family === "IPv4" && !a.internal)?.address;
const skip = !fs.existsSync(chromiumPath)
  ? "chromium is not installed (apt-get install -y chromium)"
  : !lanAddress
    ? "this machine has no non-loopback IPv4 address"
    : "";
const apiKey = "test-api-key-0123456789";
const screenshots = path.join(os.tmpdir(), "tend-webchat-browser");
const phone = { width: 390, height: 844 };
/** The little of the browser's globals the tests read (the test code itself compiles without the DOM types). */
interface Browserish {
  localStorage: { getItem(key: string): string | null };
}

for (const target of tendDatabaseTargets("webchat-browser")) {
  const reason = skip || target.skip;
  describe.skipIf(Boolean(reason))(`web chat page in a browser [${target.name}]${reason ? ` (skipped: ${reason})` : ""}`, () => {
    let tend: RunningTend;
    let browser: Browser;
    let base: string;

    beforeAll(async () => {
      const config = loadConfig({
        ...(await target.env()),
        PORT: "0",
        HOST: "0.0.0.0",
        LOG_LEVEL: "silent",
        TEND_API_KEY: apiKey,
        WEBCHAT_BUSINESS_NAME: "Tea House",
        // This suite runs on the wall clock: the business-wide quiet hours would hold the survey back at night.
        OUTREACH_DEFAULT_QUIET_HOURS: "off",
      });
      tend = await startTend({ config });
      base = `http://${lanAddress}:${new URL(tend.url).port}`;
      browser = await chromium.launch({
        executablePath: chromiumPath,
        args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-proxy-server"],
      });
      fs.mkdirSync(screenshots, { recursive: true });
    });
    afterAll(async () => {
      await browser?.close();
      await tend?.stop();
    });

    /** A page that fails the test on any script error or console error. */
    async function open(context: BrowserContext): Promise<{ page: Page; problems: string[] }> {
      const page = await context.newPage();
      const problems: string[] = [];
      page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
      page.on("console", (message) => {
        if (message.type() === "error") problems.push(`console: ${message.text()}`);
      });
      await page.goto(`${base}/chat`);
      return { page, problems };
    }
    const bubbles = (page: Page, who: "me" | "bot") => page.locator(`#log .msg.${who}`);
    const api = (method: string, url: string, body?: unknown) =>
      fetch(`${tend.url}/api${url}`, {
        method,
        headers: { authorization: `Bearer ${apiKey}`, ...(body ? { "content-type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });

    it("works on a LAN address at phone width, keeps the conversation across reloads and shows what arrived meanwhile", async () => {
      const context = await browser.newContext({ viewport: phone, locale: "en-US" });
      try {
        const first = await open(context);
        const page = first.page;
        expect(await page.evaluate(() => (globalThis as unknown as { isSecureContext: boolean }).isSecureContext)).toBe(false);
        await expect.poll(() => bubbles(page, "bot").count(), { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
        await expect.poll(() => page.locator("header").textContent()).toBe("Chat with Tea House");
        expect(await bubbles(page, "bot").first().textContent()).toMatch(/^Hi! I can show your points/);

        // A button press: the answer arrives and the row is spent.
        await page.getByRole("button", { name: "My points" }).click();
        await expect.poll(() => bubbles(page, "bot").last().textContent(), { timeout: 20_000 }).toMatch(/You have 0 points/);
        expect(await page.getByRole("button", { name: "My points" }).isDisabled()).toBe(true);
        await page.fill("#text", "rewards");
        await page.press("#text", "Enter");
        await expect.poll(() => bubbles(page, "me").last().textContent(), { timeout: 20_000 }).toMatch(/^rewards/);
        await expect.poll(() => bubbles(page, "bot").count(), { timeout: 20_000 }).toBe(3);
        for (const time of await page.locator("#log .msg time").allTextContents()) expect(time).toMatch(/\d{1,2}:\d{2}/);
        await page.screenshot({ path: path.join(screenshots, `${target.name}-1-first-visit.png`) });
        const visitorId = await page.evaluate(() => (globalThis as unknown as Browserish).localStorage.getItem("tend.visitorId"));
        expect(first.problems).toEqual([]);
        await page.close();

        // While the tab is closed, staff invite the customer to a survey.
        const customer = await tend.services.customers.findByIdentity("web", visitorId!);
        expect((await api("POST", `/customers/${customer!.id}/surveys`, { kind: "csat" })).status).toBe(201);

        // Opened again: the conversation so far, the survey that arrived meanwhile, and no second greeting.
        const second = await open(context);
        const again = second.page;
        await expect.poll(() => bubbles(again, "bot").count(), { timeout: 20_000 }).toBe(4);
        expect(await bubbles(again, "me").allTextContents()).toEqual([expect.stringMatching(/^My points/), expect.stringMatching(/^rewards/)]);
        expect(await bubbles(again, "bot").last().textContent()).toMatch(/How satisfied/);
        expect(await again.getByRole("button", { name: "My points" }).isDisabled()).toBe(true);
        const survey = bubbles(again, "bot").last().locator("button");
        expect(await survey.count()).toBe(5);
        expect(await survey.first().isEnabled()).toBe(true);
        await again.screenshot({ path: path.join(screenshots, `${target.name}-2-reopened.png`) });
        await survey.nth(3).click();
        await expect.poll(() => bubbles(again, "bot").last().textContent(), { timeout: 20_000 }).toMatch(/main reason/);

        // Something Tend sends while the page is open is picked up by its poll.
        await tend.engine.notify(customer!.id, { text: "Your parcel is on its way." });
        await expect.poll(() => bubbles(again, "bot").last().textContent(), { timeout: 30_000 }).toMatch(/^Your parcel is on its way\./);

        // A reload keeps it all, and the answered survey stays answered.
        await again.reload();
        await expect.poll(() => bubbles(again, "bot").count(), { timeout: 20_000 }).toBe(6);
        const answered = bubbles(again, "bot").nth(3).locator("button");
        expect(await answered.evaluateAll((buttons) => buttons.map((b) => (b as unknown as { disabled: boolean }).disabled))).toEqual([true, true, true, true, true]);
        await again.screenshot({ path: path.join(screenshots, `${target.name}-3-reloaded.png`) });
        expect(second.problems).toEqual([]);
      } finally {
        await context.close();
      }
    });

    it("speaks Chinese to a browser set to zh-CN, the page's own words included", async () => {
      const context = await browser.newContext({ viewport: phone, locale: "zh-CN" });
      try {
        const { page, problems } = await open(context);
        await expect.poll(() => bubbles(page, "bot").count(), { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
        expect(await bubbles(page, "bot").first().textContent()).toMatch(/^您好！/);
        expect(await page.locator("header").textContent()).toBe("Tea House 在线客服");
        expect(await page.title()).toBe("Tea House 在线客服");
        expect(await page.locator("#send").textContent()).toBe("发送");
        expect(await page.getAttribute("#text", "placeholder")).toMatch(/输入消息/);
        expect(await page.getAttribute("html", "lang")).toBe("zh-CN");
        await page.screenshot({ path: path.join(screenshots, `${target.name}-4-zh.png`) });
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    });

    it("shows a script failure on the page instead of leaving it blank", async () => {
      const context = await browser.newContext({ viewport: phone, locale: "en-US" });
      try {
        const { page } = await open(context);
        await expect.poll(() => bubbles(page, "bot").count(), { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
        expect(await page.locator("#problem").isVisible()).toBe(false);
        await page.evaluate(() => {
          setTimeout(() => {
            throw new Error("simulated failure");
          });
        });
        await expect.poll(() => page.locator("#problem").isVisible()).toBe(true);
        expect(await page.locator("#problem").textContent()).toBe("The chat stopped working (Uncaught Error: simulated failure). Please reload the page.");
      } finally {
        await context.close();
      }
    });
  });
}
