// The REST client: bearer token, JSON, and problem details turned into sentences.

export class ApiError extends Error {
  readonly status: number;
  /** The problem's title, e.g. "Reply window closed", when the API gave one. */
  readonly title: string | null;
  /** Validation errors by field, e.g. `variables.name` or `templates[0].body`. */
  readonly errors: Record<string, string[]>;
  constructor(message: string, status: number, title: string | null = null, errors: Record<string, string[]> = {}) {
    super(message);
    this.status = status;
    this.title = title;
    this.errors = errors;
  }
}

interface Problem {
  title?: string;
  detail?: string;
  errors?: Record<string, string[]>;
}

/** What an agent reads when a call fails: the problem's detail, its validation errors, or the status. */
export function problemMessage(status: number, body: unknown): string {
  const problem = (body && typeof body === 'object' ? body : {}) as Problem;
  if (problem.errors) {
    const all = Object.values(problem.errors).flat();
    if (all.length > 0) return all.join(' ');
  }
  if (problem.detail) return problem.detail;
  if (problem.title) return problem.title;
  switch (status) {
    case 401: return 'Your session has ended: please sign in again.';
    case 403: return 'You are not allowed to do that.';
    case 404: return 'Not found: it may have been removed.';
    case 409: return 'Someone changed this meanwhile: look again and retry.';
    case 429: return 'Too many attempts: wait a moment and retry.';
    default: return status >= 500 ? 'Crm could not do that just now: try again.' : `The request failed (${status}).`;
  }
}

export interface ApiSession {
  token: string | null;
  /** Called when the API refuses the token: the app returns to sign-in. */
  onUnauthorized: () => void;
}

export const session: ApiSession = { token: null, onUnauthorized: () => {} };

/** A JSON call; `form` sends multipart form data instead of a JSON body (a file upload; the browser sets its boundary). */
export async function api<T>(path: string, init: { method?: string; body?: unknown; form?: FormData; signal?: AbortSignal } = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (init.body !== undefined && !init.form) headers['Content-Type'] = 'application/json';
  const hadToken = session.token !== null;
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  let response: Response;
  try {
    response = await fetch(path, {
      method: init.method ?? 'GET',
      headers,
      body: init.form ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
      signal: init.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError('Crm cannot be reached: check your connection.', 0);
  }
  const isJson = (response.headers.get('content-type') ?? '').includes('json');
  const body: unknown = isJson ? await response.json().catch(() => null) : null;
  if (response.status === 401 && hadToken) {
    session.onUnauthorized();
    throw new ApiError('Your session has ended: please sign in again.', 401);
  }
  if (!response.ok) throw problemError(response.status, body);
  return body as T;
}

function problemError(status: number, body: unknown): ApiError {
  const problem = (body && typeof body === 'object' ? body : {}) as Problem;
  return new ApiError(problemMessage(status, body), status, typeof problem.title === 'string' ? problem.title : null,
    problem.errors && typeof problem.errors === 'object' ? problem.errors : {});
}

/**
 * Bytes the API keeps behind the agent's token (provider-kept media at /api/media/…): fetched with the Authorization
 * header, which an <img src> cannot send, to be shown from a blob URL.
 */
export async function apiBlob(path: string, signal?: AbortSignal, body?: unknown): Promise<Blob> {
  const headers: Record<string, string> = {};
  const hadToken = session.token !== null;
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  // A body makes it a POST (e.g. the CSV export of a filter not saved as a segment).
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, body === undefined ? { headers, signal } : { method: 'POST', headers, signal, body: JSON.stringify(body) });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError('Crm cannot be reached: check your connection.', 0);
  }
  if (response.status === 401 && hadToken) {
    session.onUnauthorized();
    throw new ApiError('Your session has ended: please sign in again.', 401);
  }
  if (!response.ok) {
    const isJson = (response.headers.get('content-type') ?? '').includes('json');
    throw problemError(response.status, isJson ? await response.json().catch(() => null) : null);
  }
  return response.blob();
}

export const qs = (params: Record<string, string | number | null | undefined>): string => {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== null && value !== undefined && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
};
