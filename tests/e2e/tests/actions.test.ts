import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import type { Browser, Locator, Page } from "playwright-core";
import { gone, launchBrowser, newAgentPage, signIn, visible, type AgentPage } from "../harness/browser.js";
import { ann, owner } from "../harness/accounts.js";
import { api, signInApi } from "../harness/api.js";
import { conversationLink, conversationList, entry, escapeRegExp, openConversation, openConversationId, showView, thread, uniqueName } from "../harness/inbox.js";
import { newCustomerNumber, sendCustomerMessage } from "../harness/twilio.js";

const crmUrl = inject("crmUrl");
let browser: Browser;
let agent: AgentPage;
const amy = uniqueName("Amy Actions");
const ben = uniqueName("Ben Bystander");
const labelName = uniqueName("Wholesale");

/** The list pane's filter (a <select> inside its <label>: its name starts with the label's word). */
function filter(page: Page, word: "Status" | "Priority" | "Label"): Locator {
  return page.getByRole("region", { name: "Inbox list" }).getByRole("combobox", { name: new RegExp("^" + word) });
}

/** The customer's list item whose accessible name (its words, spaced) also shows the word: a status, priority or label. */
function itemShowing(page: Page, customerName: string, word: string): Locator {
  return conversationList(page).getByRole("link", { name: new RegExp(`^\\s*${escapeRegExp(customerName)}\\b.*\\b${escapeRegExp(word)}\\b`, "i") });
}

function actions(page: Page): Locator {
  return thread(page).getByRole("group", { name: "Conversation actions" });
}

beforeAll(async () => {
  // Before Ann signs in: the app reads the workspace's labels when the inbox opens.
  const session = await signInApi(crmUrl, owner.email, owner.password);
  await api(crmUrl, session, "POST", "/api/labels", { name: labelName, color: "#0e7490" });
  await sendCustomerMessage(crmUrl, { from: newCustomerNumber(), body: "I would like to order 200 pieces", profileName: amy });
  await sendCustomerMessage(crmUrl, { from: newCustomerNumber(), body: "Just browsing", profileName: ben });
  browser = await launchBrowser();
  agent = await newAgentPage(browser);
  await signIn(agent.page, crmUrl, ann);
  await showView(agent.page, "All");
  await visible(conversationLink(agent.page, ben));
  await openConversation(agent.page, amy);
});
afterAll(async () => { await browser?.close(); });

describe("Conversation actions", () => {
  test("a priority and a label chosen in the thread show on the list item and on the timeline", async () => {
    const { page } = agent;
    await actions(page).getByRole("combobox", { name: "Priority", exact: true }).selectOption({ label: "High" });
    await visible(itemShowing(page, amy, "high"));
    await visible(entry(page, "Ann set the priority to high"));

    await page.getByRole("complementary", { name: "Customer" }).getByRole("checkbox", { name: labelName }).check();
    await visible(itemShowing(page, amy, labelName));
    await visible(entry(page, `Ann added the label ${labelName}`));
    expect(await itemShowing(page, ben, labelName).count()).toBe(0);
  });

  test("the list filters by label and by priority", async () => {
    const { page } = agent;
    await page.getByRole("region", { name: "Inbox list" }).getByText(/^Filters/).click();
    await filter(page, "Label").selectOption({ label: labelName });
    await visible(conversationLink(page, amy));
    await gone(conversationLink(page, ben));

    await filter(page, "Label").selectOption({ label: "Any label" });
    await visible(conversationLink(page, ben));
    await filter(page, "Priority").selectOption({ label: "High" });
    await visible(conversationLink(page, amy));
    await gone(conversationLink(page, ben));

    await filter(page, "Priority").selectOption({ label: "Any priority" });
    await visible(conversationLink(page, ben));
  });

  test("pending, snoozed until a chosen time, and reopened: each shows on the list item and on the timeline", async () => {
    const { page } = agent;
    // Any status: a conversation that is not open stays in the list, with its status on it.
    await filter(page, "Status").selectOption({ label: "Any status" });

    await actions(page).getByRole("button", { name: "Pending", exact: true }).click();
    await visible(itemShowing(page, amy, "pending"));
    await visible(entry(page, "Ann marked the conversation pending"));
    await actions(page).getByRole("button", { name: "Open", exact: true }).click();
    await visible(entry(page, "Ann reopened the conversation"));
    await gone(itemShowing(page, amy, "pending"));

    // Two days ahead at 10:30, in the browser's own time zone, as the agent types it.
    const until = await page.evaluate(() => {
      const at = new Date();
      at.setDate(at.getDate() + 2);
      at.setHours(10, 30, 0, 0);
      const pad = (n: number) => String(n).padStart(2, "0");
      return { typed: `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T10:30`, iso: at.toISOString() };
    });
    await actions(page).getByText("Snooze", { exact: true }).click();
    await actions(page).getByLabel("Until").fill(until.typed);
    await actions(page).getByRole("button", { name: "Snooze until then" }).click();
    await visible(actions(page).getByText(/^Snoozed until /));
    await visible(itemShowing(page, amy, "snoozed"));
    await visible(entry(page, "Ann snoozed the conversation"));
    const session = await signInApi(crmUrl, ann.email, ann.password);
    const stored = await api<{ status: string; snoozedUntil: string | null }>(crmUrl, session, "GET", `/api/conversations/${openConversationId(page)}`);
    expect(stored.status).toBe("snoozed");
    expect(Date.parse(stored.snoozedUntil!)).toBe(Date.parse(until.iso));

    // The Snoozed filter finds it and nothing of Ben's.
    await filter(page, "Status").selectOption({ label: "Snoozed" });
    await visible(conversationLink(page, amy));
    await gone(conversationLink(page, ben));

    await actions(page).getByRole("button", { name: "Open", exact: true }).click();
    await visible(actions(page).getByText("Snooze", { exact: true }));
    // Open again: it leaves the Snoozed list live.
    await gone(conversationLink(page, amy));
    await filter(page, "Status").selectOption({ label: "Open" });
    await visible(conversationLink(page, amy));
    expect(await entry(page, "Ann reopened the conversation").count()).toBe(2);
  });
});
