import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import type { Browser, Locator } from "playwright-core";
import { gone, launchBrowser, live, newAgentPage, signIn, visible, type AgentPage } from "../harness/browser.js";
import { ann } from "../harness/accounts.js";
import { eventually } from "../harness/eventually.js";
import {
  conversationLink, conversationList, entry, messages, nobodyOnline, openConversation, selectedOption, showView, thread, uniqueName, viewTab,
} from "../harness/inbox.js";
import { newCustomerNumber, sendCustomerMessage } from "../harness/twilio.js";

const crmUrl = inject("crmUrl");
let browser: Browser;
let agent: AgentPage;
const first = uniqueName("Kim Keys");
const second = uniqueName("Kai Keys");

async function focused(locator: Locator): Promise<boolean> {
  return locator.evaluate((element) => element === document.activeElement);
}

// Nobody online: the conversations wait unassigned, so `t` has something to take.
beforeAll(async () => {
  await nobodyOnline(crmUrl);
  await sendCustomerMessage(crmUrl, { from: newCustomerNumber(), body: "First, by keyboard", profileName: first });
  await sendCustomerMessage(crmUrl, { from: newCustomerNumber(), body: "Second, by keyboard", profileName: second });
  browser = await launchBrowser();
  agent = await newAgentPage(browser);
  await signIn(agent.page, crmUrl, ann);
  await showView(agent.page, "All");
  await visible(conversationLink(agent.page, first));
  await visible(conversationLink(agent.page, second));
});
afterAll(async () => { await browser?.close(); });

describe("Keyboard shortcuts", () => {
  test("arrows move between the views; j and k move through the list; Escape returns to it", async () => {
    const { page } = agent;
    await viewTab(page, "All").focus();
    await page.keyboard.press("ArrowLeft");
    await eventually(async () => (await viewTab(page, "Unassigned").getAttribute("aria-selected")) === "true", live.timeout, "Unassigned being selected");
    expect(await focused(viewTab(page, "Unassigned"))).toBe(true);
    await page.keyboard.press("ArrowRight");
    await eventually(async () => (await viewTab(page, "All").getAttribute("aria-selected")) === "true", live.timeout, "All being selected");
    await visible(conversationLink(page, second));

    const links = conversationList(page).getByRole("link");
    const hrefs = await links.evaluateAll((all) => all.map((a) => a.getAttribute("href")));
    expect(hrefs.length).toBeGreaterThanOrEqual(2);
    const at = async () => new URL(page.url()).hash;
    await page.keyboard.press("j");
    await eventually(async () => (await at()) === hrefs[0], live.timeout, "j opening the first conversation");
    await visible(messages(page));
    await page.keyboard.press("j");
    await eventually(async () => (await at()) === hrefs[1], live.timeout, "j opening the next one");
    await page.keyboard.press("k");
    await eventually(async () => (await at()) === hrefs[0], live.timeout, "k going back");

    await page.keyboard.press("Escape");
    await eventually(async () => (await at()) === "#/", live.timeout, "Escape returning to the list");
    await gone(messages(page));
    await visible(thread(page).getByText(/Pick a conversation/));
  });

  test("in a conversation: t takes it, n and r choose note or reply and put the cursor in the message, e resolves and reopens", async () => {
    const { page } = agent;
    await openConversation(page, first);
    const assignee = thread(page).getByRole("combobox", { name: "Assignee" });
    await visible(thread(page).getByRole("button", { name: "Take", exact: true }));
    await page.keyboard.press("t");
    await eventually(async () => /^Ann/.test(await selectedOption(assignee)), live.timeout, "t giving the conversation to Ann");
    await gone(thread(page).getByRole("button", { name: "Take", exact: true }));

    const mode = thread(page).getByRole("radiogroup", { name: "Compose" });
    const message = thread(page).getByRole("textbox", { name: "Message", exact: true });
    await page.keyboard.press("n");
    await eventually(async () => mode.getByRole("radio", { name: "Private note", exact: true }).isChecked(), live.timeout, "n choosing a private note");
    expect(await focused(message)).toBe(true);
    // Typed into the message, the letters are text, not shortcuts.
    await page.keyboard.type("e");
    expect(await message.inputValue()).toBe("e");
    await visible(thread(page).getByRole("button", { name: "Resolve", exact: true }));
    await message.fill("");

    await messages(page).focus();
    await page.keyboard.press("r");
    await eventually(async () => mode.getByRole("radio", { name: "Reply", exact: true }).isChecked(), live.timeout, "r choosing a reply");
    expect(await focused(message)).toBe(true);

    await messages(page).focus();
    await page.keyboard.press("e");
    await visible(thread(page).getByRole("button", { name: "Reopen", exact: true }));
    await visible(entry(page, "Ann resolved the conversation"));
    await page.keyboard.press("e");
    await visible(thread(page).getByRole("button", { name: "Resolve", exact: true }));
    await visible(entry(page, "Ann reopened the conversation"));
  });
});
