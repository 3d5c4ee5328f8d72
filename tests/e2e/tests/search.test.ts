import { afterAll, beforeAll, describe, inject, test } from "vitest";
import type { Browser } from "playwright-core";
import { launchBrowser, live, newAgentPage, screenshot, signIn, visible, type AgentPage } from "../harness/browser.js";
import { ann } from "../harness/accounts.js";
import { api, signInApi } from "../harness/api.js";
import { eventually } from "../harness/eventually.js";
import { entry, startsWith } from "../harness/inbox.js";
import { newCustomerNumber, sendCustomerMessage } from "../harness/twilio.js";

const crmUrl = inject("crmUrl");
let browser: Browser;
let agent: AgentPage;

beforeAll(async () => {
  browser = await launchBrowser();
  agent = await newAgentPage(browser);
  await signIn(agent.page, crmUrl, ann);
});
afterAll(async () => { await browser?.close(); });

describe("Search", () => {
  test("finds a customer's message by a word in it, opens its conversation, and Escape brings the list back", async () => {
    const { page } = agent;
    const word = "zebracrossing" + Math.random().toString(36).slice(2, 7);
    const name = "Sam Search " + word.slice(-5);
    await sendCustomerMessage(crmUrl, { from: newCustomerNumber(), body: `The parcel was left at the ${word} near my house`, profileName: name });

    // Typed once the message is stored and indexed: the UI need not re-run a search as messages arrive.
    const session = await signInApi(crmUrl, ann.email, ann.password);
    await eventually(async () => (await api<{ items: unknown[] }>(crmUrl, session, "GET", `/api/search?q=${word}`)).items.length > 0, live.timeout, "the message being indexed");

    const search = page.getByRole("searchbox", { name: "Search" });
    await search.fill(word);
    // The hit in the search results: the conversation list (shown until the results come) is not what is tested.
    const hit = page.getByRole("list", { name: "Search results" }).getByRole("link", { name: startsWith(name) });
    await visible(hit);
    await screenshot(page, "search");
    await hit.click();
    await visible(entry(page, word));

    await search.focus();
    await search.press("Escape");
    await visible(page.getByRole("tablist", { name: "Views" }));
    await eventually(async () => (await search.inputValue()) === "", live.timeout, "Escape clearing the search box");
  });
});
