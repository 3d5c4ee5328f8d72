import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchBrowser, newAgentPage, screenshot, signIn, visible } from "../harness/browser.js";
import { owner } from "../harness/accounts.js";
import { selectOptionMatching } from "../harness/inbox.js";

const crmUrl = inject("crmUrl");
let browser: Browser;
beforeAll(async () => { browser = await launchBrowser(); });
afterAll(async () => { await browser?.close(); });

/** Admin sections are tabs or links, whichever the app chose. */
function adminSection(page: Page, name: string) {
  return page.getByRole("tab", { name, exact: true }).or(page.getByRole("link", { name, exact: true }));
}

describe("Inviting an agent", () => {
  test("an admin invites an agent, who sets a password through the invitation link and signs in", async () => {
    const email = `newcomer-${Math.random().toString(36).slice(2, 8)}@demo.crm`;
    const password = "newcomer-password-1";

    const admin = await newAgentPage(browser);
    await signIn(admin.page, crmUrl, owner);
    await admin.page.getByRole("link", { name: "Admin", exact: true }).click();
    await (await visible(adminSection(admin.page, "Agents"))).click();
    for (const section of ["Teams", "Channels", "Labels", "Canned replies"]) await visible(adminSection(admin.page, section));
    await screenshot(admin.page, "admin-agents");

    await admin.page.getByRole("textbox", { name: "Email", exact: true }).fill(email);
    await selectOptionMatching(admin.page.getByRole("combobox", { name: "Role" }), /^agent$/i);
    await admin.page.getByRole("button", { name: "Invite", exact: true }).click();
    const linkBox = await visible(admin.page.getByRole("textbox", { name: "Invitation link" }));
    expect(await linkBox.isEditable()).toBe(false);
    const link = await linkBox.inputValue();
    expect(link).toMatch(/[?&]invitation=[^&]+/);
    await admin.context.close();

    const invitee = await newAgentPage(browser);
    // The link names the server it was made on; the test follows it to this run's Crm whatever host it names.
    const url = new URL(link);
    await invitee.page.goto(`${crmUrl}/${url.search}`);
    await invitee.page.getByRole("textbox", { name: "Your name" }).fill("Nina Newcomer");
    await invitee.page.getByLabel("Password").fill(password);
    await invitee.page.getByRole("button", { name: "Set password and sign in" }).click();
    await visible(invitee.page.getByRole("tablist", { name: "Views" }));
    await invitee.page.getByRole("button", { name: "Sign out" }).click();

    await signIn(invitee.page, crmUrl, { email, password });
    await visible(invitee.page.getByRole("tablist", { name: "Views" }));
    await invitee.context.close();
  });
});
