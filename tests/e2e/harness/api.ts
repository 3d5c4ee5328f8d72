/** The public REST API, for what a test arranges or checks without a browser. */
export interface Session {
  token: string;
  agent: { id: string; name: string; email: string; role: string; workspaceId: string };
}

export async function signInApi(crmUrl: string, email: string, password: string): Promise<Session> {
  const response = await fetch(`${crmUrl}/api/auth/sign-in`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  if (!response.ok) throw new Error(`sign-in of ${email}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Session;
}

export async function api<T>(crmUrl: string, session: Session, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${crmUrl}${path}`, {
    method,
    headers: { Authorization: `Bearer ${session.token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** The agent's chosen availability; "away" keeps their conversations and gives them no new ones. */
export async function setAvailability(crmUrl: string, email: string, password: string, availability: "online" | "away" | "offline"): Promise<void> {
  const session = await signInApi(crmUrl, email, password);
  await api(crmUrl, session, "PUT", "/api/agents/me/availability", { availability });
}
