import { describe, expect, it } from 'vitest';
import type { TimelineMessage } from '../api/types';
import { nextTick, replyWindow } from './replyWindow';

const at = (direction: TimelineMessage['direction'], createdAt: string): TimelineMessage => ({
  id: createdAt + direction, conversationId: 'c', customerId: 'u', channel: 'whatsapp', direction, channelMessageId: null, text: 'x', media: [],
  location: null, button: null, status: 'received', errorCode: null, agent: null, createdAt, statusUpdatedAt: createdAt,
});
const now = Date.parse('2026-01-02T09:00:00Z');

describe('replyWindow', () => {
  it('counts 24 h from the newest customer message, whatever came after it', () => {
    const window = replyWindow('whatsapp', [at('inbound', '2026-01-01T10:00:00Z'), at('inbound', '2026-01-01T12:00:00Z'), at('outbound', '2026-01-02T08:00:00Z')], now);
    expect(window).toEqual({ open: true, closesAt: Date.parse('2026-01-02T12:00:00Z'), text: 'Reply window closes in 3 h' });
  });
  it('says when it has closed', () => {
    const window = replyWindow('whatsapp', [at('inbound', '2026-01-01T08:59:59Z')], now);
    expect(window?.open).toBe(false);
    expect(window?.text).toBe('Reply window closed: only templates can be sent');
  });
  it('gives minutes near the end', () => {
    expect(replyWindow('whatsapp', [at('inbound', '2026-01-01T09:20:00Z')], now)?.text).toBe('Reply window closes in 20 min');
  });
  it('knows nothing without a customer message, or on channels without a window', () => {
    expect(replyWindow('whatsapp', [at('outbound', '2026-01-02T08:00:00Z')], now)).toBeNull();
    expect(replyWindow('email', [at('inbound', '2026-01-02T08:00:00Z')], now)).toBeNull();
  });
  it('re-renders more often in the last hour', () => {
    expect(nextTick(replyWindow('whatsapp', [at('inbound', '2026-01-01T09:30:00Z')], now), now)).toBe(15_000);
    expect(nextTick(replyWindow('whatsapp', [at('inbound', '2026-01-02T08:00:00Z')], now), now)).toBe(60_000);
  });
});
