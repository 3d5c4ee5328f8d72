import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { randomBytes } from "node:crypto";
import type { Browser, Page } from "playwright-core";
import { launchBrowser, newAgentPage, screenshot, signIn, visible, type AgentPage } from "../harness/browser.js";
import { ann, owner } from "../harness/accounts.js";
import { violations } from "../harness/axe.js";
import { api, signInApi, type Session } from "../harness/api.js";
import { eventually } from "../harness/eventually.js";
import { sentMessages } from "../harness/fake-twilio.js";
import { chooseAvailability, entry, openConversation, openConversationId, showView, thread, uniqueName } from "../harness/inbox.js";
import { demoConnection, newCustomerNumber, sendCustomerMessage } from "../harness/twilio.js";

// The new channels' admin screens, a template catalog entered by hand, and the composer's template picker.

const crmUrl = inject("crmUrl");
const fakeTwilioUrl = inject("fakeTwilioUrl");
let browser: Browser;
let admin: AgentPage;
let session: Session;
const made: string[] = [];
interface Template { id: string; name: string; language: string | null; body: string; variables: string[] }
const catalogPath = `/api/channel-connections/${demoConnection.id}/templates`;
// The demo connection's catalog before this file, put back after it.
let catalogBefore: Template[] = [];

async function channelsTab(page: Page): Promise<void> {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" }).click();
  await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Channels", exact: true }).click();
  await visible(page.getByRole("heading", { name: "Channels", level: 1 }));
}

beforeAll(async () => {
  session = await signInApi(crmUrl, owner.email, owner.password);
  catalogBefore = (await api<{ templates: Template[] }>(crmUrl, session, "GET", catalogPath)).templates;
  browser = await launchBrowser();
  admin = await newAgentPage(browser);
  await signIn(admin.page, crmUrl, owner);
  await channelsTab(admin.page);
});
afterAll(async () => {
  await api(crmUrl, session, "PUT", catalogPath, { templates: catalogBefore }).catch(() => {});
  for (const path of made) await api(crmUrl, session, "DELETE", path).catch(() => {});
  await browser?.close();
});

describe("Channels and templates", () => {
  test("an admin adds a Messenger page and sees the URL to paste into Meta's console, but never its secrets", async () => {
    const { page } = admin;
    const name = uniqueName("Messenger Page");
    const secrets = {
      appSecret: "as" + randomBytes(12).toString("hex"), pageAccessToken: "EAA" + randomBytes(24).toString("hex"), verifyToken: "vt" + randomBytes(8).toString("hex"),
    };
    const form = page.getByRole("form", { name: "Add a channel connection" });
    await form.getByLabel("Channel type").selectOption({ label: "Facebook Messenger" });
    await form.getByLabel("Display name").fill(name);
    await form.getByLabel("Page ID", { exact: true }).fill(String(100000000 + Math.floor(Math.random() * 899999999)));
    await form.getByLabel("Page access token", { exact: true }).fill(secrets.pageAccessToken);
    await form.getByLabel("App secret", { exact: true }).fill(secrets.appSecret);
    await form.getByLabel("Verify token", { exact: true }).fill(secrets.verifyToken);
    await form.getByRole("button", { name: "Add connection" }).click();

    const card = await visible(page.getByRole("article", { name }));
    type Connection = { id: string; displayName: string; type: string; webhooks: Record<string, string> };
    const connection = (await api<Connection[]>(crmUrl, session, "GET", "/api/channel-connections")).find((c) => c.displayName === name);
    expect(connection?.type).toBe("messenger");
    made.push(`/api/channel-connections/${connection!.id}`);

    // Every URL Meta needs, in full, each with its Copy button.
    const urls = Object.values(connection!.webhooks);
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) {
      expect(url).toContain(connection!.id);
      await visible(card.locator("code", { hasText: url }));
    }
    expect(await card.getByRole("button", { name: /^Copy / }).count()).toBe(urls.length);
    expect(await card.getByText("set (hidden)").count()).toBe(3);

    // Neither the screen nor the API says a secret, and editing starts with the secrets' boxes empty.
    await card.getByRole("button", { name: "Edit" }).click();
    const edit = page.getByRole("form", { name: "Edit connection" });
    expect(await edit.getByLabel("App secret", { exact: true }).inputValue()).toBe("");
    expect(await edit.getByLabel("App secret", { exact: true }).getAttribute("type")).toBe("password");
    const html = await page.content();
    const answer = JSON.stringify(await api(crmUrl, session, "GET", `/api/channel-connections/${connection!.id}`));
    for (const secret of Object.values(secrets)) {
      expect(html).not.toContain(secret);
      expect(answer).not.toContain(secret);
    }
    await edit.getByRole("button", { name: "Cancel" }).click();
    await screenshot(page, "admin-messenger-connection");
  });

  test("an admin enters a template by hand: its variables come from the body's placeholders and Save keeps the catalog", async () => {
    const { page } = admin;
    const sid = "HX" + randomBytes(16).toString("hex");
    const name = uniqueName("Order shipped");
    const demo = page.getByRole("article", { name: "Demo WhatsApp (FakeTwilio)" });
    await demo.getByRole("button", { name: /^Templates/ }).click();
    const form = await visible(demo.getByRole("form", { name: "Add a template" }));
    await form.getByLabel("Template name").fill(name);
    await form.getByLabel("Provider's template id").fill(sid);
    await form.getByLabel(/^Language/).fill("en");
    await form.getByLabel("Template text").fill("Hi {{1}}, your order {{ 2 }} has shipped.");
    await visible(form.getByText("Variables: 1, 2."));
    await form.getByRole("button", { name: "Add template" }).click();
    const row = await visible(demo.getByRole("row").filter({ has: page.getByRole("cell", { name, exact: true }) }));
    expect(await row.getByRole("cell").nth(4).textContent()).toBe("1, 2");

    await demo.getByRole("button", { name: "Save templates" }).click();
    await visible(demo.getByRole("status").filter({ hasText: /^Saved \d+ templates?\.$/ }));
    const saved = (await api<{ templates: Template[] }>(crmUrl, session, "GET", catalogPath)).templates.find((t) => t.id === sid);
    expect(saved).toMatchObject({ name, language: "en", body: "Hi {{1}}, your order {{ 2 }} has shipped.", variables: ["1", "2"] });
    await screenshot(page, "admin-templates");
  });

  test("outside the reply window the text box gives way to a template picker, and Twilio gets the Content SID with the agent's values", async () => {
    const sid = "HX" + randomBytes(16).toString("hex");
    const template = { id: sid, name: uniqueName("Delivery slot"), language: "en", body: "Hello {{1}}, can we deliver on {{2}}?", variables: ["1", "2"] };
    const current = (await api<{ templates: Template[] }>(crmUrl, session, "GET", catalogPath)).templates;
    await api(crmUrl, session, "PUT", catalogPath, { templates: [...current, template] });

    const customer = uniqueName("Walt Window");
    const agent = await newAgentPage(browser);
    const { page } = agent;
    // The e2e Crm cannot age a conversation past 24 h: the browser sees the real window answer with only the time moved on.
    let realWindow: { canSendFreeText: boolean; windowName: string | null } | null = null;
    let windowAsks = 0;
    await page.route("**/api/conversations/*/reply-window", async (route) => {
      windowAsks++;
      const response = await route.fetch();
      const real = (await response.json()) as { canSendFreeText: boolean; windowName: string | null; until: string | null };
      realWindow = real;
      const closedAt = new Date(Date.now() - 60 * 60 * 1000).toISOString();
      await route.fulfill({ response, json: { ...real, canSendFreeText: false, until: closedAt, refusal: `${real.windowName} closed an hour ago: only a template can be sent now.` } });
    });
    await signIn(page, crmUrl, ann);
    await chooseAvailability(page, "Online");
    await sendCustomerMessage(crmUrl, { from: newCustomerNumber(), body: "When will it come?", profileName: customer });
    await showView(page, "All");
    await openConversation(page, customer);
    const conversationId = openConversationId(page);

    const here = thread(page);
    await visible(here.getByText("WhatsApp's 24-hour reply window closed an hour ago: only a template can be sent now."));
    expect(realWindow).toMatchObject({ canSendFreeText: true, windowName: "WhatsApp's 24-hour reply window" });
    expect(await here.getByRole("textbox", { name: "Message", exact: true }).count()).toBe(0);

    const picker = here.getByRole("form", { name: "Send a template" });
    await picker.getByRole("searchbox", { name: "Search templates" }).fill(template.name);
    await picker.getByRole("radio", { name: new RegExp(`^${template.name} \\(en\\)`) }).check();
    await picker.getByLabel("Value for {{1}}").fill("Walt");
    await picker.getByLabel("Value for {{2}}").fill("Friday");
    expect(await picker.getByLabel("Preview").textContent()).toBe("Hello Walt, can we deliver on Friday?");
    await screenshot(page, "template-picker");
    expect(await violations(page)).toEqual([]);
    await picker.getByRole("button", { name: "Send template" }).click();

    const sent = await visible(entry(page, "Hello Walt, can we deliver on Friday?"));
    await visible(sent.getByText(`Template: ${template.name}`));
    const request = await eventually(async () => (await sentMessages(fakeTwilioUrl)).find((m) => m.contentSid === sid), 15_000, "the template reaching the fake Twilio");
    expect(JSON.parse(request.contentVariables ?? "null")).toEqual({ "1": "Walt", "2": "Friday" });
    const timeline = await api<{ items: { direction: string; text: string; template: { templateId: string } | null }[] }>(
      crmUrl, session, "GET", `/api/conversations/${conversationId}/messages`);
    expect(timeline.items.find((m) => m.direction === "outbound")).toMatchObject({ text: "Hello Walt, can we deliver on Friday?", template: { templateId: sid } });
    // A closed window is asked again when something happens (here: the reply), never in a loop.
    expect(windowAsks).toBeLessThanOrEqual(4);
    // The reply makes the app ask the window again: that answer may still be on its way.
    await page.unrouteAll({ behavior: "ignoreErrors" });
    await agent.context.close();
  });
});
