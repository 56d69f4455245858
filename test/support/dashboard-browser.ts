import fs from "node:fs";
import { type Browser, type Page, chromium } from "playwright-core";
import type { DashboardAuth } from "../../src/dashboard/dashboard-auth.ts";
import { cliActor } from "../../src/staff/actor.ts";

/** Debian's Chromium (STACK.md): the dashboard's browser tests never download a browser. */
export const chromiumPath = "/usr/bin/chromium";

/** Why the browser tests are skipped, or "" when Chromium is here. */
export const chromiumMissing = fs.existsSync(chromiumPath) ? "" : "chromium is not installed (apt-get install -y chromium)";

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-proxy-server"],
  });
}

/** Collects the page's script errors and console errors (a CSP violation, say) as they happen. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  return problems;
}

/** Signs the page in as a staff member through a one-time link and its Sign in button; ends on the overview. */
export async function signInWithLink(page: Page, tendUrl: string, auth: DashboardAuth, name = "mei"): Promise<void> {
  const link = await auth.createLoginLink(name, cliActor("test"));
  await page.goto(`${tendUrl}/dashboard/login?token=${link.token}`);
  await page.locator("#sign-in").click();
  await page.waitForURL(`${tendUrl}/dashboard`);
}

interface Domish {
  document: { documentElement: { scrollWidth: number; clientWidth: number } };
}

/** True when the page needs no sideways scrolling at its viewport's width. */
export function noSideways(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const d = (globalThis as unknown as Domish).document.documentElement;
    return d.scrollWidth <= d.clientWidth;
  });
}
