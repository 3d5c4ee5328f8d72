import { forwardRef, useEffect, useImperativeHandle, useRef, useState, type KeyboardEvent } from 'react';
import { api, ApiError, qs } from '../api/client';
import { send, useHub } from '../api/hub';
import type { Agent, CannedReply, MessageTemplate, TimelineMessage } from '../api/types';
import type { ComposerMode } from '../logic/replyWindow';
import { mentionHandle, mentionQuery, slashQuery } from '../logic/thread';
import type { Directory } from './Inbox';
import { TemplatePicker } from './TemplatePicker';

export interface ComposerHandle {
  focus: (mode: 'reply' | 'note') => void;
}

type Suggestion = { kind: 'canned'; reply: CannedReply } | { kind: 'mention'; agent: Agent };

const TypingRepeatMs = 3000;

export const Composer = forwardRef<ComposerHandle, {
  conversationId: string; directory: Directory; replyMode: ComposerMode; onSent: (message: TimelineMessage) => void;
  templates: MessageTemplate[] | null; templatesError: string | null;
  /** The server refused free text (the window closed meanwhile): ask it what may be sent now. */
  onWindowClosed: () => void;
}>(function Composer({ conversationId, directory, replyMode, onSent, templates, templatesError, onWindowClosed }, ref) {
  const hub = useHub();
  const [mode, setMode] = useState<'reply' | 'note'>('reply');
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [suggestions, setSuggestions] = useState<Suggestion[]>([]);
  const [active, setActive] = useState(0);
  const [caret, setCaret] = useState(0);
  const input = useRef<HTMLTextAreaElement>(null);
  const templateSearch = useRef<HTMLInputElement>(null);
  const lastTyping = useRef(0);
  const stopTyping = useRef<ReturnType<typeof setTimeout> | null>(null);

  useImperativeHandle(ref, () => ({
    focus: next => {
      setMode(next);
      // Outside the reply window a reply starts at the template search; a note at the text box (shown from the next render
      // when the picker stood in its place).
      if (next === 'reply' && templateSearch.current) templateSearch.current.focus();
      else if (input.current) input.current.focus();
      else requestAnimationFrame(() => input.current?.focus());
    },
  }), []);

  // `/shortcut` at the start looks up canned replies; `@name` in a note suggests colleagues.
  const slash = slashQuery(text);
  const mention = mode === 'note' ? mentionQuery(text, caret) : null;
  useEffect(() => {
    if (slash === null) return;
    const abort = new AbortController();
    const timer = setTimeout(() => {
      api<CannedReply[]>(`/api/canned-replies${qs({ search: slash })}`, { signal: abort.signal })
        .then(replies => { setSuggestions(replies.slice(0, 8).map(reply => ({ kind: 'canned', reply }))); setActive(0); }, () => {});
    }, 120);
    return () => { clearTimeout(timer); abort.abort(); };
  }, [slash]);
  const mentionText = mention?.query ?? null;
  useEffect(() => {
    if (mentionText === null) return;
    const q = mentionText.toLowerCase();
    setSuggestions(directory.agents
      .filter(a => a.isActive !== false && a.id !== directory.me.id)
      .filter(a => mentionHandle(a.email).toLowerCase().startsWith(q) || a.name.toLowerCase().replace(/\s+/g, '').startsWith(q))
      .slice(0, 8)
      .map(agent => ({ kind: 'mention', agent })));
    setActive(0);
  }, [mentionText, directory]);
  const open = (slash !== null || mentionText !== null) && suggestions.length > 0;

  const typing = (value: string) => {
    setText(value);
    if (mode !== 'reply' && mode !== 'note') return;
    const now = Date.now();
    if (value && now - lastTyping.current > TypingRepeatMs) {
      lastTyping.current = now;
      send(hub, 'Typing', conversationId, true);
    }
    if (stopTyping.current) clearTimeout(stopTyping.current);
    stopTyping.current = setTimeout(() => {
      lastTyping.current = 0;
      send(hub, 'Typing', conversationId, false);
    }, 4000);
  };

  useEffect(() => () => {
    if (stopTyping.current) clearTimeout(stopTyping.current);
  }, []);

  const choose = async (suggestion: Suggestion) => {
    setSuggestions([]);
    if (suggestion.kind === 'canned') {
      try {
        const rendered = await api<{ text: string }>(`/api/conversations/${conversationId}/canned-replies/${suggestion.reply.id}/render`, { method: 'POST' });
        setText(rendered.text);
      } catch (failure) {
        setError(failure instanceof Error ? failure.message : String(failure));
      }
    } else if (mention) {
      const handle = `@${mentionHandle(suggestion.agent.email)} `;
      const next = text.slice(0, mention.start) + handle + text.slice(caret);
      setText(next);
      const at = mention.start + handle.length;
      requestAnimationFrame(() => { input.current?.setSelectionRange(at, at); setCaret(at); });
    }
    input.current?.focus();
  };

  const submit = async () => {
    const body = text.trim();
    if (!body || busy) return;
    setBusy(true);
    setError(null);
    try {
      const path = mode === 'note' ? 'notes' : 'messages';
      const message = await api<TimelineMessage>(`/api/conversations/${conversationId}/${path}`, { method: 'POST', body: { text: body } });
      setText('');
      if (stopTyping.current) clearTimeout(stopTyping.current);
      lastTyping.current = 0;
      send(hub, 'Typing', conversationId, false);
      onSent(message);
    } catch (failure) {
      // The typed text stays: a closed window (409) says why in the problem's detail, and the picker takes over.
      setError(failure instanceof Error ? failure.message : String(failure));
      if (mode === 'reply' && failure instanceof ApiError && failure.status === 409) onWindowClosed();
    } finally {
      setBusy(false);
      input.current?.focus();
    }
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (open) {
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        const step = event.key === 'ArrowDown' ? 1 : -1;
        setActive(a => (a + step + suggestions.length) % suggestions.length);
        return;
      }
      if (event.key === 'Enter' || event.key === 'Tab') {
        event.preventDefault();
        const chosen = suggestions[active];
        if (chosen) void choose(chosen);
        return;
      }
      if (event.key === 'Escape') {
        event.preventDefault();
        setSuggestions([]);
        return;
      }
    }
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void submit();
    }
  };

  const listId = `suggestions-${conversationId}`;
  const templateOnly = mode === 'reply' && replyMode.kind === 'template';
  const modes = (
      <div role="radiogroup" aria-label="Compose" className="mode">
        <label className={mode === 'reply' ? 'on' : ''}>
          <input type="radio" name={`mode-${conversationId}`} value="reply" checked={mode === 'reply'} onChange={() => setMode('reply')} />
          Reply
        </label>
        <label className={mode === 'note' ? 'on' : ''}>
          <input type="radio" name={`mode-${conversationId}`} value="note" checked={mode === 'note'} onChange={() => setMode('note')} />
          Private note
        </label>
        {!templateOnly && <span className="hint keys">Enter sends · Shift+Enter new line · / canned replies{mode === 'note' ? ' · @ mention' : ''}</span>}
      </div>
  );
  if (templateOnly) {
    return (
      <div className="composer reply">
        {modes}
        <TemplatePicker conversationId={conversationId} templates={templates} loadError={templatesError} onSent={onSent}
          searchRef={templateSearch} />
        {text.trim() && (
          <div className="unsent">
            <p className="hint">Not sent, kept here to copy (a private note can still take it):</p>
            <p className="pre">{text}</p>
          </div>
        )}
        {error && <p role="alert" className="error">{error}</p>}
      </div>
    );
  }
  return (
    <form className={`composer ${mode}`} onSubmit={e => { e.preventDefault(); void submit(); }}>
      {modes}
      {open && (
        <ul id={listId} role="listbox" aria-label={slash !== null ? 'Canned replies' : 'Mention a colleague'} className="suggestions">
          {suggestions.map((s, index) => (
            <li key={s.kind === 'canned' ? s.reply.id : s.agent.id} id={`${listId}-${index}`} role="option" aria-selected={index === active}
              onMouseDown={e => { e.preventDefault(); void choose(s); }}>
              {s.kind === 'canned'
                ? <><strong>/{s.reply.shortcut}</strong> <span className="hint">{s.reply.content.slice(0, 80)}</span></>
                : <><strong>@{mentionHandle(s.agent.email)}</strong> <span className="hint">{s.agent.name}</span></>}
            </li>
          ))}
        </ul>
      )}
      <div className="compose-row">
        <textarea ref={input} aria-label="Message" rows={2} maxLength={mode === 'note' ? 4000 : 1600} value={text}
          placeholder={mode === 'note' ? 'Private note: only agents see it' : 'Reply to the customer'}
          aria-autocomplete="list" aria-controls={open ? listId : undefined}
          aria-activedescendant={open ? `${listId}-${active}` : undefined}
          onChange={e => { typing(e.target.value); setCaret(e.target.selectionStart); }}
          onSelect={e => setCaret(e.currentTarget.selectionStart)}
          onKeyDown={onKeyDown} />
        <button type="submit" className="primary" disabled={busy || !text.trim()}>Send</button>
      </div>
      {error && <p role="alert" className="error">{error}</p>}
    </form>
  );
});
