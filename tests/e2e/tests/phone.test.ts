import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import type { Browser } from "playwright-core";
import { launchBrowser, newAgentPage, screenshot, signIn, visible } from "../harness/browser.js";
import { ann } from "../harness/accounts.js";
import { conversationLink, conversationList, messages, showView, uniqueName } from "../harness/inbox.js";
import { newCustomerNumber, sendCustomerMessage } from "../harness/twilio.js";

const crmUrl = inject("crmUrl");
let browser: Browser;
beforeAll(async () => { browser = await launchBrowser(); });
afterAll(async () => { await browser?.close(); });

describe("On a phone", () => {
  test("at 390 px the list and the thread are separate views, with Back from the thread to the list", async () => {
    const name = uniqueName("Pia Phone");
    await sendCustomerMessage(crmUrl, { from: newCustomerNumber(), body: "Writing from my phone", profileName: name });
    const agent = await newAgentPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true });
    const { page } = agent;
    await signIn(page, crmUrl, ann);
    await showView(page, "All");
    await visible(conversationLink(page, name));
    await screenshot(page, "phone-list");
    // Nothing wider than the screen: no sideways scrolling.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

    await conversationLink(page, name).click();
    await visible(messages(page).getByText("Writing from my phone"));
    expect(await conversationList(page).isVisible()).toBe(false);
    await screenshot(page, "phone-thread");

    await page.getByRole("button", { name: "Back", exact: true }).click();
    await visible(conversationLink(page, name));
    expect(await messages(page).isVisible()).toBe(false);
    await agent.context.close();
  });
});
