import { describe, expect, it } from 'vitest';
import type { TimelineMessage } from '../api/types';
import { mentionHandle, mentionQuery, mergeMessages, slashQuery } from './thread';

const message = (id: string, createdAt: string, status = 'pending', statusUpdatedAt = createdAt): TimelineMessage => ({
  id, conversationId: 'c', customerId: 'u', channel: 'whatsapp', direction: 'outbound', channelMessageId: null, text: id, media: [],
  location: null, button: null, status, errorCode: null, agent: 'ann', createdAt, statusUpdatedAt,
});

describe('mergeMessages', () => {
  it('keeps the thread oldest to newest, each message once', () => {
    const page = [message('b', '2026-01-01T10:00:00Z'), message('c', '2026-01-01T11:00:00Z')];
    const older = [message('a', '2026-01-01T09:00:00Z'), message('b', '2026-01-01T10:00:00Z')];
    expect(mergeMessages(page, older).map(m => m.id)).toEqual(['a', 'b', 'c']);
  });
  it('never lets an older status replace a newer one', () => {
    const delivered = message('a', '2026-01-01T10:00:00Z', 'delivered', '2026-01-01T10:00:05Z');
    const lateSent = message('a', '2026-01-01T10:00:00Z', 'sent', '2026-01-01T10:00:02Z');
    expect(mergeMessages([delivered], [lateSent])[0]?.status).toBe('delivered');
    const read = message('a', '2026-01-01T10:00:00Z', 'read', '2026-01-01T10:00:09Z');
    expect(mergeMessages([delivered], [read])[0]?.status).toBe('read');
  });
  it('returns the same array when nothing changed (no re-render)', () => {
    const known = [message('a', '2026-01-01T10:00:00Z', 'read', '2026-01-01T10:00:09Z')];
    expect(mergeMessages(known, [message('a', '2026-01-01T10:00:00Z', 'sent', '2026-01-01T10:00:01Z')])).toBe(known);
  });
});

describe('composer triggers', () => {
  it('opens canned replies for a / at the start only', () => {
    expect(slashQuery('/')).toBe('');
    expect(slashQuery('/gree')).toBe('gree');
    expect(slashQuery('hello /gree')).toBeNull();
    expect(slashQuery('/greet you')).toBeNull();
  });
  it('suggests mentions for the @word before the caret', () => {
    expect(mentionQuery('hi @an', 6)).toEqual({ query: 'an', start: 3 });
    expect(mentionQuery('@', 1)).toEqual({ query: '', start: 0 });
    expect(mentionQuery('mail me@x', 9)).toBeNull();
    expect(mentionQuery('hi @ann and', 11)).toBeNull();
  });
  it('mentions an agent by the name part of their email', () => expect(mentionHandle('ann.lee@demo.crm')).toBe('ann.lee'));
});
