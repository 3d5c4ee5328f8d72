import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import type { Browser } from "playwright-core";
import { gone, launchBrowser, live, newAgentPage, signIn, visible, type AgentPage } from "../harness/browser.js";
import { ann, owner } from "../harness/accounts.js";
import { api, signInApi, type Session } from "../harness/api.js";
import { eventually } from "../harness/eventually.js";
import { conversationList, entry, messages, openConversation, showView, uniqueName } from "../harness/inbox.js";
import { newCustomerNumber, sendCustomerMessage } from "../harness/twilio.js";

const crmUrl = inject("crmUrl");
// The web app's page sizes (ClientApp/src/components/Inbox.tsx PageSize, Thread.tsx limit).
const listPageSize = 30;
const threadPageSize = 50;
let browser: Browser;
let agent: AgentPage;
let session: Session;
const made: string[] = [];
// The first test's label: exactly its 35 conversations.
const prefix = uniqueName("Sam Scroll");

type Conversation = { id: string; customerName: string | null };
type ConversationPage = { items: Conversation[]; nextCursor: string | null };

/** Every conversation of the workspace (any status) whose customer's name starts with the prefix, through all pages. */
async function conversationsNamed(prefix: string): Promise<Conversation[]> {
  const found: Conversation[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
    const page: ConversationPage = await api<ConversationPage>(crmUrl, session, "GET", `/api/conversations?limit=200${query}`);
    found.push(...page.items.filter((c) => c.customerName?.startsWith(prefix)));
    cursor = page.nextCursor;
  } while (cursor);
  return found;
}

beforeAll(async () => {
  session = await signInApi(crmUrl, owner.email, owner.password);
  browser = await launchBrowser();
  agent = await newAgentPage(browser);
});
afterAll(async () => {
  await browser?.close();
  // Resolved, this file's many conversations leave the queue: later files' agents going online are not handed a
  // backlog first (the queue is oldest first), and their queue views are not pushed past one page.
  for (const id of made) await api(crmUrl, session, "POST", `/api/conversations/${id}/status`, { status: "resolved" }).catch(() => {});
});

describe("Long lists and long threads", () => {
  test("a list longer than one page loads the next page when scrolled to its end", async () => {
    const count = listPageSize + 5;
    const label = await api<{ id: string }>(crmUrl, session, "POST", "/api/labels", { name: prefix, color: "#7c3aed" });
    for (let i = 1; i <= count; i++)
      await sendCustomerMessage(crmUrl, { from: newCustomerNumber(), body: `Hello number ${i}`, profileName: `${prefix} ${String(i).padStart(2, "0")}` });
    const mine = await eventually(async () => { const all = await conversationsNamed(prefix); return all.length === count && all; }, 30_000, `${count} conversations being stored`);
    made.push(...mine.map((c) => c.id));
    // The label makes a list of exactly these, whatever else the run's workspace holds.
    for (const conversation of mine) await api(crmUrl, session, "POST", `/api/conversations/${conversation.id}/labels`, { labelId: label.id });

    const { page } = agent;
    await signIn(page, crmUrl, ann);
    await showView(page, "All");
    await page.getByRole("region", { name: "Inbox list" }).getByText(/^Filters/).click();
    await page.getByRole("region", { name: "Inbox list" }).getByRole("combobox", { name: /^Label/ }).selectOption({ label: prefix });
    const links = conversationList(page).getByRole("link");
    await eventually(async () => (await links.count()) === listPageSize, live.timeout, `the first ${listPageSize} conversations`);

    // Scrolling as an agent does (the wheel over the list), not the "Load more" button.
    await links.first().hover();
    for (let i = 0; i < 10 && (await links.count()) < count; i++) {
      await page.mouse.wheel(0, 3000);
      await new Promise((r) => setTimeout(r, 300));
    }
    await eventually(async () => (await links.count()) === count, live.timeout, `all ${count} conversations after scrolling`);
    // Each once: the next page follows the first, nothing twice, nothing left out.
    const shown = (await links.allInnerTexts()).map((text) => new RegExp(`${prefix} (\\d\\d)`).exec(text)?.[1]).sort();
    expect(shown).toEqual(Array.from({ length: count }, (_, i) => String(i + 1).padStart(2, "0")));
    await gone(page.getByRole("button", { name: "Load more conversations" }));
  });

  test("a thread longer than one page loads older messages when scrolled up, keeping the agent's place", async () => {
    const count = threadPageSize + 5;
    const name = uniqueName("Tom Thread");
    const customer = newCustomerNumber();
    for (let i = 1; i <= count; i++) await sendCustomerMessage(crmUrl, { from: customer, body: `Thread line ${i} of ${count}`, profileName: name });
    const [conversation] = await eventually(async () => { const c = await conversationsNamed(name); return c.length === 1 && c; }, 30_000, "the conversation being stored");
    made.push(conversation!.id);
    type MessagePage = { items: { direction: string }[] };
    await eventually(async () => (await api<MessagePage>(crmUrl, session, "GET", `/api/conversations/${conversation!.id}/messages?limit=200`)).items
      .filter((m) => m.direction === "inbound").length === count, 30_000, `${count} messages being stored`);

    const { page } = agent;
    await showView(page, "All");
    await page.getByRole("region", { name: "Inbox list" }).getByRole("combobox", { name: /^Label/ }).selectOption({ label: "Any label" });
    await openConversation(page, name);
    await visible(entry(page, `Thread line ${count} of ${count}`));
    expect(await entry(page, `Thread line 1 of ${count}`).count()).toBe(0);

    // One turn of the wheel to the top (another after the older page came would hide whether the place was kept).
    await messages(page).hover();
    await page.mouse.wheel(0, -100_000);
    await entry(page, `Thread line 1 of ${count}`).waitFor({ state: "attached", timeout: live.timeout });
    expect(await messages(page).getByRole("article", { name: "Customer message" }).count()).toBe(count);
    // What the agent was reading stayed in place: the older page went above it, the view did not jump to its top.
    expect(await messages(page).evaluate((log) => log.scrollTop)).toBeGreaterThan(0);
    await gone(messages(page).getByRole("button", { name: /older messages/ }));
  });

  test("a next page asked for before the filter changed is not added to the new filter's list", async () => {
    const { page } = agent;
    const soloName = uniqueName("Solo Scroll");
    const solo = await api<{ id: string }>(crmUrl, session, "POST", "/api/labels", { name: soloName, color: "#be123c" });
    await sendCustomerMessage(crmUrl, { from: newCustomerNumber(), body: "Only me under this label", profileName: soloName });
    const [conversation] = await eventually(async () => { const c = await conversationsNamed(soloName); return c.length === 1 && c; }, 30_000, "the conversation being stored");
    made.push(conversation!.id);
    await api(crmUrl, session, "POST", `/api/conversations/${conversation!.id}/labels`, { labelId: solo.id });
    // The label was made after the inbox opened: a reload reads the workspace's labels again.
    await page.reload();
    await visible(conversationList(page));

    const labelFilter = page.getByRole("region", { name: "Inbox list" }).getByRole("combobox", { name: /^Label/ });
    if (!(await labelFilter.isVisible())) await page.getByRole("region", { name: "Inbox list" }).getByText(/^Filters/).click();
    await labelFilter.selectOption({ label: prefix });
    const links = conversationList(page).getByRole("link");
    await eventually(async () => (await links.count()) === listPageSize, live.timeout, `the first ${listPageSize} conversations`);

    // A slow network: the next page answers only after the agent has chosen another label.
    await page.route(/\/api\/conversations\?.*cursor=/, async (route) => {
      await new Promise((r) => setTimeout(r, 1500));
      // The app may have given up on it meanwhile (aborted): then there is nothing left to continue.
      await route.continue().catch(() => {});
    });
    const nextPage = /\/api\/conversations\?.*cursor=/;
    const latePage = Promise.race([
      page.waitForEvent("requestfinished", (request) => nextPage.test(request.url())),
      page.waitForEvent("requestfailed", (request) => nextPage.test(request.url())),
    ]);
    await links.first().hover();
    await page.mouse.wheel(0, 10_000);
    await page.waitForRequest(nextPage);
    await labelFilter.selectOption({ label: soloName });
    await eventually(async () => (await links.count()) === 1, live.timeout, "the other label's one conversation");
    await latePage;
    await new Promise((r) => setTimeout(r, 1700));
    expect(await links.allInnerTexts()).toEqual([expect.stringContaining(soloName)]);
    await page.unrouteAll();
  });
});
