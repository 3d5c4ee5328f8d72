import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import type { Browser } from "playwright-core";
import { launchBrowser, newAgentPage, signIn, visible } from "../harness/browser.js";
import { ann } from "../harness/accounts.js";
import { conversationList, messages, openConversation, showView } from "../harness/inbox.js";
import { newCustomerNumber, sendCustomerMessage } from "../harness/twilio.js";

const crmUrl = inject("crmUrl");
let browser: Browser;
beforeAll(async () => { browser = await launchBrowser(); });
afterAll(async () => { await browser?.close(); });

describe("What outsiders write", () => {
  test("hostile names and messages render as text: no script runs, no markup is made, only http(s) URLs become links", async () => {
    const marker = Math.random().toString(36).slice(2, 7);
    const name = `<img src=x onerror=alert(1)>${marker}`;
    const body = `<script>alert(2)</script><b>bold${marker}</b> javascript:alert(3)`;
    const document = `https://example.com/invoice-${marker}.pdf`;
    await sendCustomerMessage(crmUrl, {
      from: newCustomerNumber(), body, profileName: name,
      media: [{ url: "javascript:alert(4)", contentType: "application/pdf" }, { url: document, contentType: "application/pdf" }],
    });

    const agent = await newAgentPage(browser);
    await signIn(agent.page, crmUrl, ann);
    await showView(agent.page, "All");
    await visible(conversationList(agent.page).getByText(name));
    await openConversation(agent.page, name);
    await visible(messages(agent.page).getByText(`<script>alert(2)</script><b>bold${marker}</b>`));

    expect(agent.dialogs).toEqual([]);
    expect(await agent.page.locator('img[src="x"]').count()).toBe(0);
    expect(await agent.page.locator("script:not([src])").count()).toBe(0);
    expect(await messages(agent.page).locator("b").filter({ hasText: `bold${marker}` }).count()).toBe(0);
    // Of the two attachments only the https one is a link; nothing anywhere points at javascript:.
    await visible(messages(agent.page).locator(`a[href="${document}"]`));
    expect(await agent.page.locator('[href^="javascript:" i], [src^="javascript:" i]').count()).toBe(0);
    expect(await messages(agent.page).getByRole("link", { name: /javascript:/ }).count()).toBe(0);
    expect(agent.dialogs).toEqual([]);
    await agent.context.close();
  });
});
