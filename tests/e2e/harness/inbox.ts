import type { Locator, Page } from "playwright-core";
import { api, signInApi } from "./api.js";
import { ann, bob, owner } from "./accounts.js";
import { eventually } from "./eventually.js";
import { live, visible } from "./browser.js";

// The web app's UI contract (issue 7): roles and accessible names, never CSS classes.

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export function startsWith(text: string): RegExp {
  return new RegExp("^\\s*" + escapeRegExp(text));
}

export function viewTab(page: Page, view: "Mine" | "Unassigned" | "All"): Locator {
  // A tab may carry its count after its name ("Unassigned 3").
  return page.getByRole("tablist", { name: "Views" }).getByRole("tab", { name: new RegExp("^" + view + "\\b") });
}

export async function showView(page: Page, view: "Mine" | "Unassigned" | "All"): Promise<void> {
  await (await visible(viewTab(page, view))).click();
  await eventually(async () => (await viewTab(page, view).getAttribute("aria-selected")) === "true", live.timeout, `the ${view} tab being selected`);
}

export function conversationList(page: Page): Locator {
  return page.getByRole("list", { name: "Conversations" });
}

/** The list's link to a customer's conversation: its accessible name begins with the customer's name. */
export function conversationLink(page: Page, customerName: string): Locator {
  return conversationList(page).getByRole("link", { name: startsWith(customerName) });
}

export function thread(page: Page): Locator {
  return page.getByRole("region", { name: "Conversation" });
}

export function messages(page: Page): Locator {
  return thread(page).getByRole("log", { name: "Messages" });
}

/** The thread's message or entry (an <article>) containing the text. */
export function entry(page: Page, text: string | RegExp): Locator {
  return messages(page).getByRole("article").filter({ hasText: text });
}

export async function openConversation(page: Page, customerName: string): Promise<void> {
  await (await visible(conversationLink(page, customerName))).click();
  await visible(messages(page));
}

export async function chooseAvailability(page: Page, availability: "Online" | "Away" | "Offline"): Promise<void> {
  await page.getByRole("combobox", { name: "Availability" }).selectOption({ label: availability });
}

/** Writes in the composer and sends (the Send button). */
export async function compose(page: Page, mode: "Reply" | "Private note", text: string): Promise<void> {
  const composer = thread(page);
  await composer.getByRole("radiogroup", { name: "Compose" }).getByRole("radio", { name: mode, exact: true }).check();
  await composer.getByRole("textbox", { name: "Message", exact: true }).fill(text);
  await composer.getByRole("button", { name: "Send", exact: true }).click();
}

/** The text of a native <select>'s chosen option. */
export async function selectedOption(select: Locator): Promise<string> {
  return select.evaluate((element) => (element as HTMLSelectElement).selectedOptions[0]?.textContent?.trim() ?? "");
}

/** Chooses the first option whose text matches (labels' case and wording are the app's). */
export async function selectOptionMatching(select: Locator, pattern: RegExp): Promise<void> {
  const labels = await select.evaluate((element) => Array.from((element as HTMLSelectElement).options, (o) => o.textContent?.trim() ?? ""));
  const label = labels.find((l) => pattern.test(l));
  if (label === undefined) throw new Error(`no option matches ${pattern}: ${labels.join(", ")}`);
  await select.selectOption({ label });
}

/**
 * The demo agents choose "away" (through the API) and the test waits until nobody is online: agents a previous file
 * signed in are offline once their browser closed (Crm:Assignment:OfflineGrace, 4 s in the e2e run). Then new
 * conversations wait in the queue until a test's agent chooses Online.
 */
export async function nobodyOnline(crmUrl: string): Promise<void> {
  for (const agent of [owner, ann, bob]) {
    const session = await signInApi(crmUrl, agent.email, agent.password);
    await api(crmUrl, session, "PUT", "/api/agents/me/availability", { availability: "away" });
  }
  const session = await signInApi(crmUrl, owner.email, owner.password);
  type Availability = { name: string; availability: string };
  await eventually(async () => {
    const answer = await api<Availability[] | { items: Availability[] }>(crmUrl, session, "GET", "/api/agents/availability");
    const agents = Array.isArray(answer) ? answer : answer.items;
    return agents.every((a) => a.availability !== "online");
  }, 30_000, "every agent being away or offline");
}

/** A customer name unique to this run and test, so tests sharing the Crm never find each other's conversations. */
export function uniqueName(prefix: string): string {
  return `${prefix} ${Math.random().toString(36).slice(2, 8)}`;
}

/** The id of the conversation the page shows (the app's route is #/conversations/{id}). */
export function openConversationId(page: Page): string {
  const id = /#\/conversations\/([0-9a-f-]{36})/i.exec(page.url())?.[1];
  if (!id) throw new Error(`no conversation is open at ${page.url()}`);
  return id;
}
