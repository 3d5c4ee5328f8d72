import type { TimelineMessage } from '../api/types';
import { duration } from './format';

/** WhatsApp lets a business send free-form replies for 24 hours after the customer's last message. */
export const ReplyWindowMs = 24 * 60 * 60 * 1000;

export interface ReplyWindow {
  open: boolean;
  closesAt: number | null;
  text: string;
}

/** The reply window from the newest customer message among those loaded; null when the channel has none or nothing is known. */
export function replyWindow(channel: string, messages: readonly TimelineMessage[], now: number): ReplyWindow | null {
  if (!channel.toLowerCase().startsWith('whatsapp')) return null;
  let newest = -Infinity;
  for (const message of messages) {
    if (message.direction !== 'inbound') continue;
    const at = Date.parse(message.createdAt);
    if (at > newest) newest = at;
  }
  if (newest === -Infinity) return null;
  const closesAt = newest + ReplyWindowMs;
  const left = closesAt - now;
  if (left <= 0) return { open: false, closesAt, text: 'Reply window closed: only templates can be sent' };
  return { open: true, closesAt, text: `Reply window closes in ${duration(left)}` };
}

/** How long until the text changes (to re-render no more often than needed). */
export function nextTick(window: ReplyWindow | null, now: number): number | null {
  if (!window?.open || window.closesAt === null) return null;
  const left = window.closesAt - now;
  return left < 60 * 60 * 1000 ? 15_000 : 60_000;
}
