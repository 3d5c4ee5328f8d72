import type { Locator, Page } from "playwright-core";
import { api, type Session } from "./api.js";
import { eventually } from "./eventually.js";
import { live, visible } from "./browser.js";

// The customer screens (issue 9): arranged through the public API, found on screen by role and accessible name.

export interface CustomerProfile {
  id: string;
  version: number;
  fields: { name: string | null; company: string | null; phones: { number: string }[]; [key: string]: unknown };
  identities: { channel: string; value: string }[];
  labelIds?: string[];
}

/**
 * The workspace's customer of exactly that name, once the inbox has stored them: the list by name, page after page
 * (an e2e run holds a few hundred customers), so arranging a test needs no segments.
 */
export async function customerNamed(crmUrl: string, session: Session, name: string): Promise<CustomerProfile> {
  return eventually(async () => {
    let cursor: string | null = null;
    do {
      const page: { items: CustomerProfile[]; nextCursor: string | null } = await api(crmUrl, session, "GET",
        `/api/customers?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      const found = page.items.find((c) => c.fields.name === name);
      if (found) return found;
      cursor = page.nextCursor;
    } while (cursor);
    return undefined;
  }, live.timeout, `the customer ${name} being stored`);
}

/**
 * A number an import accepts: a valid Chinese mobile (+86 138…), random per call. The webhooks' +1 555 numbers are
 * not valid numbers to libphonenumber, and an import checks them (Twilio's webhooks are not checked).
 */
export function mobileNumber(): string {
  return "+86138" + String(Math.floor(Math.random() * 100_000_000)).padStart(8, "0");
}

export interface CustomerImport {
  id: string;
  status: string;
  total: number;
  processed: number;
  created: number;
  updated: number;
  skipped: number;
  rejected: number;
}

/** Uploads a CSV as the wizard does (multipart), without starting it. */
export async function uploadCsv(crmUrl: string, session: Session, fileName: string, csv: string): Promise<CustomerImport> {
  const form = new FormData();
  form.append("file", new Blob([csv], { type: "text/csv" }), fileName);
  const response = await fetch(`${crmUrl}/api/customers/imports`, { method: "POST", headers: { Authorization: `Bearer ${session.token}` }, body: form });
  const text = await response.text();
  if (!response.ok) throw new Error(`upload: ${response.status} ${text}`);
  return JSON.parse(text) as CustomerImport;
}

/** Imports a CSV through the API (upload, mapping, start) and waits until it finished. */
export async function importCsv(crmUrl: string, session: Session, csv: string, columns: Record<string, string | null>, dedupeOn = "phone"): Promise<CustomerImport> {
  const job = await uploadCsv(crmUrl, session, "arranged.csv", csv);
  await api(crmUrl, session, "PUT", `/api/customers/imports/${job.id}/mapping`, { columns, dedupe: { on: dedupeOn, whenFound: "update" } });
  await api(crmUrl, session, "POST", `/api/customers/imports/${job.id}/start`);
  return eventually(async () => {
    const found = await api<CustomerImport>(crmUrl, session, "GET", `/api/customers/imports/${job.id}`);
    return found.status === "completed" ? found : undefined;
  }, 30_000, "the arranged import finishing");
}

export async function openCustomers(page: Page): Promise<void> {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Customers" }).click();
  await visible(page.getByRole("heading", { name: "Customers", level: 1 }));
}

/** A condition of the filter builder by its place ("1", "2.1"). */
export function condition(page: Page, place: string): Locator {
  return page.getByRole("group", { name: `Condition ${place}`, exact: true });
}

/** Sets a condition: field by its label, comparison by its words, and the value (typed, or chosen when a select). */
export async function setCondition(page: Page, place: string, field: string, comparison: string, value?: string): Promise<void> {
  const row = condition(page, place);
  await row.getByRole("combobox", { name: `Condition ${place}: field` }).selectOption({ label: field });
  await row.getByRole("combobox", { name: `Condition ${place}: comparison` }).selectOption({ label: comparison });
  if (value === undefined) return;
  const days = row.getByRole("spinbutton", { name: `Condition ${place}: days` });
  if (await days.count()) return days.fill(value);
  const picker = row.getByRole("combobox", { name: `Condition ${place}: value` });
  if (await picker.count()) {
    await picker.selectOption({ label: value });
    return;
  }
  await row.getByRole("textbox", { name: `Condition ${place}: value` }).fill(value);
}

/** The live count ("3 customers match"), once it says a number. */
export async function liveCount(page: Page, expected: number): Promise<void> {
  const status = page.getByRole("status").filter({ hasText: /customers? match/ });
  const want = `${expected.toLocaleString("en")} customer${expected === 1 ? "" : "s"} match${expected === 1 ? "es" : ""}`;
  let said = "";
  await eventually(async () => {
    said = (await status.first().textContent())?.trim() ?? "";
    return said === want;
  }, live.timeout, `the live count saying "${want}"`).catch((error: Error) => { throw new Error(`${error.message}; it says "${said}"`); });
}
