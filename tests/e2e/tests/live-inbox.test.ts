import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import type { Browser } from "playwright-core";
import { gone, launchBrowser, newAgentPage, screenshot, signIn, visible, type AgentPage } from "../harness/browser.js";
import { ann } from "../harness/accounts.js";
import { chooseAvailability, conversationLink, entry, nobodyOnline, openConversation, selectedOption, showView, uniqueName } from "../harness/inbox.js";
import { newCustomerNumber, sendCustomerMessage } from "../harness/twilio.js";

const crmUrl = inject("crmUrl");
let browser: Browser;
let agent: AgentPage;

beforeAll(async () => {
  await nobodyOnline(crmUrl);
  browser = await launchBrowser();
  agent = await newAgentPage(browser);
  await signIn(agent.page, crmUrl, ann);
});
afterAll(async () => { await browser?.close(); });

describe("The inbox live", () => {
  test("a customer's message appears in the Unassigned view without a reload while nobody is online, and the queue drains to the agent who goes online", async () => {
    const { page } = agent;
    expect(await selectedOption(page.getByRole("combobox", { name: "Availability" }))).toBe("Away");
    await showView(page, "Unassigned");
    const name = uniqueName("Quinn Queue");
    await sendCustomerMessage(crmUrl, { from: newCustomerNumber(), body: "Is anyone there?", profileName: name });
    await visible(conversationLink(page, name));
    await screenshot(page, "inbox-unassigned");

    await chooseAvailability(page, "Online");
    await gone(conversationLink(page, name));
    await showView(page, "Mine");
    await openConversation(page, name);
    await visible(entry(page, "Is anyone there?"));
    await visible(entry(page, /Assigned to Ann/i));
  });

  test("a signed webhook is auto-assigned to the online agent and slides into Mine live", async () => {
    const { page } = agent;
    await showView(page, "Mine");
    const name = uniqueName("Olga Online");
    await sendCustomerMessage(crmUrl, { from: newCustomerNumber(), body: "Do you ship to Lisbon?", profileName: name });
    await visible(conversationLink(page, name));
    await openConversation(page, name);
    await visible(entry(page, "Do you ship to Lisbon?"));
    await visible(entry(page, /Assigned to Ann/i));
    expect(await selectedOption(page.getByRole("combobox", { name: "Assignee" }))).toMatch(/Ann/);
    await screenshot(page, "inbox");
    expect(agent.consoleErrors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
  });
});
