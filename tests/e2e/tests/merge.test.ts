import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import type { Browser } from "playwright-core";
import { launchBrowser, newAgentPage, screenshot, signIn, visible } from "../harness/browser.js";
import { ann } from "../harness/accounts.js";
import { api, signInApi, type Session } from "../harness/api.js";
import { customerNamed, type CustomerProfile } from "../harness/customers.js";
import { newCustomerNumber, sendCustomerMessage } from "../harness/twilio.js";

const crmUrl = inject("crmUrl");
let browser: Browser;
let session: Session;
const tag = "mg" + Math.random().toString(36).slice(2, 8);
const mara = `Mara ${tag}`;
const maraLima = `Mara Lima ${tag}`;
let kept: CustomerProfile;
let other: CustomerProfile;

beforeAll(async () => {
  session = await signInApi(crmUrl, ann.email, ann.password);
  // One person, two WhatsApp numbers: two customers whose name and company differ.
  await sendCustomerMessage(crmUrl, { from: newCustomerNumber(), body: "Hi from my work phone", profileName: mara });
  await sendCustomerMessage(crmUrl, { from: newCustomerNumber(), body: "Hi from my own phone", profileName: maraLima });
  kept = await customerNamed(crmUrl, session, mara);
  other = await customerNamed(crmUrl, session, maraLima);
  await api(crmUrl, session, "PATCH", `/api/customers/${kept.id}`, { version: kept.version, company: "Acme" });
  await api(crmUrl, session, "PATCH", `/api/customers/${other.id}`, { version: other.version, company: "Globex" });
  browser = await launchBrowser();
});
afterAll(async () => { await browser?.close(); });

interface Details { profile: CustomerProfile }

describe("Merging customers", () => {
  test("an agent finds the other customer, chooses a value per conflicting field, merges, and undoes it", async () => {
    const { page, context, consoleErrors } = await newAgentPage(browser);
    await signIn(page, crmUrl, ann);
    await page.goto(`${crmUrl}/#/customers/${kept.id}`);
    await visible(page.getByRole("heading", { name: mara, level: 1 }));
    await page.getByRole("link", { name: "Merge with another customer…" }).click();

    await page.getByRole("searchbox", { name: "Find a customer" }).fill(`Lima ${tag}`);
    await page.getByRole("list", { name: "Customers found" }).getByRole("button", { name: `Compare with ${maraLima}` }).click();

    // Side by side: the name from the other customer, the company from the one kept.
    const name = page.getByRole("group", { name: "Name", exact: true });
    const company = page.getByRole("group", { name: "Company", exact: true });
    await visible(name);
    await name.getByRole("radio", { name: new RegExp(`^${maraLima} from`) }).check();
    await company.getByRole("radio", { name: /^Acme from/ }).check();
    await screenshot(page, "customers-merge");
    await page.getByRole("button", { name: `Merge ${maraLima} into ${mara}` }).click();
    await visible(page.getByRole("status").filter({ hasText: `Merged into ${maraLima}` }));

    // One customer now: both identities, the chosen values; the other's address leads to it.
    const merged = await api<Details>(crmUrl, session, "GET", `/api/customers/${kept.id}`);
    expect({ name: merged.profile.fields.name, company: merged.profile.fields.company, identities: merged.profile.identities.length })
      .toEqual({ name: maraLima, company: "Acme", identities: 2 });
    const followed = await api<Details>(crmUrl, session, "GET", `/api/customers/${other.id}`);
    expect(followed.profile.id).toBe(kept.id);

    await page.getByRole("button", { name: "Undo merge" }).click();
    await visible(page.getByRole("status").filter({ hasText: "The merge was undone" }));
    const restored = await api<Details>(crmUrl, session, "GET", `/api/customers/${other.id}`);
    expect({ id: restored.profile.id, name: restored.profile.fields.name, company: restored.profile.fields.company })
      .toEqual({ id: other.id, name: maraLima, company: "Globex" });
    const survivor = await api<Details>(crmUrl, session, "GET", `/api/customers/${kept.id}`);
    expect({ name: survivor.profile.fields.name, identities: survivor.profile.identities.length }).toEqual({ name: mara, identities: 1 });
    expect(consoleErrors).toEqual([]);
    await context.close();
  });

  test("merging refuses to go on until every conflicting field has a choice", async () => {
    const first = `Nico ${tag}`;
    const second = `Nicolas ${tag}`;
    await sendCustomerMessage(crmUrl, { from: newCustomerNumber(), body: "One", profileName: first });
    await sendCustomerMessage(crmUrl, { from: newCustomerNumber(), body: "Two", profileName: second });
    const a = await customerNamed(crmUrl, session, first);
    const b = await customerNamed(crmUrl, session, second);

    const { page, context } = await newAgentPage(browser);
    await signIn(page, crmUrl, ann);
    await page.goto(`${crmUrl}/#/customers/${a.id}/merge/${b.id}`);
    await visible(page.getByRole("group", { name: "Name", exact: true }));
    await page.getByRole("button", { name: `Merge ${second} into ${first}` }).click();
    await visible(page.getByRole("alert").filter({ hasText: "Choose which value to keep for every field that differs." }));
    const still = await api<Details>(crmUrl, session, "GET", `/api/customers/${b.id}`);
    expect(still.profile.id).toBe(b.id);
    await context.close();
  });
});
