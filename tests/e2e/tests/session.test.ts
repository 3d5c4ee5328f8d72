import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import type { Browser } from "playwright-core";
import { launchBrowser, newAgentPage, signIn, visible } from "../harness/browser.js";
import { ann } from "../harness/accounts.js";
import { startCrm, type CrmProcess } from "../harness/crm.js";

const fakeTwilioUrl = inject("fakeTwilioUrl");
// Tokens of this file's own Crm last seconds, not the run's 12 hours.
const tokenLifetimeSeconds = 8;
let crm: CrmProcess;
let browser: Browser;

beforeAll(async () => {
  [crm, browser] = await Promise.all([
    startCrm(fakeTwilioUrl, [], { env: { Crm__Auth__TokenLifetime: `00:00:${String(tokenLifetimeSeconds).padStart(2, "0")}` }, logName: "crm-session" }),
    launchBrowser(),
  ]);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await crm?.stop();
});

describe("A session that expires", () => {
  test("returns the agent to sign-in with a word when the token's lifetime is over, and a reload does not bring it back", async () => {
    const { page, context } = await newAgentPage(browser);
    const signedInAt = Date.now();
    await signIn(page, crm.url, ann);
    await visible(page.getByRole("tablist", { name: "Views" }));

    await visible(page.getByRole("button", { name: "Sign in" }), (tokenLifetimeSeconds + 10) * 1000);
    expect(Date.now() - signedInAt).toBeGreaterThanOrEqual((tokenLifetimeSeconds - 1) * 1000);
    await visible(page.getByRole("status").filter({ hasText: /session expired.*sign in again/i }));
    expect(await page.getByRole("button", { name: "Sign out" }).count()).toBe(0);

    await page.reload();
    await visible(page.getByRole("button", { name: "Sign in" }));
    expect(await page.getByRole("button", { name: "Sign out" }).count()).toBe(0);
    await context.close();
  });
});
