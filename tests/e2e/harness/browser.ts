import { chromium, type Browser, type BrowserContext, type Locator, type Page } from "playwright-core";
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Debian's Chromium (`apt-get install chromium`); CRM_E2E_CHROMIUM points at another. */
export const chromiumPath = process.env.CRM_E2E_CHROMIUM ?? "/usr/bin/chromium";
export const screenshotsDirectory = resolve(dirname(fileURLToPath(import.meta.url)), "../screenshots");

/** How long a live change may take to reach a screen (a push, or the engine's 1 s sweep, on a busy 2-core machine). */
export const live = { timeout: 15_000 };

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
}

/** What a page did that a test may want to deny: dialogs (alert/confirm) and errors on the console. */
export interface AgentPage {
  context: BrowserContext;
  page: Page;
  dialogs: string[];
  consoleErrors: string[];
}

/** A fresh browser context (its own storage: one agent) with one page. */
export async function newAgentPage(browser: Browser, options: { viewport?: { width: number; height: number }; isMobile?: boolean } = {}): Promise<AgentPage> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 800 },
    isMobile: options.isMobile,
    hasTouch: options.isMobile,
    deviceScaleFactor: options.isMobile ? 2 : 1,
  });
  // An action on an element that never comes fails in 15 s, not Playwright's 30: a broken screen fails the run sooner.
  context.setDefaultTimeout(live.timeout);
  const page = await context.newPage();
  const dialogs: string[] = [];
  const consoleErrors: string[] = [];
  page.on("dialog", (dialog) => { dialogs.push(`${dialog.type()}: ${dialog.message()}`); void dialog.dismiss(); });
  page.on("console", (message) => { if (message.type() === "error") consoleErrors.push(message.text()); });
  page.on("pageerror", (error) => consoleErrors.push(String(error)));
  return { context, page, dialogs, consoleErrors };
}

export async function signIn(page: Page, crmUrl: string, account: { email: string; password: string }): Promise<void> {
  await page.goto(crmUrl + "/");
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor(live);
}

/** Waits until the locator is visible (the first match, if several). */
export async function visible(locator: Locator, timeout = live.timeout): Promise<Locator> {
  await locator.first().waitFor({ state: "visible", timeout });
  return locator.first();
}

/** Waits until nothing matches the locator (or nothing that matches is visible). */
export async function gone(locator: Locator, timeout = live.timeout): Promise<void> {
  const deadline = Date.now() + timeout;
  while ((await locator.count()) > 0 && (await locator.first().isVisible())) {
    if (Date.now() > deadline) throw new Error(`still visible after ${timeout} ms: ${locator}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Saved for a reviewer (tests/e2e/screenshots, not committed). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotsDirectory, { recursive: true });
  await page.screenshot({ path: join(screenshotsDirectory, `${name}.png`), fullPage: false });
}
