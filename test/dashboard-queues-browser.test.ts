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
 * The dashboard's work queues in a real browser (headless Chromium through playwright-core): each
 * queue page in English and Chinese at desktop and phone width (no sideways scroll, no console
 * errors), a campaign built, previewed and sent, a dead letter retried, a case claimed and resolved
 * from the board with the keyboard. PGlite only: the rules are tested on both databases in
 * dashboard-queues.test.ts.
 */
const skip = chromiumMissing;
const desktop = { width: 1280, height: 900 };
const phone = { width: 390, height: 844 };
// The README's two screenshots are refreshed on request (TEND_UPDATE_SCREENSHOTS=1); a plain run leaves the tree
// untouched. The others (every queue page on a phone) always go to a temporary folder.
const scratchShots = fs.mkdtempSync(path.join(os.tmpdir(), "tend-queue-screens-"));
const screenshots = process.env.TEND_UPDATE_SCREENSHOTS === "1" ? path.resolve("docs/screenshots") : scratchShots;

interface Domish {
  document: { documentElement: { scrollWidth: number; clientWidth: number }; activeElement: { id: string; tagName: string } | null };
}

const titles = {
  en: { cases: "Feedback cases", outreach: "Outreach queue", calendar: "Care-plan calendar", campaigns: "Campaigns", builder: "New campaign" },
  "zh-CN": { cases: "反馈工单", outreach: "外呼队列", calendar: "关怀计划日历", campaigns: "营销活动", builder: "新建营销活动" },
};

describe.skipIf(Boolean(skip))(`dashboard work queues in a browser${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let tend: RunningTend;
  let browser: Browser;
  let auth: DashboardAuth;
  let dir: string;
  let caseId: string;
  let deadId: string;
  const tag = "winter-tea";

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tend-queues-browser-"));
    const plans = path.join(dir, "care-plans.json");
    fs.writeFileSync(plans, JSON.stringify({ plans: { campaigns: { enabled: true, control: 0 } } }));
    const config = loadConfig({
      TEND_DATA_DIR: path.join(dir, "data"),
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      CARE_PLANS_FILE: plans,
      // This suite runs on the wall clock: quiet hours would make the verdicts depend on the hour.
      OUTREACH_DEFAULT_QUIET_HOURS: "off",
    });
    tend = await startTend({ config });
    const prisma = tend.db.prisma;
    await tend.services.staff.createApiKey("mei", "staff");
    auth = new DashboardAuth({ prisma, staff: tend.services.staff });

    // Three tagged customers on the web chat (two agreed to marketing), a case, a dead letter, a festival greeting in three days.
    const people = [];
    for (const [name, marketingConsent] of [["Wang Fang 王芳", true], ["Li Lei 李雷", true], ["Zhao Min 赵敏", false]] as const) {
      const customer = await prisma.customer.create({ data: { displayName: name, marketingConsent, tags: [tag] } });
      await prisma.channelIdentity.create({ data: { customerId: customer.id, platform: "web", platformUserId: `queues-${customer.id}`, address: `web:queues-${customer.id}` } });
      people.push(customer);
    }
    caseId = (await tend.services.feedback.open(people[0]!.id, "complaint", "The teapot lid arrived cracked")).id;
    deadId = (
      await prisma.outboxMessage.create({
        data: { customerId: people[1]!.id, kind: "birthday", topic: "care", payload: { text: "Happy birthday" }, dedupeKey: "browser-dead-1", status: "dead", attempts: 6, lastError: "web: connection reset", notBefore: new Date(Date.now() - 3_600_000) },
      })
    ).id;
    const inThreeDays = new Date(Date.now() + 3 * 86_400_000);
    await prisma.outboxMessage.createMany({
      data: people.map((p, i) => ({ customerId: p.id, kind: "festival", topic: "care", payload: { text: "Happy Lantern Festival" }, dedupeKey: `browser-festival-${i}`, notBefore: inThreeDays })),
    });
    await prisma.customer.update({ where: { id: people[2]!.id }, data: { careConsent: false } });

    browser = await launchChromium();
    fs.mkdirSync(screenshots, { recursive: true });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await tend?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function signedIn(context: BrowserContext): Promise<{ page: Page; problems: string[] }> {
    const page = await context.newPage();
    const problems = watchProblems(page);
    await page.goto(`${tend.url}/dashboard/cases`);
    expect(new URL(page.url()).pathname).toBe("/dashboard/signin");
    await signInWithLink(page, tend.url, auth);
    return { page, problems };
  }


  /**
   * Text whose contrast with its background is under WCAG AA's 4.5:1 (computed colours, the first
   * opaque background up the tree). A string for the page: the test's TypeScript has no DOM types.
   */
  const lowContrast = (page: Page) =>
    page.evaluate(`(() => {
      const parse = (c) => { const m = c.match(/[\\d.]+/g).map(Number); return { r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1 }; };
      const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
      const lum = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
      const background = (el) => { for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor); if (c.a > 0.5) return c; } return { r: 255, g: 255, b: 255, a: 1 }; };
      const bad = [];
      for (const el of document.querySelectorAll("main p, main td, main th, main label, main legend, main a, main button, main h1, main h2, main dt, main dd, main li, main span, header a, header span, header button")) {
        if (!el.textContent.trim() || el.getClientRects().length === 0) continue;
        const a = lum(parse(getComputedStyle(el).color));
        const b = lum(background(el));
        const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        if (ratio < 4.5) bad.push(el.tagName + " " + JSON.stringify(el.textContent.trim().slice(0, 30)) + " " + ratio.toFixed(2));
      }
      return bad;
    })()`) as Promise<string[]>;

  /** Each queue page: its title, its language, no sideways scroll; a screenshot of each with `shots`. */
  async function visitAll(page: Page, lang: "en" | "zh-CN", shots?: string): Promise<void> {
    const pages = [
      ["cases", "/dashboard/cases"],
      ["outreach", "/dashboard/outreach"],
      ["calendar", "/dashboard/calendar"],
      ["campaigns", "/dashboard/campaigns"],
      ["builder", "/dashboard/campaigns/new"],
    ] as const;
    for (const [key, url] of pages) {
      await page.goto(`${tend.url}${url}`);
      expect(await page.getAttribute("html", "lang"), url).toBe(lang);
      expect(await page.locator("h1").textContent(), url).toBe(titles[lang][key]);
      expect(await page.locator("nav a[aria-current=page]").count(), url).toBe(1);
      expect(await noSideways(page), `${url} scrolls sideways`).toBe(true);
      expect(await lowContrast(page), `${url}: text under 4.5:1`).toEqual([]);
      if (shots) await page.screenshot({ path: path.join(scratchShots, `queues-${key}-${shots}.png`), fullPage: true });
    }
  }

  it("desktop, English then Chinese: builds, previews and sends a campaign; retries a dead letter; claims and resolves a case with the keyboard", async () => {
    const context = await browser.newContext({ viewport: desktop, locale: "en-US" });
    try {
      const { page, problems } = await signedIn(context);

      // The campaign: segment by tag and channel, a message per locale; the preview names who and counts the skips.
      await page.goto(`${tend.url}/dashboard/campaigns`);
      await page.getByRole("link", { name: "New campaign" }).click();
      await page.getByLabel("Campaign name (staff only)").fill("Winter tea");
      await page.getByLabel("Tags: any of (comma-separated)").fill(tag);
      await page.getByLabel("web").check();
      await page.getByLabel("Message in English").fill("Hi {name}, the winter tea is in.");
      await page.getByLabel("Message in Chinese").fill("{name}，冬茶到了。");
      await page.getByRole("button", { name: "Save draft and preview" }).click();
      await page.waitForURL(/\/dashboard\/campaigns\/[0-9a-f-]{36}$/);
      expect(await page.locator("#preview-total").textContent()).toBe("3 customers in the segment");
      const recipients = await page.locator("#preview-recipients").textContent();
      for (const name of ["Wang Fang 王芳", "Li Lei 李雷", "Zhao Min 赵敏"]) expect(recipients).toContain(name);
      expect(await page.locator("#preview-reasons").textContent()).toContain("The customer has not agreed to marketing messages.");
      expect(await noSideways(page)).toBe(true);
      await page.screenshot({ path: path.join(screenshots, "queues-campaign-preview-desktop-en.png"), fullPage: true });
      await page.getByRole("button", { name: "Send now" }).click();
      await page.waitForURL(/ok=sent/);
      expect(await page.locator("#flash").textContent()).toBe("Campaign sent: messages queued: 3");
      expect(await page.locator("#campaign-status").textContent()).toBe("Sent");

      // The dead letter: listed with its reason, retried, back in the queue.
      await page.goto(`${tend.url}/dashboard/outreach`);
      expect(await page.locator("#dead-letters").textContent()).toContain("web: connection reset");
      await page.getByRole("button", { name: "Retry Birthday · Li Lei 李雷" }).click();
      await page.waitForURL(/ok=requeued/);
      expect(await page.locator("#flash").textContent()).toBe("Dead letters requeued, due now: 1");
      expect((await tend.db.prisma.outboxMessage.findUniqueOrThrow({ where: { id: deadId } })).status).not.toBe("dead");
      expect(await page.getByText("No dead letters.").count()).toBe(1);

      // The calendar: the festival greeting in three days, to three customers, one skipped and why.
      await page.goto(`${tend.url}/dashboard/calendar`);
      const calendar = await page.locator("#calendar").textContent();
      expect(calendar).toContain("Festival");
      expect(calendar).toContain("The customer has not agreed to care messages.");

      // The case: claim, then resolve with the keyboard only.
      await page.goto(`${tend.url}/dashboard/cases`);
      expect(await page.locator("#board-open").textContent()).toContain("Wang Fang 王芳");
      await page.screenshot({ path: path.join(screenshots, "queues-cases-desktop-en.png"), fullPage: true });
      await page.getByRole("button", { name: "Claim: The teapot lid arrived cracked" }).click();
      await page.waitForURL(/ok=claimed/);
      expect(await page.locator("#board-claimed").textContent()).toContain("The teapot lid arrived cracked");
      await page.locator(`#res-${caseId}`).focus();
      await page.keyboard.type("Sent a new lid by express");
      await page.keyboard.press("Tab");
      expect(await page.evaluate(() => (globalThis as unknown as Domish).document.activeElement?.tagName)).toBe("BUTTON");
      await page.keyboard.press("Enter");
      await page.waitForURL(/ok=resolved/);
      expect(await page.locator("#board-resolved").textContent()).toContain("Sent a new lid by express");
      const closed = await tend.db.prisma.feedbackCase.findUniqueOrThrow({ where: { id: caseId } });
      expect(closed).toMatchObject({ status: "closed", closedBy: "mei" });
      const [entry] = await tend.services.staff.auditLog({ action: "case.close", limit: 1 });
      expect(entry).toMatchObject({ actorName: "mei", via: "web", outcome: "ok", target: caseId });

      await visitAll(page, "en");
      await page.getByRole("link", { name: "切换到中文" }).click();
      await visitAll(page, "zh-CN");
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);

  it("phone width, Chinese from the browser, then English: every queue page fits 390 px", async () => {
    const context = await browser.newContext({ viewport: phone, locale: "zh-CN" });
    try {
      const { page, problems } = await signedIn(context);
      await visitAll(page, "zh-CN", "phone-zh");
      await page.getByRole("link", { name: "Switch to English" }).click();
      await visitAll(page, "en");
      // The sent campaign's page fits too.
      await page.goto(`${tend.url}/dashboard/campaigns`);
      await page.locator("#campaigns a", { hasText: "Winter tea" }).click();
      expect(await page.locator("#campaign-status").textContent()).toBe("Sent");
      expect(await noSideways(page)).toBe(true);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);
});
