import { describe, expect, it } from 'vitest';
import { customerTitle, duration, mapLink, mediaKind, mediaSource, safeHttpUrl, waited } from './format';

describe('safeHttpUrl', () => {
  it('keeps http and https URLs', () => {
    expect(safeHttpUrl('https://api.twilio.com/media/ME1')).toBe('https://api.twilio.com/media/ME1');
    expect(safeHttpUrl('http://example.com/a b')).toBe('http://example.com/a%20b');
  });
  it.each(['javascript:alert(1)', 'JaVaScRiPt:alert(1)', ' javascript:alert(1)', 'data:text/html,<script>', 'vbscript:x', '//evil.example/x',
    '/relative', 'file:///etc/passwd', '', null, undefined])('refuses %s', value => expect(safeHttpUrl(value)).toBeNull());
});

describe('mediaKind', () => {
  it('shows common images inline, audio and video in players, anything else as a document link', () => {
    expect(mediaKind('image/jpeg')).toBe('image');
    expect(mediaKind('IMAGE/PNG')).toBe('image');
    expect(mediaKind('image/svg+xml')).toBe('document');
    expect(mediaKind('audio/ogg')).toBe('audio');
    expect(mediaKind('video/mp4')).toBe('video');
    expect(mediaKind('application/pdf')).toBe('document');
    expect(mediaKind('<img src=x onerror=alert(1)>')).toBe('document');
    expect(mediaKind(null)).toBe('document');
  });
});

describe('mapLink', () => {
  it('links a location to a map', () => expect(mapLink(52.37, 4.89)).toBe('https://www.openstreetmap.org/?mlat=52.37&mlon=4.89#map=16/52.37/4.89'));
  it('refuses coordinates off the globe', () => {
    expect(mapLink(91, 0)).toBeNull();
    expect(mapLink(Number.NaN, 0)).toBeNull();
  });
});

describe('duration and waited', () => {
  it.each([[5_000, '5 s'], [125_000, '2 min'], [3_600_000 + 5 * 60_000, '1 h 5 min'], [3 * 3_600_000 + 59 * 60_000, '3 h'], [50 * 3_600_000, '2 d'], [-10, '0 s']])(
    '%d ms is %s', (ms, text) => expect(duration(ms)).toBe(text));
  it('says how long a customer has waited', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(waited('2026-01-01T11:48:00Z', now)).toBe('waiting 12 min');
    expect(waited(null, now)).toBeNull();
  });
});

describe('customerTitle', () => {
  it('prefers the name, else the number without the channel prefix', () => {
    expect(customerTitle('Zoë', 'whatsapp:+14155550100')).toBe('Zoë');
    expect(customerTitle('  ', 'whatsapp:+14155550100')).toBe('+14155550100');
    expect(customerTitle(null, '+14155550100')).toBe('+14155550100');
  });
});

describe('mediaSource', () => {
  it("fetches Crm's own media with the agent's token and shows other media straight from its http(s) URL", () => {
    expect(mediaSource('/api/media/5eed0000-0000-4000-8000-000000000002/abc%2F1')).toEqual({
      kind: 'authorized', path: '/api/media/5eed0000-0000-4000-8000-000000000002/abc%2F1',
    });
    expect(mediaSource('https://api.twilio.com/media/1.jpg')).toEqual({ kind: 'direct', url: 'https://api.twilio.com/media/1.jpg' });
  });

  it('refuses any other relative path, a way out of /api/media, and other schemes', () => {
    for (const url of ['/api/agents', '/api/media/../auth/sign-in', '/api/media/a/..%2F', '/api/media/%2e%2e/%2E%2E/auth', '/api/media/x/%2e%2e', '/api/media//evil.example/x', '/api/media/a?x=1',
      '/api/media/a\\b', '//evil.example/api/media/x', 'javascript:alert(1)', 'data:image/png;base64,AAAA', null]) {
      expect(mediaSource(url)).toBeNull();
    }
  });
});
