import { describe, expect, it } from 'vitest';
import type { ReplyWindowView } from '../api/types';
import { composerMode, refetchAt } from './replyWindow';

const now = Date.parse('2026-01-02T09:00:00Z');
const window = (over: Partial<ReplyWindowView>): ReplyWindowView => ({
  channel: 'whatsapp', canSendFreeText: true, until: '2026-01-02T12:00:00Z', tag: null, refusal: null, repliesLeft: null,
  windowName: "WhatsApp's 24-hour reply window", ...over,
});

describe('composerMode', () => {
  it('offers the text box and counts down while the window is open', () => {
    expect(composerMode(window({}), now)).toEqual({ kind: 'free-text', tone: 'open', notice: 'Reply window closes in 3 h' });
    expect(composerMode(window({ until: '2026-01-02T09:20:00Z' }), now).notice).toBe('Reply window closes in 20 min');
  });

  it('offers only templates once the server says free text may not go, in its words', () => {
    const refusal = "WhatsApp's 24-hour reply window closed at 2026-01-01 08:00 UTC: only a template can be sent now.";
    expect(composerMode(window({ canSendFreeText: false, until: '2026-01-01T08:00:00Z', refusal }), now)).toEqual({ kind: 'template', notice: refusal });
  });

  it('offers only templates when the window ran out since the server was asked', () => {
    expect(composerMode(window({ until: '2026-01-02T08:59:59Z' }), now)).toEqual({
      kind: 'template', notice: "WhatsApp's 24-hour reply window has closed: only a template can be sent.",
    });
  });

  it('says how many replies WeChat still allows', () => {
    const wechat = window({ channel: 'wechat', until: '2026-01-03T09:00:00Z', repliesLeft: 4, windowName: "WeChat's 48-hour reply window" });
    expect(composerMode(wechat, now).notice).toBe('Reply window closes in 1 d · 4 replies left');
    expect(composerMode({ ...wechat, repliesLeft: 1 }, now).notice).toBe('Reply window closes in 1 d · 1 reply left');
  });

  it("tells a Messenger agent they may still reply as a human agent, until when", () => {
    const mode = composerMode(window({ channel: 'messenger', tag: 'HUMAN_AGENT', until: '2026-01-08T10:00:00Z' }), now);
    expect(mode.kind).toBe('free-text');
    expect(mode).toMatchObject({ tone: 'human-agent' });
    expect(mode.notice).toMatch(/^Messenger's standard window closed: you can reply as a human agent until .*2026/);
  });

  it('offers the text box and says nothing when the window is not known', () => {
    expect(composerMode(null, now)).toEqual({ kind: 'free-text', tone: 'open', notice: null });
    expect(composerMode(window({ until: null }), now)).toEqual({ kind: 'free-text', tone: 'open', notice: null });
  });
});

describe('refetchAt', () => {
  it('asks again a second after an open window runs out', () => {
    expect(refetchAt(window({}), now)).toBe(Date.parse('2026-01-02T12:00:01Z'));
    expect(refetchAt(window({ until: null }), now)).toBeNull();
    expect(refetchAt(null, now)).toBeNull();
  });

  it('never asks again by itself about a closed window: only a customer message opens it', () => {
    expect(refetchAt(window({ canSendFreeText: false, until: '2026-01-01T08:00:00Z' }), now)).toBeNull();
  });

  it('asks once a minute, not in a loop, when this clock is past an open window the server still counts', () => {
    expect(refetchAt(window({ until: '2026-01-02T08:59:00Z' }), now)).toBe(now + 60_000);
  });
});

describe('composerMode before the customer wrote', () => {
  it('offers only templates, in the server\'s words, with no countdown', () => {
    const refusal = "The customer has not written yet: outside WhatsApp's 24-hour reply window only a template can be sent.";
    expect(composerMode(window({ canSendFreeText: false, until: null, refusal }), now)).toEqual({ kind: 'template', notice: refusal });
    expect(composerMode(window({ canSendFreeText: false, until: null, refusal: null, windowName: null }), now))
      .toEqual({ kind: 'template', notice: 'The reply window has closed: only a template can be sent.' });
  });
});
