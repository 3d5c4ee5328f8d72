import type { ReplyWindowView } from '../api/types';
import { duration } from './format';

// The server says what the conversation's channel lets an agent send (GET /api/conversations/{id}/reply-window); the
// app only counts down to `until` between fetches, and fetches again when it passes or the customer writes.

export const HumanAgentTag = 'HUMAN_AGENT';

export type ComposerMode =
  /** Free text may be sent; `notice` says until when (null: nothing to say, e.g. a channel without a window). */
  | { kind: 'free-text'; notice: string | null; tone: 'open' | 'human-agent' }
  /** Only an approved template may go out; `notice` says why. */
  | { kind: 'template'; notice: string };

/** What the composer offers: the text box, or the template picker once the window has closed. */
export function composerMode(window: ReplyWindowView | null, now: number): ComposerMode {
  if (!window) return { kind: 'free-text', notice: null, tone: 'open' };
  const until = window.until ? Date.parse(window.until) : NaN;
  const name = window.windowName ?? 'The reply window';
  const closedNotice = window.refusal ?? `${name} has closed: only a template can be sent.`;
  if (!window.canSendFreeText) return { kind: 'template', notice: closedNotice };
  // Past `until` the server's answer is stale: the window closed meanwhile (the fetch that follows says what now).
  if (!Number.isNaN(until) && until <= now) return { kind: 'template', notice: `${name} has closed: only a template can be sent.` };
  if (window.tag === HumanAgentTag) {
    const when = Number.isNaN(until) ? 'for now' : `until ${new Date(until).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' })}`;
    return { kind: 'free-text', tone: 'human-agent', notice: `Messenger's standard window closed: you can reply as a human agent ${when}` };
  }
  const parts: string[] = [];
  if (!Number.isNaN(until)) parts.push(`Reply window closes in ${duration(until - now)}`);
  if (window.repliesLeft !== null && window.repliesLeft !== undefined)
    parts.push(`${window.repliesLeft} ${window.repliesLeft === 1 ? 'reply' : 'replies'} left`);
  return { kind: 'free-text', tone: 'open', notice: parts.length ? parts.join(' · ') : null };
}

/**
 * When to ask the server again without being told: a second after an open window's `until` (it may close, or become
 * Messenger's human-agent week). A closed window changes only when the customer writes (a push says so): never. An open
 * window whose `until` this clock already passed (clocks disagree) is asked again once a minute, not in a loop.
 */
export function refetchAt(window: ReplyWindowView | null, now: number): number | null {
  if (!window?.canSendFreeText || !window.until) return null;
  const until = Date.parse(window.until);
  if (Number.isNaN(until)) return null;
  return until + 1000 > now ? until + 1000 : now + 60_000;
}
