import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import type { Browser } from "playwright-core";
import { violations } from "../harness/axe.js";
import { launchBrowser, newAgentPage, signIn, visible } from "../harness/browser.js";
import { ann, owner } from "../harness/accounts.js";
import { conversationLink, messages, showView, uniqueName } from "../harness/inbox.js";
import { newCustomerNumber, sendCustomerMessage } from "../harness/twilio.js";
import { signInApi } from "../harness/api.js";
import { customerNamed, openCustomers, setCondition } from "../harness/customers.js";

const crmUrl = inject("crmUrl");
let browser: Browser;
beforeAll(async () => { browser = await launchBrowser(); });
afterAll(async () => { await browser?.close(); });

describe("Accessibility", () => {
  test("the sign-in screen, the inbox with a conversation open and the admin screens break no WCAG 2.1 AA rule axe checks", async () => {
    const name = uniqueName("Ada Access");
    await sendCustomerMessage(crmUrl, { from: newCustomerNumber(), body: "Can everyone read this?", profileName: name });
    const { page, context } = await newAgentPage(browser);
    await page.goto(crmUrl + "/");
    await visible(page.getByRole("button", { name: "Sign in" }));
    const signInScreen = await violations(page);

    await signIn(page, crmUrl, ann);
    await showView(page, "All");
    await conversationLink(page, name).click();
    await visible(messages(page).getByText("Can everyone read this?"));
    const inbox = await violations(page);
    await context.close();

    const admin = await newAgentPage(browser);
    await signIn(admin.page, crmUrl, owner);
    await admin.page.getByRole("link", { name: "Admin" }).click();
    await visible(admin.page.getByRole("button", { name: "Invite" }));
    const agents = await violations(admin.page);
    await admin.page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Channels", exact: true }).click();
    const demo = await visible(admin.page.getByRole("article", { name: "Demo WhatsApp (FakeTwilio)" }));
    await demo.getByRole("button", { name: /^Templates/ }).click();
    await visible(demo.getByRole("form", { name: "Add a template" }));
    const channels = await violations(admin.page);
    await admin.context.close();

    expect({ signInScreen, inbox, agents, channels }).toEqual({ signInScreen: [], inbox: [], agents: [], channels: [] });
  });

  test("the customer screens (list and filter builder, profile, merge, segment editor, import) break no WCAG 2.1 AA rule axe checks", async () => {
    const name = uniqueName("Cora Access");
    await sendCustomerMessage(crmUrl, { from: newCustomerNumber(), body: "Profiles for everyone", profileName: name });
    const customer = await customerNamed(crmUrl, await signInApi(crmUrl, ann.email, ann.password), name);
    const { page, context } = await newAgentPage(browser);
    await signIn(page, crmUrl, ann);
    await openCustomers(page);
    await page.getByText("Filter", { exact: true }).click();
    await page.getByRole("button", { name: "Add condition", exact: true }).click();
    await setCondition(page, "1", "Last message from the customer", "more than N days ago", "0");
    await visible(page.getByText("Type a whole number of days, 1 to 36500."));
    const list = await violations(page);

    await page.goto(`${crmUrl}/#/customers/${customer.id}`);
    await visible(page.getByRole("heading", { name, level: 1 }));
    await visible(page.getByRole("heading", { name: "History" }));
    const profile = await violations(page);

    await page.getByRole("link", { name: "Merge with another customer…" }).click();
    await visible(page.getByRole("searchbox", { name: "Find a customer" }));
    const merge = await violations(page);

    await page.goto(`${crmUrl}/#/segments/new`);
    await visible(page.getByRole("heading", { name: "New segment", level: 1 }));
    const segment = await violations(page);

    await page.goto(`${crmUrl}/#/imports`);
    await visible(page.getByRole("form", { name: "Upload a CSV file" }));
    const upload = await violations(page);
    await context.close();

    expect({ list, profile, merge, segment, upload }).toEqual({ list: [], profile: [], merge: [], segment: [], upload: [] });
  });
});
