import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MessageTemplate } from '../api/types';
import { TemplatePicker } from './TemplatePicker';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const templates: MessageTemplate[] = [
  { id: 'HXorder', name: 'Order shipped', language: 'en', body: 'Hi {{1}}, order {{2}} has shipped.', variables: ['1', '2'], category: 'UTILITY' },
  { id: 'HXwelcome', name: 'Welcome back', language: 'en', body: 'Welcome back!', variables: [] },
];
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/problem+json' } });

describe('TemplatePicker', () => {
  it('finds a template, previews it as the variables are filled, and sends it with them', async () => {
    const fetchMock = vi.fn<(path: string, init?: RequestInit) => Promise<Response>>(async () => json(202, { id: 'm1', direction: 'outbound', text: 'Hi Ann, order A-7 has shipped.' }));
    vi.stubGlobal('fetch', fetchMock);
    const onSent = vi.fn();
    render(<TemplatePicker conversationId="c1" templates={templates} loadError={null} onSent={onSent} />);

    fireEvent.change(screen.getByRole('searchbox', { name: 'Search templates' }), { target: { value: 'ship' } });
    expect(screen.queryByRole('radio', { name: /Welcome back/ })).toBeNull();
    fireEvent.click(screen.getByRole('radio', { name: /Order shipped \(en\)/ }));
    const send = screen.getByRole('button', { name: 'Send template' }) as HTMLButtonElement;
    expect(send.disabled).toBe(true);

    fireEvent.change(screen.getByLabelText('Value for {{1}}'), { target: { value: 'Ann' } });
    expect(screen.getByLabelText('Preview').textContent).toBe('Hi Ann, order {{2}} has shipped.');
    fireEvent.change(screen.getByLabelText('Value for {{2}}'), { target: { value: 'A-7' } });
    expect(screen.getByLabelText('Preview').textContent).toBe('Hi Ann, order A-7 has shipped.');
    fireEvent.click(send);

    await waitFor(() => expect(onSent).toHaveBeenCalled());
    const [path, init] = fetchMock.mock.calls[0] ?? [];
    expect(path).toBe('/api/conversations/c1/templates');
    expect(JSON.parse(String(init?.body))).toEqual({ templateId: 'HXorder', language: 'en', variables: { '1': 'Ann', '2': 'A-7' } });
  });

  it("says the server's word next to the variable it found missing", async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json(400, { title: 'Invalid', errors: { 'variables.2': ['Give 2 a value.'] } })));
    render(<TemplatePicker conversationId="c1" templates={templates} loadError={null} onSent={() => {}} />);
    fireEvent.click(screen.getByRole('radio', { name: /Order shipped/ }));
    fireEvent.change(screen.getByLabelText('Value for {{1}}'), { target: { value: 'Ann' } });
    fireEvent.change(screen.getByLabelText('Value for {{2}}'), { target: { value: 'x' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send template' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('Give 2 a value.'));
    expect(screen.getByLabelText('Value for {{2}}').getAttribute('aria-invalid')).toBe('true');
  });

  it('says where templates come from when the connection has none', () => {
    render(<TemplatePicker conversationId="c1" templates={[]} loadError={null} onSent={() => {}} />);
    expect(screen.getByText(/no templates yet/)).toBeTruthy();
  });
});
