import type { TestProject } from "vitest/node";
import { startCrm, type CrmProcess } from "./crm.js";
import { startFakeTwilio } from "./fake-twilio.js";
import { workspaceB } from "./accounts.js";

/**
 * Once per run: the fake Twilio, then a real Crm pointed at it (with a second workspace made by create-owner).
 * The returned teardown stops both, whatever the tests did.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const twilio = await startFakeTwilio();
  let crm: CrmProcess;
  try {
    crm = await startCrm(twilio.url, [workspaceB]);
  } catch (error) {
    await twilio.close();
    throw error;
  }
  project.provide("crmUrl", crm.url);
  project.provide("fakeTwilioUrl", twilio.url);
  return async () => {
    await crm.stop();
    await twilio.close();
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    crmUrl: string;
    fakeTwilioUrl: string;
  }
}
