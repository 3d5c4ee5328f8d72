import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Browser, Page } from "playwright-core";
import { launchBrowser, newAgentPage, signIn, visible } from "../harness/browser.js";
import { ann, owner } from "../harness/accounts.js";
import { conversationLink, messages, showView, uniqueName } from "../harness/inbox.js";
import { newCustomerNumber, sendCustomerMessage } from "../harness/twilio.js";

const crmUrl = inject("crmUrl");
// axe-core, evaluated in the page through the browser's devtools protocol: the app's CSP (rightly) refuses injected <script>.
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
let browser: Browser;
beforeAll(async () => { browser = await launchBrowser(); });
afterAll(async () => { await browser?.close(); });

interface Violation { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }

/** WCAG 2.1 A and AA rules (labels, names, roles, contrast, …) over the page as it is now. */
async function violations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const found = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: Violation[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
    return result.violations;
  });
  return found.map((v: Violation) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", ")}`);
}

describe("Accessibility", () => {
  test("the sign-in screen, the inbox with a conversation open and the admin screens break no WCAG 2.1 AA rule axe checks", async () => {
    const name = uniqueName("Ada Access");
    await sendCustomerMessage(crmUrl, { from: newCustomerNumber(), body: "Can everyone read this?", profileName: name });
    const { page, context } = await newAgentPage(browser);
    await page.goto(crmUrl + "/");
    await visible(page.getByRole("button", { name: "Sign in" }));
    const signInScreen = await violations(page);

    await signIn(page, crmUrl, ann);
    await showView(page, "All");
    await conversationLink(page, name).click();
    await visible(messages(page).getByText("Can everyone read this?"));
    const inbox = await violations(page);
    await context.close();

    const admin = await newAgentPage(browser);
    await signIn(admin.page, crmUrl, owner);
    await admin.page.getByRole("link", { name: "Admin" }).click();
    await visible(admin.page.getByRole("button", { name: "Invite" }));
    const agents = await violations(admin.page);
    await admin.context.close();

    expect({ signInScreen, inbox, agents }).toEqual({ signInScreen: [], inbox: [], agents: [] });
  });
});
