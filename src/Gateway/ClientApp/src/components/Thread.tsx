import { useCallback, useEffect, useLayoutEffect, useReducer, useRef, useState } from 'react';
import { api, qs } from '../api/client';
import { send, useHub, usePush } from '../api/hub';
import type {
  Conversation, ConversationStatus, MessagePage, MessagesAddedPush, MessageTemplate, Priority, PresencePush, ReplyWindowView, TemplateCatalog,
  TimelineMessage,
} from '../api/types';
import { customerTitle } from '../logic/format';
import { composerMode, refetchAt } from '../logic/replyWindow';
import { mergeMessages } from '../logic/thread';
import { Composer, type ComposerHandle } from './Composer';
import { CustomerPanel } from './CustomerPanel';
import type { Directory } from './Inbox';
import { MessageView } from './MessageView';
import { ChannelBadge } from './ChannelBadge';
import { useNow } from './useNow';

interface Presence {
  viewing: Record<string, string>;
  typing: Record<string, { name: string; until: number }>;
}

export function Thread({ conversationId, directory, reconnects, onConversationChanged, onRead }: {
  conversationId: string;
  reconnects: number;
  directory: Directory;
  onConversationChanged: (conversation: Conversation) => void;
  onRead: (conversationId: string) => void;
}) {
  const hub = useHub();
  const [conversation, setConversation] = useState<Conversation | null>(null);
  const [messages, setMessages] = useState<TimelineMessage[]>([]);
  const [olderCursor, setOlderCursor] = useState<string | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [presence, setPresence] = useState<Presence>({ viewing: {}, typing: {} });
  const [showPanel, setShowPanel] = useState(false);
  const log = useRef<HTMLDivElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const composer = useRef<ComposerHandle>(null);
  const stickToBottom = useRef(true);
  const announcedTo = useRef(new Set<string>());
  const keepOffset = useRef<number | null>(null);
  const now = useNow(15_000);
  // What the channel lets an agent send now, as the server says; asked again when the customer writes or it runs out.
  const [replyWindow, setReplyWindow] = useState<ReplyWindowView | null>(null);
  const [windowAsked, askWindow] = useReducer((n: number) => n + 1, 0);
  const [templates, setTemplates] = useState<MessageTemplate[] | null>(null);
  const [templatesError, setTemplatesError] = useState<string | null>(null);

  const changed = useCallback((updated: Conversation) => {
    setConversation(updated);
    onConversationChanged(updated);
  }, [onConversationChanged]);

  const markRead = useCallback(() => {
    if (document.visibilityState !== 'visible') return;
    api(`/api/conversations/${conversationId}/read`, { method: 'POST' }).then(() => onRead(conversationId), () => {});
  }, [conversationId, onRead]);

  useEffect(() => {
    const abort = new AbortController();
    Promise.all([
      api<Conversation>(`/api/conversations/${conversationId}`, { signal: abort.signal }),
      api<MessagePage>(`/api/conversations/${conversationId}/messages${qs({ limit: 50 })}`, { signal: abort.signal }),
    ]).then(([found, page]) => {
      setConversation(found);
      setMessages(known => mergeMessages(known, page.items));
      setOlderCursor(page.olderCursor);
      markRead();
    }, failure => { if (!abort.signal.aborted) setError(failure instanceof Error ? failure.message : String(failure)); });
    return () => abort.abort();
    // A reconnect fetches the newest page again: pushes sent while the hub was away are not replayed.
  }, [conversationId, markRead, reconnects]);

  useEffect(() => {
    const abort = new AbortController();
    api<ReplyWindowView>(`/api/conversations/${conversationId}/reply-window`, { signal: abort.signal })
      .then(setReplyWindow, () => { if (!abort.signal.aborted) setReplyWindow(null); });
    return () => abort.abort();
  }, [conversationId, windowAsked, reconnects]);
  useEffect(() => {
    const now = Date.now();
    const at = refetchAt(replyWindow, now);
    if (at === null) return;
    // setTimeout's longest wait is about 24.8 days; a window is never that long.
    const timer = setTimeout(askWindow, Math.min(at - now, 2_000_000_000));
    return () => clearTimeout(timer);
  }, [replyWindow]);

  // The catalog is loaded once it is needed: for the picker, or to name the templates replies were sent as.
  const mode = composerMode(replyWindow, now);
  const needTemplates = mode.kind === 'template' || messages.some(m => m.template);
  useEffect(() => {
    if (!needTemplates) return;
    const abort = new AbortController();
    api<TemplateCatalog>(`/api/conversations/${conversationId}/templates`, { signal: abort.signal })
      .then(catalog => { setTemplates(catalog.templates); setTemplatesError(null); },
        failure => { if (!abort.signal.aborted) setTemplatesError(failure instanceof Error ? failure.message : String(failure)); });
    return () => abort.abort();
  }, [conversationId, needTemplates, reconnects]);
  const templateName = useCallback((templateId: string) => templates?.find(t => t.id === templateId)?.name ?? null, [templates]);

  // Focus goes to the conversation's title when one is opened, so keyboard and screen reader users land in it.
  useEffect(() => heading.current?.focus(), [conversationId]);

  // Others see who has it open; a dropped connection stops viewing by itself.
  useEffect(() => {
    send(hub, 'Viewing', conversationId, true);
    return () => send(hub, 'Viewing', conversationId, false);
  }, [hub, conversationId, reconnects]);

  usePush<MessagesAddedPush>('MessagesAdded', push => {
    const mine = push.messages.filter(m => m.conversationId === conversationId);
    if (mine.length) {
      setMessages(known => mergeMessages(known, mine));
      if (mine.some(m => m.direction === 'inbound')) markRead();
      // A customer's message reopens the window; a colleague's reply may use one of WeChat's few.
      if (mine.some(m => m.direction === 'inbound' || m.direction === 'outbound')) askWindow();
      // A message from someone typing ends their typing.
      setPresence(p => ({ ...p, typing: Object.fromEntries(Object.entries(p.typing).filter(([, t]) => !mine.some(m => m.agent === t.name))) }));
    }
    const updated = push.conversations.find(c => c.id === conversationId);
    if (updated) setConversation(updated);
  });
  usePush<TimelineMessage>('MessageStatusChanged', message => {
    if (message.conversationId === conversationId) setMessages(known => mergeMessages(known, [message]));
  });
  usePush<PresencePush>('AgentViewing', push => {
    if (push.conversationId !== conversationId) return;
    setPresence(p => {
      const viewing = Object.fromEntries(Object.entries(p.viewing).filter(([id]) => id !== push.agentId));
      if (push.active) viewing[push.agentId] = push.agentName;
      return { ...p, viewing };
    });
    // Whoever just opened it learns we are here too: the hub tells only of changes, so say it again (once per colleague,
    // or two viewers would answer each other forever).
    if (push.active && !announcedTo.current.has(push.agentId)) {
      announcedTo.current.add(push.agentId);
      send(hub, 'Viewing', conversationId, false);
      send(hub, 'Viewing', conversationId, true);
    }
  });
  usePush<PresencePush>('AgentTyping', push => {
    if (push.conversationId !== conversationId) return;
    setPresence(p => {
      const typing = Object.fromEntries(Object.entries(p.typing).filter(([id]) => id !== push.agentId));
      if (push.active) typing[push.agentId] = { name: push.agentName, until: Date.now() + 6000 };
      return { ...p, typing };
    });
  });
  // Typing that is not repeated has stopped.
  useEffect(() => {
    const entries = Object.values(presence.typing);
    if (entries.length === 0) return;
    const soonest = Math.min(...entries.map(t => t.until));
    const timer = setTimeout(() => setPresence(p => ({
      ...p, typing: Object.fromEntries(Object.entries(p.typing).filter(([, t]) => t.until > Date.now())),
    })), Math.max(100, soonest - Date.now()));
    return () => clearTimeout(timer);
  }, [presence.typing]);

  const loadOlder = useCallback(() => {
    if (!olderCursor || loadingOlder) return;
    setLoadingOlder(true);
    api<MessagePage>(`/api/conversations/${conversationId}/messages${qs({ limit: 50, before: olderCursor })}`)
      .then(page => {
        const el = log.current;
        keepOffset.current = el ? el.scrollHeight - el.scrollTop : null;
        setMessages(known => mergeMessages(known, page.items));
        setOlderCursor(page.olderCursor);
      }, failure => setError(failure instanceof Error ? failure.message : String(failure)))
      .finally(() => setLoadingOlder(false));
  }, [conversationId, olderCursor, loadingOlder]);

  // New messages keep the view at the bottom when it was there; older ones keep what the agent was reading in place.
  useLayoutEffect(() => {
    const el = log.current;
    if (!el) return;
    if (keepOffset.current !== null) {
      el.scrollTop = el.scrollHeight - keepOffset.current;
      keepOffset.current = null;
    } else if (stickToBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
  }, [messages]);

  const onScroll = () => {
    const el = log.current;
    if (!el) return;
    stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    if (el.scrollTop < 120) loadOlder();
  };

  const act = useCallback(async (path: string, body?: unknown, method = 'POST') => {
    setActionError(null);
    try {
      const result = await api<Conversation | null>(`/api/conversations/${conversationId}/${path}`, { method, body });
      if (result && typeof result === 'object' && 'status' in result && 'id' in result) changed(result);
      else changed(await api<Conversation>(`/api/conversations/${conversationId}`));
    } catch (failure) {
      setActionError(failure instanceof Error ? failure.message : String(failure));
    }
  }, [conversationId, changed]);

  // Shortcuts while a conversation is open: r reply, n note, e resolve/reopen, t take, Escape back to the list.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if ((event.target as HTMLElement).closest('input, textarea, select, [contenteditable], [role="listbox"]')) return;
      if (event.key === 'r') { event.preventDefault(); composer.current?.focus('reply'); }
      else if (event.key === 'n') { event.preventDefault(); composer.current?.focus('note'); }
      else if (event.key === 'e' && conversation) void act('status', { status: conversation.status === 'resolved' ? 'open' : 'resolved' });
      else if (event.key === 't' && conversation && !conversation.assigneeId) void act('take');
      else if (event.key === 'Escape') location.hash = '#/';
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [conversation, act]);

  const onSent = useCallback((message: TimelineMessage) => {
    stickToBottom.current = true;
    setMessages(known => mergeMessages(known, [message]));
    if (message.direction === 'outbound') askWindow();
  }, []);

  if (error && !conversation) {
    return (
      <section className="thread-pane" aria-label="Conversation">
        <a className="back" href="#/">Back</a>
        <p role="alert" className="error">{error}</p>
      </section>
    );
  }

  const title = conversation ? customerTitle(conversation.customerName, conversation.customerIdentity) : '…';
  const viewers = Object.entries(presence.viewing).filter(([id]) => id !== directory.me.id).map(([, name]) => name);
  const typers = Object.entries(presence.typing).filter(([id]) => id !== directory.me.id).map(([, t]) => t.name);

  return (
    <>
      <section className="thread-pane" aria-label="Conversation">
        <div className="thread-head">
          <button type="button" className="back" onClick={() => { location.hash = '#/'; }}>Back</button>
          <h2 ref={heading} tabIndex={-1}>{title}</h2>
          {conversation && <ChannelBadge channel={conversation.channel} />}
          <button type="button" className="panel-toggle" aria-expanded={showPanel} onClick={() => setShowPanel(s => !s)}>Customer</button>
          {conversation && <Actions conversation={conversation} directory={directory} act={act} />}
        </div>
        {actionError && <p role="alert" className="error">{actionError}</p>}
        <div className="log" role="log" aria-label="Messages" ref={log} onScroll={onScroll} tabIndex={0}>
          {olderCursor && (
            <button type="button" className="older" onClick={loadOlder} disabled={loadingOlder}>
              {loadingOlder ? 'Loading older messages…' : 'Load older messages'}
            </button>
          )}
          {messages.map(message => (
            <MessageView key={message.id} message={message} all={messages} conversationId={conversationId} onSent={onSent}
              templateName={templateName} />
          ))}
        </div>
        <div className="presence" aria-live="polite">
          {typers.length > 0 ? <span>{typers.join(', ')} {typers.length > 1 ? 'are' : 'is'} typing…</span>
            : viewers.length > 0 ? <span>{viewers.join(', ')} {viewers.length > 1 ? 'are' : 'is'} viewing</span> : null}
        </div>
        {mode.notice && (
          <p className={`reply-window ${mode.kind === 'template' ? 'closed' : mode.tone}`}>{mode.notice}</p>
        )}
        <Composer ref={composer} conversationId={conversationId} directory={directory} replyMode={mode} onSent={onSent}
          templates={templates} templatesError={templatesError} onWindowClosed={askWindow} />
      </section>
      {conversation && (
        <CustomerPanel conversation={conversation} directory={directory} shown={showPanel} act={act} />
      )}
    </>
  );
}

function Actions({ conversation, directory, act }: {
  conversation: Conversation; directory: Directory; act: (path: string, body?: unknown, method?: string) => Promise<void>;
}) {
  const [snoozeUntil, setSnoozeUntil] = useState('');
  const agents = directory.agents.filter(a => a.isActive !== false);
  const setStatus = (status: ConversationStatus, snoozedUntil?: string) => act('status', { status, snoozedUntil });
  return (
    <div className="actions" role="group" aria-label="Conversation actions">
      {!conversation.assigneeId && conversation.status !== 'resolved' && (
        <button type="button" className="primary" onClick={() => void act('take')}>Take</button>
      )}
      <label className="inline">
        <span className="visually-hidden">Assignee</span>
        <select aria-label="Assignee" value={conversation.assigneeId ?? ''}
          onChange={e => void act('assignee', { agentId: e.target.value || null })}>
          <option value="">Nobody (queue)</option>
          {conversation.assigneeId && !agents.some(a => a.id === conversation.assigneeId) && (
            <option value={conversation.assigneeId}>Someone</option>
          )}
          {agents.map(a => <option key={a.id} value={a.id}>{a.name}</option>)}
        </select>
      </label>
      <label className="inline">
        <span className="visually-hidden">Priority</span>
        <select aria-label="Priority" value={conversation.priority} onChange={e => void act('priority', { priority: e.target.value as Priority })}>
          <option value="none">No priority</option><option value="low">Low</option><option value="medium">Medium</option>
          <option value="high">High</option><option value="urgent">Urgent</option>
        </select>
      </label>
      {conversation.status === 'resolved'
        ? <button type="button" onClick={() => void setStatus('open')}>Reopen</button>
        : <button type="button" onClick={() => void setStatus('resolved')}>Resolve</button>}
      {conversation.status !== 'pending' && conversation.status !== 'resolved' && (
        <button type="button" onClick={() => void setStatus('pending')}>Pending</button>
      )}
      {(conversation.status === 'pending' || conversation.status === 'snoozed') && (
        <button type="button" onClick={() => void setStatus('open')}>Open</button>
      )}
      <details className="snooze">
        <summary>{conversation.status === 'snoozed' && conversation.snoozedUntil
          ? `Snoozed until ${new Date(conversation.snoozedUntil).toLocaleString()}` : 'Snooze'}</summary>
        <div className="menu">
          <button type="button" onClick={() => void setStatus('snoozed', new Date(Date.now() + 3600_000).toISOString())}>For 1 hour</button>
          <button type="button" onClick={() => void setStatus('snoozed', tomorrowAt9())}>Until tomorrow 9:00</button>
          <label>Until
            <input type="datetime-local" value={snoozeUntil} onChange={e => setSnoozeUntil(e.target.value)} />
          </label>
          <button type="button" disabled={!snoozeUntil} onClick={() => void setStatus('snoozed', new Date(snoozeUntil).toISOString())}>Snooze until then</button>
        </div>
      </details>
    </div>
  );
}

function tomorrowAt9(): string {
  const date = new Date();
  date.setDate(date.getDate() + 1);
  date.setHours(9, 0, 0, 0);
  return date.toISOString();
}
