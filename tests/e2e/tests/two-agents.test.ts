import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import type { Browser } from "playwright-core";
import { gone, launchBrowser, live, newAgentPage, screenshot, signIn, visible, type AgentPage } from "../harness/browser.js";
import { ann, bob } from "../harness/accounts.js";
import { eventually } from "../harness/eventually.js";
import { compose, entry, nobodyOnline, openConversation, selectOptionMatching, selectedOption, showView, thread, uniqueName } from "../harness/inbox.js";
import { newCustomerNumber, sendCustomerMessage } from "../harness/twilio.js";

const crmUrl = inject("crmUrl");
let browser: Browser;
let annPage: AgentPage;
let bobPage: AgentPage;
const name = uniqueName("Tess Together");

// Ann and Bob are both away (they keep what they have, get nothing new), so the conversation waits for one of them.
beforeAll(async () => {
  await nobodyOnline(crmUrl);
  browser = await launchBrowser();
  [annPage, bobPage] = await Promise.all([newAgentPage(browser), newAgentPage(browser)]);
  await Promise.all([signIn(annPage.page, crmUrl, ann), signIn(bobPage.page, crmUrl, bob)]);
  await sendCustomerMessage(crmUrl, { from: newCustomerNumber(), body: "Can one of you help me?", profileName: name });
  for (const { page } of [annPage, bobPage]) {
    await showView(page, "All");
    await openConversation(page, name);
  }
});
afterAll(async () => { await browser?.close(); });

describe("Two agents on one conversation", () => {
  test("each sees that the other is viewing it", async () => {
    await visible(thread(annPage.page).getByText(/Bob is viewing/i));
    await visible(thread(bobPage.page).getByText(/Ann is viewing/i));
  });

  test("Bob takes it and Ann sees it is his; Ann hands it back to herself and Bob sees that", async () => {
    await thread(bobPage.page).getByRole("button", { name: "Take", exact: true }).click();
    const annAssignee = thread(annPage.page).getByRole("combobox", { name: "Assignee" });
    await eventually(async () => /Bob/.test(await selectedOption(annAssignee)), live.timeout, "Ann seeing Bob as the assignee");
    // Nobody is offered to take what someone has.
    await gone(thread(annPage.page).getByRole("button", { name: "Take", exact: true }));

    await selectOptionMatching(annAssignee, /^Ann\b/);
    const bobAssignee = thread(bobPage.page).getByRole("combobox", { name: "Assignee" });
    await eventually(async () => /Ann/.test(await selectedOption(bobAssignee)), live.timeout, "Bob seeing Ann as the assignee");
  });

  test("a private note by one appears live for the other, marked as a private note", async () => {
    const text = "VIP customer, be gentle @bob";
    await compose(annPage.page, "Private note", text);
    const note = await visible(entry(bobPage.page, "VIP customer, be gentle"));
    expect(await note.textContent()).toMatch(/Private note/);
  });

  test("one sees the other typing", async () => {
    const message = thread(bobPage.page).getByRole("textbox", { name: "Message", exact: true });
    await message.click();
    await message.pressSequentially("Let me check", { delay: 60 });
    await visible(thread(annPage.page).getByText(/Bob is typing/i));
    await screenshot(annPage.page, "two-agents-typing");
    await message.fill("");
  });

  test("Bob resolves it and Ann sees it resolved live", async () => {
    await thread(bobPage.page).getByRole("button", { name: "Resolve", exact: true }).click();
    await visible(thread(annPage.page).getByRole("button", { name: "Reopen", exact: true }));
    await visible(entry(annPage.page, /Bob resolved the conversation/i));
  });
});
