import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import type { Browser } from "playwright-core";
import { launchBrowser, newAgentPage, screenshot, signIn, visible, type AgentPage } from "../harness/browser.js";
import { ann } from "../harness/accounts.js";
import { eventually } from "../harness/eventually.js";
import { refuseMarker, sentMessages } from "../harness/fake-twilio.js";
import { chooseAvailability, compose, entry, openConversation, showView, thread, uniqueName } from "../harness/inbox.js";
import { demoConnection, newCustomerNumber, sendCustomerMessage, sendStatusCallback } from "../harness/twilio.js";

const crmUrl = inject("crmUrl");
const fakeTwilioUrl = inject("fakeTwilioUrl");
let browser: Browser;
let agent: AgentPage;
const customer = newCustomerNumber();
const name = uniqueName("Rita Reply");

beforeAll(async () => {
  browser = await launchBrowser();
  agent = await newAgentPage(browser);
  await signIn(agent.page, crmUrl, ann);
  await chooseAvailability(agent.page, "Online");
  await sendCustomerMessage(crmUrl, { from: customer, body: "Where is my order?", profileName: name });
  await showView(agent.page, "All");
  await openConversation(agent.page, name);
});
afterAll(async () => { await browser?.close(); });

describe("Replying", () => {
  test("a reply reaches the provider and its status changes live: Queued, then Delivered after Twilio's callback", async () => {
    const { page } = agent;
    const text = "It left our warehouse this morning.";
    await compose(page, "Reply", text);
    const sent = await eventually(async () => (await sentMessages(fakeTwilioUrl)).find((m) => m.to === "whatsapp:" + customer && m.body === text), 15_000, "the reply reaching the fake Twilio");
    expect(sent.from).toBe(demoConnection.number);
    const reply = entry(page, text);
    await visible(reply.filter({ hasText: /\bQueued\b/ }));

    await sendStatusCallback(sent.statusCallback!, sent.sid, "delivered");
    await visible(reply.filter({ hasText: /\bDelivered\b/ }));
    await screenshot(page, "thread");
  });

  test("a reply the provider refuses says why in words and can be resent", async () => {
    const { page } = agent;
    const text = `Here is your invoice ${refuseMarker}`;
    await compose(page, "Reply", text);
    const failed = entry(page, text).filter({ hasText: /Failed: / });
    await visible(failed);
    // Words, not Twilio's code alone.
    expect(await failed.first().textContent()).toMatch(/Failed: [^\d\s][^]*[a-z]{3,}/i);
    const before = (await sentMessages(fakeTwilioUrl)).filter((m) => m.body === text).length;
    await failed.first().getByRole("button", { name: "Resend" }).click();
    await eventually(async () => (await sentMessages(fakeTwilioUrl)).filter((m) => m.body === text).length > before, 15_000, "the resent reply reaching the fake Twilio");
    await visible(thread(page));
  });
});
