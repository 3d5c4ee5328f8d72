import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { TimelineMessage } from '../api/types';
import { MessageView } from './MessageView';

afterEach(cleanup);

const hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>';
const base: TimelineMessage = {
  id: 'm', conversationId: 'c', customerId: 'u', channel: 'whatsapp', direction: 'inbound', channelMessageId: null, text: hostile, media: [],
  location: null, button: null, status: 'received', errorCode: null, agent: null, createdAt: '2026-01-01T10:00:00Z', statusUpdatedAt: '2026-01-01T10:00:00Z',
};
const show = (message: TimelineMessage) =>
  render(<MessageView message={message} all={[message]} conversationId="c" onSent={() => {}} />).container;

describe('MessageView', () => {
  it('renders a hostile message as text', () => {
    const container = show(base);
    expect(screen.getByText(hostile)).toBeTruthy();
    expect(container.querySelector('img, script')).toBeNull();
  });

  it('links and embeds only http(s) media', () => {
    const container = show({
      ...base, text: null, media: [
        { url: 'javascript:alert(1)', contentType: 'image/png' },
        { url: 'https://media.example/a.png', contentType: 'image/png' },
        { url: 'https://media.example/v.ogg', contentType: 'audio/ogg' },
        { url: 'https://media.example/doc.pdf', contentType: '<b>application/pdf</b>' },
      ],
    });
    const images = container.querySelectorAll('img');
    expect(images).toHaveLength(1);
    expect(images[0]?.getAttribute('src')).toBe('https://media.example/a.png');
    expect(container.querySelector('audio')?.getAttribute('src')).toBe('https://media.example/v.ogg');
    expect(screen.getByRole('link', { name: /Document \(<b>application\/pdf<\/b>\)/ }).getAttribute('href')).toBe('https://media.example/doc.pdf');
    for (const link of container.querySelectorAll('a')) expect(link.getAttribute('href')).toMatch(/^https:/);
    expect(screen.getByText(/cannot be opened safely/)).toBeTruthy();
  });

  it('shows a location as a map link and a button reply as what was tapped', () => {
    show({ ...base, text: null, location: { latitude: 52.37, longitude: 4.89, label: 'Office', address: null }, button: { text: 'Yes please', payload: 'yes' } });
    expect(screen.getByRole('link', { name: /Office/ }).getAttribute('href')).toContain('openstreetmap.org');
    expect(screen.getByText('Yes please')).toBeTruthy();
  });

  it('labels private notes and writes activity as a sentence', () => {
    show({ ...base, direction: 'note', text: 'between us', agent: 'ann' });
    expect(screen.getByRole('article', { name: 'Private note' })).toBeTruthy();
    cleanup();
    show({ ...base, direction: 'activity', text: null, agent: 'ann', activity: { kind: 'status-changed', from: 'open', to: 'resolved' } });
    expect(screen.getByText('ann resolved the conversation')).toBeTruthy();
  });

  it('gives a failed reply its reason and a Resend button', () => {
    show({ ...base, direction: 'outbound', text: 'hello', status: 'failed', errorCode: '63016', agent: 'ann' });
    expect(screen.getByText('Failed: outside the 24-hour reply window: only a template can be sent')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Resend' })).toBeTruthy();
  });
});
