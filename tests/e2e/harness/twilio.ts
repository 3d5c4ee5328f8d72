import { createHmac, randomBytes } from "node:crypto";

/** The Development workspace's seeded Twilio connection (src/Gateway/appsettings.Development.json). */
export const demoConnection = {
  id: "5eed0000-0000-4000-8000-000000000002",
  accountSid: "ACdev00000000000000000000000000000",
  authToken: "dev-auth-token",
  number: "whatsapp:+14155238886",
};

/**
 * Twilio's request signature: base64(HMAC-SHA1(authToken, the full URL it called + every form key and value,
 * keys in ordinal order, concatenated)). deploy/dev/send-whatsapp.sh builds the same thing in bash.
 */
export function twilioSignature(authToken: string, url: string, form: Record<string, string>): string {
  const data = Object.keys(form)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .reduce((text, key) => text + key + form[key], url);
  return createHmac("sha1", authToken).update(data, "utf8").digest("base64");
}

/** Posts a form to Crm as Twilio does: form-encoded, signed for the exact URL. */
export async function postSigned(url: string, form: Record<string, string>, authToken = demoConnection.authToken): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": twilioSignature(authToken, url, form) },
    body: new URLSearchParams(form).toString(),
  });
}

export function newMessageSid(): string {
  return "SM" + randomBytes(16).toString("hex");
}

/** A random customer number (+1 555 01xx xxxx), so each test has customers of its own. */
export function newCustomerNumber(): string {
  return "+1555" + String(Math.floor(Math.random() * 10_000_000)).padStart(7, "0");
}

export interface CustomerMessage {
  /** International format, e.g. +14155550100. */
  from: string;
  body: string;
  profileName?: string;
  /** Attachments as Twilio lists them (MediaUrlN, MediaContentTypeN). */
  media?: { url: string; contentType: string }[];
}

/** A customer's WhatsApp message delivered to Crm by "Twilio": the signed webhook. Throws unless Crm took it. */
export async function sendCustomerMessage(crmUrl: string, message: CustomerMessage, connection = demoConnection): Promise<string> {
  const sid = newMessageSid();
  const form: Record<string, string> = {
    AccountSid: connection.accountSid,
    Body: message.body,
    From: "whatsapp:" + message.from,
    MessageSid: sid,
    NumMedia: String(message.media?.length ?? 0),
    To: connection.number,
  };
  message.media?.forEach((m, i) => { form[`MediaUrl${i}`] = m.url; form[`MediaContentType${i}`] = m.contentType; });
  if (message.profileName !== undefined) form.ProfileName = message.profileName;
  const response = await postSigned(`${crmUrl}/webhooks/twilio/${connection.id}`, form, connection.authToken);
  if (!response.ok) throw new Error(`Crm refused the webhook: ${response.status} ${await response.text()}`);
  return sid;
}

/**
 * A delivery status callback, as Twilio posts it to the StatusCallback URL Crm gave with the message
 * (`/webhooks/twilio/{connectionId}/status?messageId=…`); the signature covers the query string too.
 */
export async function sendStatusCallback(statusCallbackUrl: string, messageSid: string, status: string, connection = demoConnection): Promise<void> {
  const form = { AccountSid: connection.accountSid, MessageSid: messageSid, MessageStatus: status };
  const response = await postSigned(statusCallbackUrl, form, connection.authToken);
  if (!response.ok) throw new Error(`Crm refused the status callback: ${response.status} ${await response.text()}`);
}
