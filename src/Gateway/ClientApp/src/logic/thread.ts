import type { TimelineMessage } from '../api/types';

// A thread's messages: oldest first, each once, a status never going back to an older one.

export function byTime(a: TimelineMessage, b: TimelineMessage): number {
  return a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);
}

/** Merges messages into a thread: new ones in order; a known one only if its status is not older (pushes can overtake each other). */
export function mergeMessages(known: readonly TimelineMessage[], incoming: readonly TimelineMessage[]): TimelineMessage[] {
  if (incoming.length === 0) return known as TimelineMessage[];
  const byId = new Map(known.map(message => [message.id, message]));
  let changed = false;
  for (const message of incoming) {
    const existing = byId.get(message.id);
    if (existing && existing.statusUpdatedAt > message.statusUpdatedAt) continue;
    byId.set(message.id, message);
    changed = true;
  }
  return changed ? [...byId.values()].sort(byTime) : (known as TimelineMessage[]);
}

/** The `/shortcut` being typed at the start of the composer, or null. */
export function slashQuery(text: string): string | null {
  const match = /^\/([^\s/]*)$/.exec(text);
  return match ? match[1] ?? '' : null;
}

/** The `@name` being typed just before the caret, or null. */
export function mentionQuery(text: string, caret: number): { query: string; start: number } | null {
  const before = text.slice(0, caret);
  const match = /(^|\s)@([\w.-]*)$/.exec(before);
  if (!match) return null;
  const query = match[2] ?? '';
  return { query, start: caret - query.length - 1 };
}

/** How an agent is mentioned: the name part of their email, as the API understands it. */
export function mentionHandle(email: string): string {
  return email.split('@')[0] ?? email;
}
