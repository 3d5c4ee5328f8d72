import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import type { Browser } from "playwright-core";
import { launchBrowser, newAgentPage, screenshot, signIn, visible } from "../harness/browser.js";
import { ann, owner } from "../harness/accounts.js";

const crmUrl = inject("crmUrl");
let browser: Browser;
beforeAll(async () => { browser = await launchBrowser(); });
afterAll(async () => { await browser?.close(); });

describe("Signing in", () => {
  test("the app is served with a content security policy that lets no inline script run", async () => {
    const { page, context } = await newAgentPage(browser);
    const response = await page.goto(crmUrl + "/");
    const headers = response!.headers();
    const policy = headers["content-security-policy"] ?? "";
    const scriptSources = /(?:^|;)\s*script-src ([^;]*)/.exec(policy)?.[1] ?? /(?:^|;)\s*default-src ([^;]*)/.exec(policy)?.[1] ?? "";
    expect(scriptSources).toContain("'self'");
    expect(scriptSources).not.toContain("'unsafe-inline'");
    expect(scriptSources).not.toContain("'unsafe-eval'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(headers["x-content-type-options"]).toBe("nosniff");
    await visible(page.getByRole("button", { name: "Sign in" }));
    await screenshot(page, "sign-in");
    await context.close();
  });

  test("a wrong password is refused in words", async () => {
    const { page, context } = await newAgentPage(browser);
    await page.goto(crmUrl + "/");
    await page.getByLabel("Email").fill(ann.email);
    await page.getByLabel("Password").fill("not-the-password-1");
    await page.getByRole("button", { name: "Sign in" }).click();
    const alert = await visible(page.getByRole("alert").filter({ hasText: /\S/ }));
    expect((await alert.textContent())?.trim().length).toBeGreaterThan(0);
    expect(await page.getByRole("button", { name: "Sign out" }).isVisible()).toBe(false);
    await context.close();
  });

  test("an agent signs in to the inbox and out again; only owners and admins see Admin", async () => {
    const agent = await newAgentPage(browser);
    await signIn(agent.page, crmUrl, ann);
    await visible(agent.page.getByRole("combobox", { name: "Availability" }));
    await visible(agent.page.getByRole("tablist", { name: "Views" }));
    await visible(agent.page.getByRole("link", { name: "Inbox" }));
    expect(await agent.page.getByRole("link", { name: "Admin" }).count()).toBe(0);
    await agent.page.getByRole("button", { name: "Sign out" }).click();
    await visible(agent.page.getByRole("button", { name: "Sign in" }));
    // Signed out means signed out: a reload does not bring the session back.
    await agent.page.reload();
    await visible(agent.page.getByRole("button", { name: "Sign in" }));
    await agent.context.close();

    const admin = await newAgentPage(browser);
    await signIn(admin.page, crmUrl, owner);
    await visible(admin.page.getByRole("link", { name: "Admin" }));
    await admin.context.close();
  });
});
