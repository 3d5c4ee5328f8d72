import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import type { Browser, Locator } from "playwright-core";
import { launchBrowser, newAgentPage, screenshot, signIn, visible } from "../harness/browser.js";
import { ann, owner } from "../harness/accounts.js";
import { conversationLink, conversationList, messages, showView, uniqueName } from "../harness/inbox.js";
import { newCustomerNumber, sendCustomerMessage } from "../harness/twilio.js";
import { signInApi } from "../harness/api.js";
import { customerNamed, openCustomers, setCondition } from "../harness/customers.js";

const crmUrl = inject("crmUrl");
let browser: Browser;
beforeAll(async () => { browser = await launchBrowser(); });
afterAll(async () => { await browser?.close(); });

describe("On a phone", () => {
  test("at 390 px the list and the thread are separate views, with Back from the thread to the list", async () => {
    const name = uniqueName("Pia Phone");
    await sendCustomerMessage(crmUrl, { from: newCustomerNumber(), body: "Writing from my phone", profileName: name });
    const agent = await newAgentPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true });
    const { page } = agent;
    await signIn(page, crmUrl, ann);
    await showView(page, "All");
    await visible(conversationLink(page, name));
    await screenshot(page, "phone-list");
    // Nothing wider than the screen: no sideways scrolling.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

    await conversationLink(page, name).click();
    await visible(messages(page).getByText("Writing from my phone"));
    expect(await conversationList(page).isVisible()).toBe(false);
    await screenshot(page, "phone-thread");

    await page.getByRole("button", { name: "Back", exact: true }).click();
    await visible(conversationLink(page, name));
    expect(await messages(page).isVisible()).toBe(false);
    await agent.context.close();
  });

  test("at 390 px (and 360) every control of the header is on the screen, whole and uncovered, and named", async () => {
    // The owner has the most controls (Admin too); notifications not yet allowed adds their button.
    const agent = await newAgentPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true });
    const { page } = agent;
    await signIn(page, crmUrl, owner);
    const header = page.getByRole("banner");
    await visible(header.getByRole("button", { name: "Enable notifications" }));
    expect(await header.ariaSnapshot()).toMatch(/link "Inbox"[^]*link "Admin"[^]*button "Enable notifications"[^]*combobox "Availability"[^]*button "Sign out"/);

    await expectWholeControls(header);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(page, "phone-header");
    // A narrower phone too.
    await page.setViewportSize({ width: 360, height: 740 });
    await expectWholeControls(header);
    await agent.context.close();
  });
});

describe("Customer screens on a phone", () => {
  test("at 390 px the customer list with its filter builder and a profile fit the screen, with nothing to scroll sideways", async () => {
    const name = uniqueName("Phoebe Profile");
    await sendCustomerMessage(crmUrl, { from: newCustomerNumber(), body: "Small screen", profileName: name });
    const customer = await customerNamed(crmUrl, await signInApi(crmUrl, ann.email, ann.password), name);
    const agent = await newAgentPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true });
    const { page } = agent;
    await signIn(page, crmUrl, ann);
    await openCustomers(page);
    await page.getByText("Filter", { exact: true }).click();
    await page.getByRole("button", { name: "Add condition", exact: true }).click();
    await setCondition(page, "1", "Last message from the customer", "is between");
    await page.getByRole("button", { name: "Add group", exact: true }).click();
    await screenshot(page, "phone-customers");
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

    await page.goto(`${crmUrl}/#/customers/${customer.id}`);
    await visible(page.getByRole("heading", { name, level: 1 }));
    await visible(page.getByRole("button", { name: "Save profile" }));
    await screenshot(page, "phone-profile");
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await agent.context.close();
  });
});

/** Every control of the header is wholly on the screen, not cut by an ancestor, and not covered. */
async function expectWholeControls(header: Locator): Promise<void> {
  const controls = header.locator("a, button, select, input, [role=status]");
  const count = await controls.count();
  expect(count).toBeGreaterThanOrEqual(6);
  for (let i = 0; i < count; i++) {
    const control = controls.nth(i);
    // The skip link is off screen until focused, as skip links are: it is checked focused, then left.
    const skip = (await control.textContent())?.trim() === "Skip to content";
    if (skip) await control.focus();
    const problem = await control.evaluate((element) => {
      const box = element.getBoundingClientRect();
      const what = `${element.tagName.toLowerCase()} "${element.getAttribute("aria-label") ?? element.textContent?.trim()}"`;
      if (box.width === 0 || box.height === 0) return `${what} has no size`;
      if (box.left < 0 || box.top < 0 || box.right > window.innerWidth || box.bottom > window.innerHeight)
        return `${what} is not wholly on the screen: ${JSON.stringify(box)}`;
      // Not cut by an ancestor that clips its overflow.
      for (let parent = element.parentElement; parent; parent = parent.parentElement) {
        const style = getComputedStyle(parent);
        if (style.overflowX === "visible" && style.overflowY === "visible") continue;
        const clip = parent.getBoundingClientRect();
        if (box.left < clip.left || box.right > clip.right || box.top < clip.top || box.bottom > clip.bottom)
          return `${what} is cut by its ancestor ${parent.tagName.toLowerCase()}.${parent.className}`;
      }
      // Not covered: points across it (inside rounded corners) are the control's own.
      for (const [fx, fy] of [[0.5, 0.5], [0.25, 0.25], [0.75, 0.25], [0.25, 0.75], [0.75, 0.75]]) {
        const [x, y] = [box.left + box.width * fx!, box.top + box.height * fy!];
        const hit = document.elementFromPoint(x, y);
        if (!hit || !(hit === element || element.contains(hit))) return `${what} is covered at (${x}, ${y}) by ${hit?.outerHTML.slice(0, 80)}`;
      }
      return null;
    });
    if (skip) await control.blur();
    expect(problem).toBeNull();
  }
}
