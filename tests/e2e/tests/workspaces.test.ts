import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import type { Browser } from "playwright-core";
import { launchBrowser, live, newAgentPage, screenshot, signIn, visible } from "../harness/browser.js";
import { ann, workspaceB } from "../harness/accounts.js";
import { api, signInApi } from "../harness/api.js";
import { eventually } from "../harness/eventually.js";
import { conversationLink, showView, uniqueName } from "../harness/inbox.js";
import { newCustomerNumber, sendCustomerMessage } from "../harness/twilio.js";

const crmUrl = inject("crmUrl");
let browser: Browser;
beforeAll(async () => { browser = await launchBrowser(); });
afterAll(async () => { await browser?.close(); });

describe("Workspaces", () => {
  test("an agent of workspace B never sees workspace A's conversations: not in the list, not in search, not by address", async () => {
    const word = "secretword" + Math.random().toString(36).slice(2, 7);
    const name = uniqueName("Alice OfA");
    await sendCustomerMessage(crmUrl, { from: newCustomerNumber(), body: `Workspace A only: ${word}`, profileName: name });
    const annSession = await signInApi(crmUrl, ann.email, ann.password);
    type Found = { items: { conversationId: string }[] };
    const conversationId = await eventually(async () => (await api<Found>(crmUrl, annSession, "GET", `/api/search?q=${word}`)).items[0]?.conversationId, live.timeout, "A's message being indexed");

    const b = await newAgentPage(browser);
    await signIn(b.page, crmUrl, workspaceB);
    await showView(b.page, "All");
    await visible(b.page.getByRole("tablist", { name: "Views" }));
    expect(await conversationLink(b.page, name).count()).toBe(0);

    await b.page.getByRole("searchbox", { name: "Search" }).fill(word);
    // Give the search its time to answer, then nothing of A may be there.
    await b.page.waitForTimeout(1_500);
    expect(await conversationLink(b.page, name).count()).toBe(0);
    expect(await b.page.getByText(word).count()).toBe(0);

    await b.page.goto(`${crmUrl}/#/conversations/${conversationId}`);
    await b.page.waitForTimeout(1_500);
    expect(await b.page.getByText(word).count()).toBe(0);
    expect(await b.page.getByText(name).count()).toBe(0);
    await screenshot(b.page, "workspace-b");
    await b.context.close();
  });
});
