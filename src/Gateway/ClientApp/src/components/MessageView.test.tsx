import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { session } from '../api/client';
import type { TimelineMessage } from '../api/types';
import { MessageView } from './MessageView';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  session.token = null;
});

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
    show({ ...base, direction: 'outbound', text: 'hello', status: 'failed', errorCode: 'outside-reply-window', agent: 'ann' });
    expect(screen.getByText('Failed: outside the reply window: only a template can be sent')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Resend' })).toBeTruthy();
  });

  it("writes what the customer did as a sentence, keeping the provider's key as text", () => {
    show({ ...base, text: null, event: { kind: 'menu-clicked', key: hostile, detail: null } });
    expect(screen.getByRole('article', { name: 'Customer activity' }).textContent).toContain(`Tapped menu ${hostile}`);
    cleanup();
    show({ ...base, text: null, event: { kind: 'reaction', key: '❤️', detail: 'mid.1' } });
    expect(screen.getByText('Reacted ❤️ to a message')).toBeTruthy();
  });

  it('tags a template reply with its name, and a reply sent from outside Crm as such', () => {
    const sent = { ...base, direction: 'outbound' as const, status: 'sent', text: 'Your order A-7 shipped' };
    render(<MessageView message={{ ...sent, template: { templateId: 'HX1', language: 'en', variables: { '1': 'A-7' } } }} all={[]}
      conversationId="c" onSent={() => {}} templateName={id => (id === 'HX1' ? 'Order shipped' : null)} />);
    expect(screen.getByText('Template: Order shipped')).toBeTruthy();
    cleanup();
    show({ ...sent, template: { templateId: 'HX9', language: null, variables: {} } });
    expect(screen.getByText('Template: HX9')).toBeTruthy();
    cleanup();
    show({ ...sent, sentOutsideCrm: true });
    expect(screen.getByText('Sent from outside Crm')).toBeTruthy();
  });

  it("fetches Crm-kept media with the agent's token and shows it from a blob", async () => {
    session.token = 'agent-token';
    const fetchMock = vi.fn(async () => new Response(new Blob(['png']), { status: 200, headers: { 'Content-Type': 'image/png' } }));
    vi.stubGlobal('fetch', fetchMock);
    const created = vi.fn(() => 'blob:crm/1');
    Object.assign(URL, { createObjectURL: created, revokeObjectURL: vi.fn() });
    const container = show({ ...base, text: null, media: [{ url: '/api/media/c0/m1', contentType: 'image/jpeg' }] });
    await waitFor(() => expect(container.querySelector('img')?.getAttribute('src')).toBe('blob:crm/1'));
    expect(fetchMock).toHaveBeenCalledWith('/api/media/c0/m1', expect.objectContaining({ headers: { Authorization: 'Bearer agent-token' } }));
  });

  it('downloads a Crm-kept document only when asked', async () => {
    session.token = 'agent-token';
    const fetchMock = vi.fn(async () => new Response(new Blob(['%PDF']), { status: 200 }));
    vi.stubGlobal('fetch', fetchMock);
    Object.assign(URL, { createObjectURL: vi.fn(() => 'blob:crm/2'), revokeObjectURL: vi.fn() });
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {});
    show({ ...base, text: null, media: [{ url: '/api/media/c0/doc1', contentType: 'application/pdf' }] });
    expect(fetchMock).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole('button', { name: /Download document \(application\/pdf\)/ }));
    await waitFor(() => expect(click).toHaveBeenCalled());
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });
});
