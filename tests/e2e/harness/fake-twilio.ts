import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { demoConnection } from "./twilio.js";

/** One message Crm asked "Twilio" to send. */
export interface SentMessage {
  sid: string;
  accountSid: string;
  /** The Basic credentials' user and password, as Crm sent them. */
  username: string;
  password: string;
  to: string;
  from: string;
  body: string;
  /** A Content template's SID and its variables (JSON), when Crm sent a template instead of a body. */
  contentSid: string | null;
  contentVariables: string | null;
  statusCallback: string | null;
  /** 201 when accepted, else the error status the fake answered. */
  answered: number;
}

/** A body containing this is refused as Twilio refuses a message outside WhatsApp's 24-hour window. */
export const refuseMarker = "[refuse-63016]";

/**
 * Twilio's REST API as far as Crm uses it: `POST /2010-04-01/Accounts/{sid}/Messages.json` (201, status queued) and
 * the account fetch `GET /2010-04-01/Accounts/{sid}.json` (200 active; 401, code 20003, for the demo account with
 * another auth token). Every send is recorded; tests read them from
 * `GET /_e2e/messages` (the tests run in another process than this server).
 */
export async function startFakeTwilio(): Promise<{ url: string; close: () => Promise<void> }> {
  const sent: SentMessage[] = [];
  const server: Server = createServer(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://fake");
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { "Content-Type": "application/json" });
      response.end(JSON.stringify(body));
    };
    try {
      const send = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(url.pathname);
      const account = /^\/2010-04-01\/Accounts\/([^/]+)\.json$/.exec(url.pathname);
      if (request.method === "POST" && send) {
        const form = new URLSearchParams(await readBody(request));
        const [username, password] = credentials(request);
        const body = form.get("Body") ?? "";
        const message: SentMessage = {
          sid: "SM" + randomBytes(16).toString("hex"),
          accountSid: decodeURIComponent(send[1]),
          username,
          password,
          to: form.get("To") ?? "",
          from: form.get("From") ?? "",
          body,
          contentSid: form.get("ContentSid"),
          contentVariables: form.get("ContentVariables"),
          statusCallback: form.get("StatusCallback"),
          answered: body.includes(refuseMarker) ? 400 : 201,
        };
        sent.push(message);
        if (message.answered === 400)
          return reply(400, { code: 63016, message: "Failed to send freeform message because you are outside the allowed window.", status: 400 });
        return reply(201, { sid: message.sid, status: "queued", to: message.to, from: message.from, body: message.body });
      }
      if (request.method === "GET" && account) {
        const sid = decodeURIComponent(account[1]);
        // The one account whose auth token the fake knows: another token for it is refused as Twilio refuses it.
        if (sid === demoConnection.accountSid && credentials(request)[1] !== demoConnection.authToken)
          return reply(401, { code: 20003, message: "Authenticate", more_info: "https://www.twilio.com/docs/errors/20003", status: 401 });
        return reply(200, { sid, status: "active", friendly_name: "Fake Twilio" });
      }
      if (request.method === "GET" && url.pathname === "/_e2e/messages") return reply(200, sent);
      reply(404, { code: 20404, message: "The requested resource was not found", status: 404 });
    } catch (error) {
      reply(500, { message: String(error) });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function credentials(request: IncomingMessage): [string, string] {
  const header = request.headers.authorization ?? "";
  if (!header.startsWith("Basic ")) return ["", ""];
  const decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return [decoded.slice(0, colon), decoded.slice(colon + 1)];
}

/** What the fake Twilio at `fakeTwilioUrl` was asked to send so far. */
export async function sentMessages(fakeTwilioUrl: string): Promise<SentMessage[]> {
  const response = await fetch(`${fakeTwilioUrl}/_e2e/messages`);
  return (await response.json()) as SentMessage[];
}
