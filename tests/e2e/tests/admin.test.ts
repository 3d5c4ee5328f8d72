import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchBrowser, newAgentPage, screenshot, signIn, visible, type AgentPage } from "../harness/browser.js";
import { bob, owner } from "../harness/accounts.js";
import { api, signInApi, type Session } from "../harness/api.js";
import { selectedOption, uniqueName } from "../harness/inbox.js";
import { demoConnection, newCustomerNumber } from "../harness/twilio.js";

const crmUrl = inject("crmUrl");
const fakeTwilioUrl = inject("fakeTwilioUrl");
let browser: Browser;
let admin: AgentPage;
let session: Session;
// What this file adds to the shared workspace, removed at the end (the app's Remove and Delete ask to confirm).
const made: string[] = [];

async function adminTab(page: Page, tab: "Channels" | "Teams"): Promise<void> {
  await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: tab, exact: true }).click();
  await visible(page.getByRole("heading", { name: tab, level: 1 }));
}

beforeAll(async () => {
  session = await signInApi(crmUrl, owner.email, owner.password);
  browser = await launchBrowser();
  admin = await newAgentPage(browser);
  await signIn(admin.page, crmUrl, owner);
  await admin.page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" }).click();
});
afterAll(async () => {
  for (const path of made) await api(crmUrl, session, "DELETE", path).catch(() => {});
  await browser?.close();
});

describe("Admin screens", () => {
  test("Test connection shows what Twilio answered: the demo connection works, one with a wrong auth token is refused", async () => {
    const { page } = admin;
    await adminTab(page, "Channels");
    const demo = page.getByRole("article", { name: "Demo WhatsApp (FakeTwilio)" });
    await demo.getByRole("button", { name: "Test connection" }).click();
    await visible(demo.getByRole("status").filter({ hasText: `Connection works: Twilio accepted the credentials for account ${demoConnection.accountSid}` }));

    const name = uniqueName("Wrong Token");
    const form = page.getByRole("form", { name: "Add a channel connection" });
    expect(await selectedOption(form.getByLabel("Channel type"))).toBe("WhatsApp (Twilio)");
    await form.getByLabel("Display name").fill(name);
    await form.getByLabel("Account SID").fill(demoConnection.accountSid);
    await form.getByLabel("Auth token", { exact: true }).fill("not-the-auth-token");
    await form.getByLabel(/^WhatsApp numbers/).fill(newCustomerNumber());
    await form.getByLabel(/^API base URL/).fill(fakeTwilioUrl);
    await form.getByRole("button", { name: "Add connection" }).click();
    const added = await visible(page.getByRole("article", { name }));
    type Connection = { id: string; displayName: string };
    const connection = (await api<Connection[]>(crmUrl, session, "GET", "/api/channel-connections")).find((c) => c.displayName === name);
    expect(connection).toBeDefined();
    made.push(`/api/channel-connections/${connection!.id}`);

    await added.getByRole("button", { name: "Test connection" }).click();
    const refused = await visible(added.getByRole("status").filter({ hasText: /^Connection failed: / }));
    expect(await refused.textContent()).toMatch(/401.*Authenticate.*20003/);
    await screenshot(page, "admin-channels");
  });

  test("the teams screen adds a team with its assignment policy, capacity and members", async () => {
    const { page } = admin;
    await adminTab(page, "Teams");
    const name = uniqueName("Night Shift");
    const form = page.getByRole("form", { name: "Add a team" });
    await form.getByLabel("Name", { exact: true }).fill(name);
    await form.getByLabel("Assignment policy").selectOption({ label: "Least loaded" });
    await form.getByLabel("Open conversations per agent").fill("3");
    await form.getByRole("group", { name: "Members" }).getByRole("checkbox", { name: bob.name, exact: true }).check();
    await form.getByRole("button", { name: "Add team" }).click();

    const row = await visible(page.getByRole("row").filter({ has: page.getByRole("cell", { name, exact: true }) }));
    expect((await row.getByRole("cell").allInnerTexts()).slice(0, 5)).toEqual([name, "least-loaded", "3 per agent", "never", bob.name]);
    type Team = { id: string; name: string; policy: string; maxOpenPerAgent: number; members: string[] };
    const team = (await api<Team[]>(crmUrl, session, "GET", "/api/teams")).find((t) => t.name === name)!;
    made.push(`/api/teams/${team.id}`);
    const bobId = (await signInApi(crmUrl, bob.email, bob.password)).agent.id;
    expect(team).toMatchObject({ policy: "least-loaded", maxOpenPerAgent: 3, members: [bobId] });
    // The form is ready for the next one.
    expect(await form.getByLabel("Name", { exact: true }).inputValue()).toBe("");
  });
});
