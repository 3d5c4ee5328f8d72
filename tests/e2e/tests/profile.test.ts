import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import type { Browser } from "playwright-core";
import { launchBrowser, live, newAgentPage, screenshot, signIn, visible } from "../harness/browser.js";
import { ann, bob } from "../harness/accounts.js";
import { api, signInApi, type Session } from "../harness/api.js";
import { customerNamed } from "../harness/customers.js";
import { eventually } from "../harness/eventually.js";
import { newCustomerNumber, sendCustomerMessage } from "../harness/twilio.js";

const crmUrl = inject("crmUrl");
let browser: Browser;
let bobSession: Session;
const tag = "pf" + Math.random().toString(36).slice(2, 8);

interface Details { profile: { id: string; version: number; fields: { name: string | null; company: string | null; notes: string | null }; consents?: { channel: string; state: string; source: string }[] } }

beforeAll(async () => {
  bobSession = await signInApi(crmUrl, bob.email, bob.password);
  browser = await launchBrowser();
});
afterAll(async () => { await browser?.close(); });

describe("A customer's profile", () => {
  test("follows a colleague's change live, and a save made on an older version offers to re-apply the agent's edits", async () => {
    const name = `Paula ${tag}`;
    await sendCustomerMessage(crmUrl, { from: newCustomerNumber(), body: "Please update my details", profileName: name });
    const customer = await customerNamed(crmUrl, bobSession, name);
    const { page, context, consoleErrors } = await newAgentPage(browser);
    await signIn(page, crmUrl, ann);
    await page.goto(`${crmUrl}/#/customers/${customer.id}`);
    await visible(page.getByRole("heading", { name, level: 1 }));
    await visible(page.getByRole("list", { name: "Timeline" }).getByText("Please update my details"));
    await screenshot(page, "customers-profile");

    // Bob saves a company: Ann's untouched form shows it without a reload.
    const first = await api<Details>(crmUrl, bobSession, "GET", `/api/customers/${customer.id}`);
    await api(crmUrl, bobSession, "PATCH", `/api/customers/${customer.id}`, { version: first.profile.version, company: "Globex" });
    const company = page.getByRole("textbox", { name: "Company", exact: true });
    await eventually(async () => (await company.inputValue()) === "Globex", live.timeout, "the pushed company reaching the form");
    await visible(page.getByRole("list", { name: "Changes" }).getByText("Globex"));

    // Ann edits the name while Bob saves notes: her save meets a newer version, and she re-applies her edit over it.
    await page.getByRole("textbox", { name: "Name", exact: true }).fill(`Paula Pereira ${tag}`);
    const second = await api<Details>(crmUrl, bobSession, "GET", `/api/customers/${customer.id}`);
    await api(crmUrl, bobSession, "PATCH", `/api/customers/${customer.id}`, { version: second.profile.version, notes: "Prefers calls after 6 pm" });
    // The push has come (the history shows Bob's notes); Ann's edited form keeps her words and is not overwritten.
    await visible(page.getByRole("list", { name: "Changes" }).getByText("Prefers calls after 6 pm"));
    expect(await page.getByRole("textbox", { name: "Notes" }).inputValue()).toBe("");
    expect(await page.getByRole("textbox", { name: "Name", exact: true }).inputValue()).toBe(`Paula Pereira ${tag}`);
    await page.getByRole("button", { name: "Save profile" }).click();
    const conflict = page.getByRole("alert").filter({ hasText: "Someone saved this profile while you were editing" });
    await visible(conflict);
    await conflict.getByRole("button", { name: "Re-apply my changes" }).click();
    await visible(page.getByRole("status").filter({ hasText: /^Saved \(version \d+\)/ }));
    const saved = await api<Details>(crmUrl, bobSession, "GET", `/api/customers/${customer.id}`);
    expect(saved.profile.fields).toMatchObject({ name: `Paula Pereira ${tag}`, company: "Globex", notes: "Prefers calls after 6 pm" });

    // Consent per channel, set by the agent.
    await page.getByRole("button", { name: "Opt out on WhatsApp" }).click();
    await visible(page.getByRole("region", { name: "Consent" }).getByText(/opted out/));
    const optedOut = await api<Details>(crmUrl, bobSession, "GET", `/api/customers/${customer.id}`);
    expect(optedOut.profile.consents).toEqual([expect.objectContaining({ channel: "whatsapp", state: "opted-out", source: "agent" })]);
    // The browser logs the 409 it was meant to meet; nothing else may fail.
    expect(consoleErrors.filter((e) => !/status of 409/.test(e))).toEqual([]);
    await context.close();
  });
});
