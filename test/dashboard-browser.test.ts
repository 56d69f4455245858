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
 * The staff dashboard in a real browser (headless Chromium through playwright-core): sign in with a
 * one-time link, the three pages at desktop and phone width in English and Chinese, and a search
 * (the customer page's actions in a browser: dashboard-customer-browser.test.ts). PGlite only: the
 * session and route rules are tested on both databases in dashboard-sessions.test.ts.
 */
const skip = chromiumMissing;
const desktop = { width: 1280, height: 900 };
const phone = { width: 390, height: 844 };
// The README's screenshots are refreshed on request (TEND_UPDATE_SCREENSHOTS=1); a plain run leaves the tree untouched.
const screenshots = process.env.TEND_UPDATE_SCREENSHOTS === "1" ? path.resolve("docs/screenshots") : fs.mkdtempSync(path.join(os.tmpdir(), "tend-screens-"));
const visitorId = "dashboard-browser-visitor-1";

interface Domish {
  document: { documentElement: { scrollWidth: number; clientWidth: number }; activeElement: { textContent: string | null } | null };
}

describe.skipIf(Boolean(skip))(`staff dashboard in a browser${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let tend: RunningTend;
  let browser: Browser;
  let auth: DashboardAuth;
  let customerId: string;

  beforeAll(async () => {
    const config = loadConfig({
      TEND_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "tend-dashboard-browser-")),
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      // This suite runs on the wall clock: quiet hours would hold the case's follow-up back at night.
      OUTREACH_DEFAULT_QUIET_HOURS: "off",
    });
    tend = await startTend({ config });
    await tend.services.staff.createApiKey("mei", "staff");
    auth = new DashboardAuth({ prisma: tend.db.prisma, staff: tend.services.staff });

    // A web chat customer who asks for a person: that opens a feedback case.
    for (const text of ["hello", "agent"]) {
      const response = await fetch(`${tend.url}/webchat/api/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ visitorId, text }) });
      expect(response.status).toBe(200);
    }
    const customer = await tend.services.customers.findByIdentity("web", visitorId);
    customerId = customer!.id;
    await tend.db.prisma.customer.update({ where: { id: customerId }, data: { displayName: "Wang Fang 王芳", externalId: "shop-7788" } });
    expect(await tend.db.prisma.feedbackCase.count({ where: { customerId, status: "open" } })).toBe(1);
    await tend.db.prisma.customer.createMany({ data: Array.from({ length: 12 }, (_, i) => ({ displayName: `Customer ${i + 1}`, externalId: `gen-${i + 1}` })) });

    browser = await launchChromium();
    fs.mkdirSync(screenshots, { recursive: true });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await tend?.stop();
  });

  /** A signed-in page in a fresh browser context; script errors and console errors (a CSP violation, say) are collected. */
  async function signedIn(context: BrowserContext): Promise<{ page: Page; problems: string[] }> {
    const page = await context.newPage();
    const problems = watchProblems(page);
    // Anonymous: sent to the sign-in page.
    await page.goto(`${tend.url}/dashboard/customers`);
    expect(new URL(page.url()).pathname).toBe("/dashboard/signin");
    await signInWithLink(page, tend.url, auth);
    return { page, problems };
  }


  /** Opens the overview, the customers table and the customer page; each has its title, its language and no sideways scroll. */
  async function visitAll(page: Page, lang: "en" | "zh-CN", titles: { overview: string; customers: string }): Promise<void> {
    await page.goto(`${tend.url}/dashboard`);
    expect(await page.getAttribute("html", "lang")).toBe(lang);
    expect(await page.locator("h1").textContent()).toBe(titles.overview);
    expect(await noSideways(page)).toBe(true);
    await page.goto(`${tend.url}/dashboard/customers`);
    expect(await page.locator("h1").textContent()).toBe(titles.customers);
    expect(await page.locator("#customers tbody tr").count()).toBe(13);
    expect(await noSideways(page)).toBe(true);
    await page.goto(`${tend.url}/dashboard/customers/${customerId}`);
    expect(await page.locator("h1").textContent()).toBe("Wang Fang 王芳");
    expect(await page.locator("#card").textContent()).toContain(customerId);
    expect(await page.locator("#card").textContent()).toContain("shop-7788");
    expect(await noSideways(page)).toBe(true);
  }

  it("signs in, searches and opens a customer (desktop, English, then Chinese)", async () => {
    const context = await browser.newContext({ viewport: desktop, locale: "en-US" });
    try {
      const { page, problems } = await signedIn(context);
      expect(await page.locator("h1").textContent()).toBe("Overview");
      // Keyboard: the first Tab lands on the skip link.
      await page.keyboard.press("Tab");
      expect(await page.evaluate(() => (globalThis as unknown as Domish).document.activeElement?.textContent)).toBe("Skip to content");
      await page.screenshot({ path: path.join(screenshots, "dashboard-overview.png"), fullPage: true });

      // Search by name, then open the customer.
      await page.goto(`${tend.url}/dashboard/customers`);
      await page.getByLabel("Search customers").fill("wang");
      await page.getByLabel("Search customers").press("Enter");
      await page.waitForURL(/q=wang/);
      const result = page.locator("#results a", { hasText: "Wang Fang" });
      expect(await result.count()).toBe(1);
      await result.click();
      await page.waitForURL(`${tend.url}/dashboard/customers/${customerId}`);
      // Resolving the case and the follow-up on the timeline: test/dashboard-customer-browser.test.ts.

      await visitAll(page, "en", { overview: "Overview", customers: "Customers" });
      await page.getByRole("link", { name: "切换到中文" }).click();
      await visitAll(page, "zh-CN", { overview: "概览", customers: "客户" });
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 300_000);

  it("works at phone width in Chinese (from the browser's language) and English", async () => {
    const context = await browser.newContext({ viewport: phone, locale: "zh-CN" });
    try {
      const { page, problems } = await signedIn(context);
      await visitAll(page, "zh-CN", { overview: "概览", customers: "客户" });
      await page.screenshot({ path: path.join(screenshots, "dashboard-customer-phone-zh.png"), fullPage: true });
      await page.getByRole("link", { name: "Switch to English" }).click();
      await visitAll(page, "en", { overview: "Overview", customers: "Customers" });
      // Sign out: the pages are closed again.
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.waitForURL(/\/dashboard\/signin\?out=1/);
      await page.goto(`${tend.url}/dashboard`);
      expect(new URL(page.url()).pathname).toBe("/dashboard/signin");
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 300_000);
});
