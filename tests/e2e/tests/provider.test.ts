import { describe, expect, inject, test } from "vitest";
import { api, signInApi } from "../harness/api.js";
import { ann } from "../harness/accounts.js";
import { eventually } from "../harness/eventually.js";
import { sentMessages } from "../harness/fake-twilio.js";
import { demoConnection, newCustomerNumber, postSigned, sendCustomerMessage, sendStatusCallback } from "../harness/twilio.js";

const crmUrl = inject("crmUrl");
const fakeTwilioUrl = inject("fakeTwilioUrl");

// The harness's own promises, kept through the API alone: if these fail, the browser tests cannot mean anything.
describe("The harness plays Twilio as Crm expects", () => {
  test("a webhook signed with the connection's auth token is taken, one signed with another is refused", async () => {
    const url = `${crmUrl}/webhooks/twilio/${demoConnection.id}`;
    const form = { AccountSid: demoConnection.accountSid, Body: "forged", From: "whatsapp:" + newCustomerNumber(), MessageSid: "SMforged", NumMedia: "0", To: demoConnection.number };
    expect((await postSigned(url, form, "not-the-auth-token")).status).toBe(403);
    await sendCustomerMessage(crmUrl, { from: newCustomerNumber(), body: "signed properly", profileName: "Harness Check" });
  });

  test("a reply goes out through the fake Twilio with the connection's credentials, and a signed status callback settles it", async () => {
    const customer = newCustomerNumber();
    const word = "harnessword" + Date.now();
    await sendCustomerMessage(crmUrl, { from: customer, body: `Hello ${word}`, profileName: "Harness Reply" });
    const session = await signInApi(crmUrl, ann.email, ann.password);
    type Found = { items: { conversationId: string }[] };
    const conversationId = await eventually(async () => (await api<Found>(crmUrl, session, "GET", `/api/search?q=${word}`)).items[0]?.conversationId, 15_000, "the customer's message being searchable");

    type Message = { id: string; status?: string; text?: string };
    const reply = await api<Message>(crmUrl, session, "POST", `/api/conversations/${conversationId}/messages`, { text: "Hi from the harness" });
    const sent = await eventually(async () => (await sentMessages(fakeTwilioUrl)).find((m) => m.to === "whatsapp:" + customer), 15_000, "the reply reaching the fake Twilio");
    expect(sent).toMatchObject({ body: "Hi from the harness", from: demoConnection.number, accountSid: demoConnection.accountSid, username: demoConnection.accountSid, password: demoConnection.authToken });
    expect(sent.statusCallback).toBe(`${crmUrl}/webhooks/twilio/${demoConnection.id}/status?messageId=${reply.id}`);

    type Page = { items: Message[] };
    const statusOf = async () => (await api<Page>(crmUrl, session, "GET", `/api/conversations/${conversationId}/messages`)).items.find((m) => m.id === reply.id)?.status;
    await eventually(async () => (await statusOf()) === "queued", 15_000, "the reply being queued");
    await sendStatusCallback(sent.statusCallback!, sent.sid, "delivered");
    await eventually(async () => (await statusOf()) === "delivered", 15_000, "the reply being delivered");
  });
});
