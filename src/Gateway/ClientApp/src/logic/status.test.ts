import { describe, expect, it } from 'vitest';
import type { TimelineMessage } from '../api/types';
import { activitySentence, canResend, eventSentence, failureReason, statusWords } from './status';

const reply = (over: Partial<TimelineMessage>): TimelineMessage => ({
  id: 'm1', conversationId: 'c1', customerId: 'u1', channel: 'whatsapp', direction: 'outbound', channelMessageId: null, text: 'hi',
  media: [], location: null, button: null, status: 'pending', errorCode: null, agent: 'ann', createdAt: '2026-01-01T10:00:00Z',
  statusUpdatedAt: '2026-01-01T10:00:00Z', ...over,
});

describe('statusWords', () => {
  it.each([
    ['pending', 'Sending'], ['retrying', 'Retrying'], ['queued', 'Queued'], ['sent', 'Sent'], ['delivered', 'Delivered'],
    ['read', 'Read'], ['undelivered', 'Not delivered'], ['unknown-outcome', 'Outcome unknown'],
  ])('says %s as %s', (status, words) => expect(statusWords({ status, errorCode: null })).toBe(words));

  it('gives the reason a reply failed in words, not a code', () => {
    expect(statusWords({ status: 'failed', errorCode: '63016' })).toBe('Failed: outside the 24-hour reply window: only a template can be sent');
    expect(statusWords({ status: 'failed', errorCode: 'provider-unreachable' })).toBe('Failed: the provider could not be reached');
    expect(statusWords({ status: 'failed', errorCode: null })).toBe('Failed: no reason given');
  });

  it('names an unknown provider code as such', () => expect(failureReason('99999')).toBe('provider error 99999'));

  it.each(['outside-reply-window', 'reply-limit-reached', 'rate-limited', 'recipient-unavailable', 'credentials-rejected', 'not-permitted',
    'template-rejected', 'refused', 'provider-unreachable', 'expired', 'not-dispatched', 'connection-unavailable'])(
    'has words for Crm\'s reason %s', code => {
      const words = failureReason(code);
      expect(words).not.toBe(code);
      expect(words).not.toMatch(/^provider error/);
      expect(words.split(' ').length).toBeGreaterThan(2);
    });

  it('says a closed window and a used-up reply allowance apart', () => {
    expect(statusWords({ status: 'failed', errorCode: 'outside-reply-window' })).toBe('Failed: outside the reply window: only a template can be sent');
    expect(statusWords({ status: 'undelivered', errorCode: 'reply-limit-reached' }))
      .toBe('Not delivered: the most replies allowed until the customer writes again were sent');
  });

  it('never takes a code for a word of its own table', () => expect(failureReason('toString')).toBe('provider error toString'));
  it('keeps a raw provider code it has no words for', () => expect(statusWords({ status: 'failed', errorCode: '45015' })).toBe('Failed: provider error 45015'));
});

describe('canResend', () => {
  it('offers a failed reply once', () => {
    const failed = reply({ status: 'failed', errorCode: '30003' });
    expect(canResend(failed, [failed])).toBe(true);
    expect(canResend(failed, [failed, reply({ id: 'm2', resendOf: 'm1' })])).toBe(false);
  });
  it('never offers a delivered reply, a note or a customer message', () => {
    expect(canResend(reply({ status: 'delivered' }), [])).toBe(false);
    expect(canResend(reply({ direction: 'note', status: 'failed' }), [])).toBe(false);
    expect(canResend(reply({ direction: 'inbound', status: 'failed' }), [])).toBe(false);
  });
});

describe('activitySentence', () => {
  const entry = (kind: string, from: string | null, to: string | null, agent: string | null, reason?: string) =>
    activitySentence({ agent, activity: { kind, from, to, reason: reason ?? null } });

  it('says who got a conversation', () => {
    expect(entry('assigned', null, 'ann', null)).toBe('Assigned to ann');
    expect(entry('assigned', null, 'ann', 'bob')).toBe('Assigned to ann by bob');
    expect(entry('transferred', 'ann', 'bob', 'ann')).toBe('Transferred from ann to bob by ann');
  });
  it('says why the system took one back', () => {
    expect(entry('unassigned', 'ann', null, null, 'agent-offline')).toBe('Returned to the queue: agent offline (was ann)');
    expect(entry('unassigned', 'ann', null, 'ann')).toBe('Returned to the queue by ann');
  });
  it('says status changes as sentences', () => {
    expect(entry('status-changed', 'open', 'resolved', 'ann')).toBe('ann resolved the conversation');
    expect(entry('status-changed', 'resolved', 'open', null)).toBe('The conversation reopened');
    expect(entry('priority-changed', 'none', 'urgent', 'bob')).toBe('bob set the priority to urgent');
    expect(entry('label-added', null, 'VIP', 'bob')).toBe('bob added the label VIP');
  });
});

describe('eventSentence', () => {
  const say = (kind: string, key: string | null = null, detail: string | null = null) => eventSentence({ kind, key, detail });

  it.each([
    ['subscribed', null, null, 'Followed the account'],
    ['unsubscribed', null, null, 'Unfollowed the account'],
    ['scanned', 'spring-fair', null, 'Scanned code spring-fair'],
    ['menu-clicked', 'SALES', null, 'Tapped menu SALES'],
    ['link-opened', 'https://shop.example/sale', null, 'Opened https://shop.example/sale'],
    ['referral', 'summer', 'ADS', 'Came from ADS (summer)'],
    ['referral', 'summer', null, 'Came from summer'],
    ['reaction', '👍', 'm.123', 'Reacted 👍 to a message'],
    ['reaction', null, 'm.123', 'Removed a reaction'],
    ['reaction', '', 'm.123', 'Removed a reaction'],
  ])('says %s (%s, %s) as "%s"', (kind, key, detail, words) => expect(say(kind, key, detail)).toBe(words));

  it('says a followed account with the code scanned to follow it', () => expect(say('subscribed', 'qr-42')).toBe('Followed the account (scanned code qr-42)'));
  it('names an unknown kind rather than hide it', () => expect(say('poked', 'x')).toBe('poked: x'));
});
