import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import type { Browser } from "playwright-core";
import { readFile } from "node:fs/promises";
import { launchBrowser, live, newAgentPage, screenshot, signIn, visible } from "../harness/browser.js";
import { ann } from "../harness/accounts.js";
import { api, signInApi, type Session } from "../harness/api.js";
import { condition, customerNamed, importCsv, mobileNumber, liveCount, openCustomers, setCondition } from "../harness/customers.js";
import { eventually } from "../harness/eventually.js";
import { newCustomerNumber, sendCustomerMessage } from "../harness/twilio.js";

const crmUrl = inject("crmUrl");
let browser: Browser;
let session: Session;
// Every name carries the tag, so the filter's first condition keeps this test's customers apart from the others'.
const tag = "dz" + Math.random().toString(36).slice(2, 8);
const dora = `Dora ${tag}`;
const dan = `Dan ${tag}`;
const diana = `Diana ${tag}`;

beforeAll(async () => {
  session = await signInApi(crmUrl, ann.email, ann.password);
  // Two customers who wrote just now, and one imported who never wrote: the only dormant one.
  await sendCustomerMessage(crmUrl, { from: newCustomerNumber(), body: "Still here", profileName: dora });
  await sendCustomerMessage(crmUrl, { from: newCustomerNumber(), body: "Me too", profileName: dan });
  await importCsv(crmUrl, session, `Name,Phone\n${diana},${mobileNumber()}\n`, { Name: "name", Phone: "phone" });
  await customerNamed(crmUrl, session, dora);
  await customerNamed(crmUrl, session, dan);
  await customerNamed(crmUrl, session, diana);
  browser = await launchBrowser();
});
afterAll(async () => { await browser?.close(); });

describe("Segments", () => {
  test("an agent builds a dormant segment (no message for N days, or never), sees its live count follow each change, and saves it", async () => {
    const { page, context, consoleErrors } = await newAgentPage(browser);
    await signIn(page, crmUrl, ann);
    await openCustomers(page);
    await page.getByText("Filter", { exact: true }).click();

    await page.getByRole("button", { name: "Add condition", exact: true }).click();
    await setCondition(page, "1", "Name", "contains", tag);
    await liveCount(page, 3);

    // A group "any of these": silent for more than 30 days, or never wrote at all.
    await page.getByRole("button", { name: "Add group", exact: true }).click();
    await expect.poll(() => page.getByRole("combobox", { name: "Group 2: match" }).inputValue()).toBe("or");
    await setCondition(page, "2.1", "Last message from the customer", "more than N days ago", "30");
    await page.getByRole("button", { name: "Add condition to group 2" }).click();
    await setCondition(page, "2.2", "Last message from the customer", "never");
    await liveCount(page, 1);
    const matching = page.getByRole("list", { name: "Matching customers" });
    await visible(matching.getByRole("link", { name: new RegExp(diana) }));
    expect(await matching.getByRole("link", { name: new RegExp(dora) }).count()).toBe(0);
    await screenshot(page, "customers-dormant-filter");

    // The agent's own N and comparison: "less than 30 days ago, or never" is everyone here (the days are kept).
    const comparison = condition(page, "2.1").getByRole("combobox", { name: "Condition 2.1: comparison" });
    await comparison.selectOption({ label: "less than N days ago" });
    expect(await condition(page, "2.1").getByRole("spinbutton", { name: "Condition 2.1: days" }).inputValue()).toBe("30");
    await liveCount(page, 3);
    await comparison.selectOption({ label: "more than N days ago" });
    await liveCount(page, 1);
    // A wrong N says so beside its condition, and the count waits instead of counting something else.
    const days = condition(page, "2.1").getByRole("spinbutton", { name: "Condition 2.1: days" });
    await days.fill("0");
    await visible(page.getByRole("status").filter({ hasText: "Finish the conditions to see who matches." }));
    await visible(condition(page, "2.1").getByText("Type a whole number of days, 1 to 36500."));
    await days.fill("90");
    await liveCount(page, 1);

    const form = page.getByRole("form", { name: "Save as segment" });
    await form.getByRole("textbox", { name: "Segment name" }).fill(`Dormant ${tag}`);
    await form.getByRole("button", { name: "Save as segment" }).click();
    await visible(page.getByRole("heading", { name: `Dormant ${tag}`, level: 1 }));
    await liveCount(page, 1);
    const segmentId = /#\/segments\/([0-9a-f-]{36})/.exec(page.url())?.[1];
    expect(segmentId).toBeTruthy();

    // The saved segment is the filter the agent built: the server counts the same customer.
    const saved = await api<{ count: number; customers: { fields: { name: string } }[] }>(crmUrl, session, "GET", `/api/segments/${segmentId}/customers?limit=10`);
    expect({ count: saved.count, names: saved.customers.map(c => c.fields.name) }).toEqual({ count: 1, names: [diana] });

    // It is listed with the built-ins, which are marked.
    await page.getByRole("navigation", { name: "Customer screens" }).getByRole("link", { name: "Segments" }).click();
    const segments = page.getByRole("list", { name: "Segments" });
    await visible(segments.getByRole("link", { name: `Dormant ${tag}` }));
    await visible(segments.getByRole("listitem").filter({ hasText: /^Dormant: no inbound/ }).getByText("Built-in"));
    expect(consoleErrors).toEqual([]);
    await context.close();
  });

  test("a bulk action on a segment labels every matching customer, not only the page on screen, and the export holds them all", async () => {
    const bulkTag = "bk" + Math.random().toString(36).slice(2, 8);
    const rows = Array.from({ length: 55 }, (_, i) => `Bulk ${bulkTag} ${String(i).padStart(2, "0")},${mobileNumber()}`).join("\n");
    await importCsv(crmUrl, session, `Name,Phone\n${rows}\n`, { Name: "name", Phone: "phone" });
    const owner = await signInApi(crmUrl, "owner@demo.crm", "demo-password-1");
    const label = await api<{ id: string; name: string }>(crmUrl, owner, "POST", "/api/labels", { name: `Bulk ${bulkTag}`, color: "#0e7490" });
    const segment = await api<{ id: string }>(crmUrl, session, "POST", "/api/segments",
      { name: `Bulk ${bulkTag}`, filter: { op: "and", conditions: [{ field: "name", operator: "startsWith", value: `Bulk ${bulkTag}` }] } });

    const { page, context } = await newAgentPage(browser);
    await signIn(page, crmUrl, ann);
    await page.goto(`${crmUrl}/#/segments/${segment.id}`);
    await liveCount(page, 55);
    // The first page holds 50; the action is on all 55.
    const shown = page.getByRole("list", { name: "Matching customers" }).getByRole("link");
    expect(await shown.count()).toBe(50);
    // The next page follows the keyset cursor: the other 5, none twice.
    await page.getByRole("button", { name: "Load more customers" }).click();
    await expect.poll(() => shown.count(), live).toBe(55);
    expect(new Set(await shown.allTextContents()).size).toBe(55);
    expect(await page.getByRole("button", { name: "Load more customers" }).count()).toBe(0);
    const bulk = page.getByRole("region", { name: /^Act on all/ });
    await bulk.getByRole("combobox", { name: "Action" }).selectOption({ label: "Add label" });
    await bulk.getByRole("combobox", { name: "Label" }).selectOption({ label: label.name });
    await bulk.getByRole("button", { name: "Apply…" }).click();
    await visible(bulk.getByText("Change 55 customers?"));
    await bulk.getByRole("button", { name: "Confirm" }).click();
    await visible(bulk.getByRole("status").filter({ hasText: "Done: 55 of 55 changed" }), live.timeout);
    await screenshot(page, "customers-segment-bulk");

    // The export is every match too, one line each after the header.
    const [download] = await Promise.all([page.waitForEvent("download"), bulk.getByRole("button", { name: "Export CSV" }).click()]);
    expect(download.suggestedFilename()).toBe(`Bulk ${bulkTag}.csv`);
    const lines = (await readFile(await download.path(), "utf8")).replace(/^\uFEFF/, "").trim().split(/\r?\n/);
    expect({ header: lines[0]?.split(",").slice(0, 2), rows: lines.length - 1, named: lines.filter((l) => l.includes(`Bulk ${bulkTag}`)).length })
      .toEqual({ header: ["id", "name"], rows: 55, named: 55 });

    const labelled = await eventually(async () => {
      const found = await api<{ count: number }>(crmUrl, session, "POST", "/api/segments/preview",
        { filter: { op: "and", conditions: [{ field: "labels", operator: "hasAnyOf", value: [label.id] }] }, limit: 1 });
      return found.count === 55 ? found : undefined;
    }, live.timeout, "every customer of the segment carrying the label");
    expect(labelled.count).toBe(55);
    await context.close();
  });

  test("the built-in Dormant segment's N is the workspace's to change, and Restore default brings back 90 days", async () => {
    const dormant = "00000000-0000-0000-0000-00000000d001";
    const { page, context } = await newAgentPage(browser);
    await signIn(page, crmUrl, ann);
    await page.goto(`${crmUrl}/#/segments/${dormant}`);
    await visible(page.getByRole("heading", { name: /^Dormant/, level: 1 }));
    const days = page.getByRole("form", { name: "Segment" }).getByRole("spinbutton", { name: /: days$/ });
    await expect.poll(() => days.evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value))).toEqual(["90", "90"]);
    await days.nth(0).fill("60");
    await days.nth(1).fill("60");
    await page.getByRole("button", { name: "Save segment" }).click();
    await visible(page.getByRole("status").filter({ hasText: "Saved." }));
    type Filter = { conditions: (Filter | { value?: unknown })[] };
    const daysOf = (filter: Filter): unknown[] => filter.conditions.flatMap((c) => "conditions" in c ? daysOf(c) : typeof c.value === "number" ? [c.value] : []);
    const changed = await api<{ builtIn: boolean; filter: Filter }>(crmUrl, session, "GET", `/api/segments/${dormant}`);
    expect({ builtIn: changed.builtIn, days: daysOf(changed.filter) }).toEqual({ builtIn: true, days: [60, 60] });

    await page.getByRole("button", { name: "Restore default" }).click();
    await visible(page.getByRole("status").filter({ hasText: "Restored the default." }));
    await expect.poll(() => days.evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value))).toEqual(["90", "90"]);
    const restored = await api<{ filter: Filter }>(crmUrl, session, "GET", `/api/segments/${dormant}`);
    expect(daysOf(restored.filter)).toEqual([90, 90]);
    await context.close();
  });
});
