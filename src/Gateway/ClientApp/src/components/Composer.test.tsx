import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Agent, MessageTemplate } from '../api/types';
import type { ComposerMode } from '../logic/replyWindow';
import { Composer } from './Composer';
import type { Directory } from './Inbox';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const me: Agent = { id: 'a1', name: 'Ann', email: 'ann@example.com', role: 'agent', workspaceId: 'w' };
const directory: Directory = { me, agents: [me], labels: [], teams: [], connections: null };
const templates: MessageTemplate[] = [{ id: 'HX1', name: 'Follow up', language: 'en', body: 'Hi {{1}}', variables: ['1'] }];
const open: ComposerMode = { kind: 'free-text', tone: 'open', notice: 'Reply window closes in 3 h' };
const closed: ComposerMode = { kind: 'template', notice: 'closed' };

function composer(mode: ComposerMode, onWindowClosed = () => {}) {
  return <Composer conversationId="c1" directory={directory} replyMode={mode} onSent={() => {}} templates={templates} templatesError={null}
    onWindowClosed={onWindowClosed} />;
}

describe('Composer', () => {
  it("keeps the agent's text and says the server's words when the window closed before Send, then asks what may go now", async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({
      title: 'Reply window closed', detail: "WhatsApp's 24-hour reply window closed at 2026-01-01 08:00 UTC: only a template can be sent now.",
    }), { status: 409, headers: { 'Content-Type': 'application/problem+json' } })));
    const onWindowClosed = vi.fn();
    const { rerender } = render(composer(open, onWindowClosed));
    fireEvent.change(screen.getByRole('textbox', { name: 'Message' }), { target: { value: 'Still there?' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send' }));

    await waitFor(() => expect(screen.getByRole('alert').textContent).toMatch(/^WhatsApp's 24-hour reply window closed at .*only a template/));
    expect(onWindowClosed).toHaveBeenCalledTimes(1);
    expect((screen.getByRole('textbox', { name: 'Message' }) as HTMLTextAreaElement).value).toBe('Still there?');

    // The window's new answer: the picker takes the text box's place, the text still on screen to copy.
    rerender(composer(closed, onWindowClosed));
    expect(screen.queryByRole('textbox', { name: 'Message' })).toBeNull();
    expect(screen.getByRole('form', { name: 'Send a template' })).toBeTruthy();
    expect(screen.getByText('Still there?')).toBeTruthy();
  });

  it('still takes a private note as text when only templates may reach the customer', () => {
    render(composer(closed));
    fireEvent.click(screen.getByRole('radio', { name: 'Private note' }));
    expect(screen.getByRole('textbox', { name: 'Message' })).toBeTruthy();
    expect(screen.queryByRole('form', { name: 'Send a template' })).toBeNull();
  });
});
