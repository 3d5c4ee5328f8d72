import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import type { Browser } from "playwright-core";
import { readFile } from "node:fs/promises";
import { launchBrowser, live, newAgentPage, screenshot, signIn, visible } from "../harness/browser.js";
import { ann } from "../harness/accounts.js";
import { signInApi, type Session } from "../harness/api.js";
import { customerNamed, mobileNumber, openCustomers } from "../harness/customers.js";
import { selectedOption, selectOptionMatching } from "../harness/inbox.js";

const crmUrl = inject("crmUrl");
let browser: Browser;
let session: Session;
const tag = "im" + Math.random().toString(36).slice(2, 8);

beforeAll(async () => {
  session = await signInApi(crmUrl, ann.email, ann.password);
  browser = await launchBrowser();
});
afterAll(async () => { await browser?.close(); });

describe("Importing customers", () => {
  test("a CSV with bad rows imports the good ones, counts the rejected ones and offers their report with reasons", async () => {
    const csv = [
      "Name,Phone,Email,Birthday",
      `Ivy ${tag},${mobileNumber()},ivy.${tag}@example.com,1990-04-01`,
      `Igor ${tag},${mobileNumber()},,`,
      `Bad Phone ${tag},12,,`,
      `Bad Date ${tag},${mobileNumber()},,1990-13-45`,
    ].join("\n") + "\n";

    const { page, context, consoleErrors } = await newAgentPage(browser);
    await signIn(page, crmUrl, ann);
    await openCustomers(page);
    await page.getByRole("navigation", { name: "Customer screens" }).getByRole("link", { name: "Import" }).click();
    await page.getByLabel("CSV file", { exact: true }).setInputFiles({ name: `customers-${tag}.csv`, mimeType: "text/csv", buffer: Buffer.from(csv, "utf8") });
    await page.getByRole("button", { name: "Upload" }).click();

    // The mapping step: Crm's suggestion is shown; the agent completes it.
    const mapping = page.getByRole("form", { name: "Map columns" });
    await visible(mapping);
    expect(await selectedOption(mapping.getByRole("combobox", { name: "Column Name" }))).toBe("Name");
    expect(await selectedOption(mapping.getByRole("combobox", { name: "Column Phone" }))).toBe("Phone");
    await selectOptionMatching(mapping.getByRole("combobox", { name: "Column Email" }), /^Email$/);
    await selectOptionMatching(mapping.getByRole("combobox", { name: "Column Birthday" }), /^Birthday/);
    await mapping.getByRole("combobox", { name: "Find them by" }).selectOption({ label: "Phone" });
    await mapping.getByRole("radio", { name: /Leave them as they are/ }).check();
    await screenshot(page, "customers-import-mapping");
    await mapping.getByRole("button", { name: "Start import" }).click();

    await visible(page.getByRole("heading", { name: "Import finished." }), 30_000);
    const counts = page.getByRole("list", { name: "Counts" });
    await expect.poll(() => counts.getByRole("listitem").allTextContents(), live)
      .toEqual(["2 created", "0 updated", "0 skipped", "2 rejected"]);
    await screenshot(page, "customers-import-result");

    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Download rejected rows" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`customers-${tag}-rejected.csv`);
    const report = await readFile(await download.path(), "utf8");
    const lines = report.replace(/^\uFEFF/, "").trim().split(/\r?\n/);
    expect(lines[0]).toMatch(/^Row,Reasons,Name,Phone,Email,Birthday$/);
    expect(lines.slice(1).map(l => /,(Bad \w+ \w+),/.exec(l)?.[1])).toEqual([`Bad Phone ${tag}`, `Bad Date ${tag}`]);
    expect(report).not.toContain(`Ivy ${tag}`);

    // The good rows are customers now, with what the file said.
    const ivy = await customerNamed(crmUrl, session, `Ivy ${tag}`);
    expect(ivy.fields.birthday).toBe("1990-04-01");
    await customerNamed(crmUrl, session, `Igor ${tag}`);
    expect(consoleErrors).toEqual([]);
    await context.close();
  });
});
