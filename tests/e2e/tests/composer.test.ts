import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import type { Browser } from "playwright-core";
import { gone, launchBrowser, newAgentPage, signIn, visible, type AgentPage } from "../harness/browser.js";
import { ann, bob } from "../harness/accounts.js";
import { api, signInApi } from "../harness/api.js";
import { eventually } from "../harness/eventually.js";
import { sentMessages } from "../harness/fake-twilio.js";
import { entry, openConversation, openConversationId, showView, thread, uniqueName } from "../harness/inbox.js";
import { newCustomerNumber, sendCustomerMessage } from "../harness/twilio.js";

const crmUrl = inject("crmUrl");
const fakeTwilioUrl = inject("fakeTwilioUrl");
let browser: Browser;
let annPage: AgentPage;
let bobPage: AgentPage;
const customer = newCustomerNumber();
const name = uniqueName("Carla Canned");
// Shortcuts are the workspace's: one of this run's own, so a rerun against the same store finds no other.
const shortcut = "hello" + Math.random().toString(36).slice(2, 8);

beforeAll(async () => {
  const session = await signInApi(crmUrl, ann.email, ann.password);
  await api(crmUrl, session, "POST", "/api/canned-replies", { shortcut, content: "Hello {{ customer.name }}, thanks for writing to us." });
  await sendCustomerMessage(crmUrl, { from: customer, body: "Do you have it in blue?", profileName: name });
  browser = await launchBrowser();
  [annPage, bobPage] = await Promise.all([newAgentPage(browser), newAgentPage(browser)]);
  await Promise.all([signIn(annPage.page, crmUrl, ann), signIn(bobPage.page, crmUrl, bob)]);
  for (const { page } of [annPage, bobPage]) {
    await showView(page, "All");
    await openConversation(page, name);
  }
});
afterAll(async () => { await browser?.close(); });

describe("The composer", () => {
  test("/ offers the canned replies; choosing one fills the message with the customer's name, and it is sent as a reply", async () => {
    const { page } = annPage;
    const message = thread(page).getByRole("textbox", { name: "Message", exact: true });
    await message.click();
    await message.pressSequentially("/" + shortcut.slice(0, 7));
    const offered = await visible(thread(page).getByRole("listbox", { name: "Canned replies" }).getByRole("option", { name: new RegExp("/" + shortcut) }));
    await offered.click();
    const expected = `Hello ${name}, thanks for writing to us.`;
    await eventually(async () => (await message.inputValue()) === expected, 15_000, "the canned reply filling the message");
    await gone(thread(page).getByRole("listbox", { name: "Canned replies" }));

    await message.press("Enter");
    await eventually(async () => (await sentMessages(fakeTwilioUrl)).some((m) => m.to === "whatsapp:" + customer && m.body === expected), 15_000, "the canned reply reaching the fake Twilio");
    await visible(entry(page, expected));
  });

  test("a private note mentioning @bob reaches Bob live, marked as a private note, and never the provider", async () => {
    const { page } = annPage;
    const composer = thread(page);
    await composer.getByRole("radiogroup", { name: "Compose" }).getByRole("radio", { name: "Private note", exact: true }).check();
    const message = composer.getByRole("textbox", { name: "Message", exact: true });
    await message.click();
    await message.pressSequentially("Customer wants blue, can you check stock @bo");
    await visible(composer.getByRole("listbox", { name: "Mention a colleague" }).getByRole("option", { name: /@bob\b/ }));
    await message.press("Enter");
    await eventually(async () => (await message.inputValue()) === "Customer wants blue, can you check stock @bob ", 15_000, "the mention being completed");
    await message.press("Enter");

    const note = await visible(entry(bobPage.page, "Customer wants blue, can you check stock @bob"));
    expect(await note.getAttribute("aria-label")).toBe("Private note");
    expect(await note.textContent()).toMatch(/Private note · Ann/);
    // The author sees it as a note too, and the composer went back to empty.
    await visible(entry(page, "Customer wants blue").and(page.getByRole("article", { name: "Private note" })));
    expect(await message.inputValue()).toBe("");
    // The mention is Bob's: the stored note names him (what his Mentioned push and notification come from).
    const bobSession = await signInApi(crmUrl, bob.email, bob.password);
    type Page = { items: { direction: string; text?: string; mentions?: string[] }[] };
    const timeline = await api<Page>(crmUrl, bobSession, "GET", `/api/conversations/${openConversationId(page)}/messages`);
    expect(timeline.items.find((m) => m.direction === "note" && m.text?.includes("check stock"))?.mentions).toEqual([bobSession.agent.id]);
    // Nothing of it was sent to the customer: a moment for a wrong send to happen, then none.
    await new Promise((r) => setTimeout(r, 1000));
    expect((await sentMessages(fakeTwilioUrl)).filter((m) => m.body.includes("check stock"))).toEqual([]);
  });
});
