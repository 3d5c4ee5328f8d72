import { useCallback, useEffect, useReducer, useRef, useState, type KeyboardEvent } from 'react';
import { api, qs } from '../api/client';
import { usePush } from '../api/hub';
import type {
  Agent, ChannelConnection, Conversation, ConversationPage, ConversationReadPush, Label, MentionPush, MessagesAddedPush, SearchPage, Team,
} from '../api/types';
import { initialList, listParams, listReducer, newlyAssigned, NoFilters, type Filters, type View } from '../logic/conversations';
import { customerTitle, shortTime, waited } from '../logic/format';
import { notify } from '../logic/notify';
import { conversationHref } from '../logic/route';
import { ChannelBadge } from './ChannelBadge';
import { Thread } from './Thread';
import { useNow } from './useNow';

export interface Directory {
  me: Agent;
  agents: Agent[];
  labels: Label[];
  teams: Team[];
  connections: ChannelConnection[] | null;
}

const Views: { view: View; label: string }[] = [
  { view: 'mine', label: 'Mine' },
  { view: 'unassigned', label: 'Unassigned' },
  { view: 'all', label: 'All' },
];

const PageSize = 30;

export function Inbox({ me, conversationId, reconnects }: { me: Agent; conversationId: string | null; reconnects: number }) {
  const [directory, setDirectory] = useState<Directory>({ me, agents: [], labels: [], teams: [], connections: null });
  const [view, setView] = useState<View>(() => (sessionStorage.getItem('crm.view') as View | null) ?? 'mine');
  const [filters, setFilters] = useState<Filters>({ ...NoFilters, status: 'open' });
  const [list, dispatch] = useReducer(listReducer, { view, filters, me: me.id }, initialList);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [search, setSearch] = useState('');
  const [searchResults, setResults] = useState<SearchPage | null>(null);
  const openId = useRef(conversationId);
  const nextPageRequest = useRef<AbortController | null>(null);
  const tabRefs = useRef<(HTMLButtonElement | null)[]>([]);
  const now = useNow(30_000);

  useEffect(() => {
    openId.current = conversationId;
  }, [conversationId]);

  useEffect(() => {
    const ignore = () => null;
    void Promise.all([
      api<Agent[]>('/api/agents').catch(ignore),
      api<Label[]>('/api/labels').catch(ignore),
      api<Team[]>('/api/teams').catch(ignore),
      me.role === 'agent' ? Promise.resolve(null) : api<ChannelConnection[]>('/api/channel-connections').catch(ignore),
    ]).then(([agents, labels, teams, connections]) =>
      setDirectory({ me, agents: agents ?? [], labels: labels ?? [], teams: teams ?? [], connections }));
  }, [me]);

  // A new view or filter starts from its first page; a reconnect catches up on what the hub missed.
  useEffect(() => {
    const query = { view, filters, me: me.id };
    sessionStorage.setItem('crm.view', view);
    dispatch({ type: 'reset', query });
    // A next page still on its way belongs to the list being replaced.
    nextPageRequest.current?.abort();
    const abort = new AbortController();
    // eslint-disable-next-line react-hooks/set-state-in-effect -- the request starts here; it ends in its callback
    setLoading(true);
    api<ConversationPage>(`/api/conversations${qs({ ...listParams(query), limit: PageSize })}`, { signal: abort.signal })
      .then(page => {
        dispatch({ type: 'page', page, append: false, query });
        setError(null);
      }, failure => { if (!abort.signal.aborted) setError(failure instanceof Error ? failure.message : String(failure)); })
      .finally(() => { if (!abort.signal.aborted) setLoading(false); });
    return () => abort.abort();
  }, [view, filters, me.id, reconnects]);

  const loadMore = useCallback(() => {
    if (loading || !list.nextCursor) return;
    setLoading(true);
    const query = list.query;
    const abort = new AbortController();
    nextPageRequest.current = abort;
    api<ConversationPage>(`/api/conversations${qs({ ...listParams(query), limit: PageSize, cursor: list.nextCursor })}`, { signal: abort.signal })
      .then(page => dispatch({ type: 'page', page, append: true, query }),
        failure => { if (!abort.signal.aborted) setError(failure instanceof Error ? failure.message : String(failure)); })
      .finally(() => { if (!abort.signal.aborted) setLoading(false); });
  }, [loading, list.nextCursor, list.query]);

  // Search: results replace the list while a query is typed.
  useEffect(() => {
    const q = search.trim();
    if (!q) return;
    const abort = new AbortController();
    const timer = setTimeout(() => {
      api<SearchPage>(`/api/search${qs({ q: q.slice(0, 200), limit: 20 })}`, { signal: abort.signal })
        .then(setResults, failure => { if (!abort.signal.aborted) setError(failure instanceof Error ? failure.message : String(failure)); });
    }, 200);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [search]);

  usePush<MessagesAddedPush>('MessagesAdded', push => {
    dispatch({ type: 'messagesAdded', push, openConversationId: openId.current });
    for (const conversation of newlyAssigned(push, me)) {
      notify('New conversation assigned to you', `${customerTitle(conversation.customerName, conversation.customerIdentity)}: ${conversation.lastMessagePreview ?? ''}`,
        () => { location.hash = conversationHref(conversation.id); });
    }
  });
  usePush<ConversationReadPush>('ConversationRead', push => dispatch({ type: 'read', conversationId: push.conversationId }));
  usePush<MentionPush>('Mentioned', push => notify(`${push.note.agent ?? 'A colleague'} mentioned you`, push.note.text ?? '',
    () => { location.hash = conversationHref(push.conversationId); }));

  const conversationChanged = useCallback((conversation: Conversation) => {
    dispatch({ type: 'conversationChanged', conversation });
  }, []);
  const markedRead = useCallback((id: string) => dispatch({ type: 'read', conversationId: id }), []);
  // Between choosing another view or filter and the effect that resets the list, one render would show the old
  // view's conversations under the new tab (in the old order): show none until the list is the one chosen.
  const current = list.query.view === view && list.query.filters === filters;
  const shown = current ? list.items : [];

  const tabKey = (event: KeyboardEvent, index: number) => {
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (!step) return;
    const next = (index + step + Views.length) % Views.length;
    setView(Views[next]?.view ?? 'mine');
    tabRefs.current[next]?.focus();
  };

  const onScroll = (event: React.UIEvent<HTMLElement>) => {
    const el = event.currentTarget;
    if (el.scrollHeight - el.scrollTop - el.clientHeight < 200) loadMore();
  };

  // Results replace the list only while a query is typed.
  const results = search.trim() ? searchResults : null;
  const setFilter = (key: keyof Filters, value: string) => setFilters(f => ({ ...f, [key]: value }));

  return (
    <main id="main" tabIndex={-1} className={`inbox ${conversationId ? 'has-thread' : ''}`}>
      <section className="list-pane" aria-label="Inbox list">
        <div role="tablist" aria-label="Views" className="views">
          {Views.map((v, index) => (
            <button key={v.view} type="button" role="tab" id={`view-${v.view}`} aria-selected={view === v.view}
              tabIndex={view === v.view ? 0 : -1} ref={el => { tabRefs.current[index] = el; }}
              onClick={() => setView(v.view)} onKeyDown={e => tabKey(e, index)}>
              {v.label}
            </button>
          ))}
        </div>
        <input type="search" className="search" aria-label="Search" placeholder="Search messages, names, numbers" value={search}
          maxLength={200} onChange={e => setSearch(e.target.value)} onKeyDown={e => { if (e.key === 'Escape') setSearch(''); }} />
        {!results && (
          <details className="filters">
            <summary>Filters{Object.values(filters).filter(Boolean).length ? ` (${Object.values(filters).filter(Boolean).length})` : ''}</summary>
            <div className="filter-grid">
              <label>Status
                <select value={filters.status} onChange={e => setFilter('status', e.target.value)} disabled={view === 'unassigned'}>
                  <option value="">Any status</option><option value="open">Open</option><option value="pending">Pending</option>
                  <option value="snoozed">Snoozed</option><option value="resolved">Resolved</option>
                </select>
              </label>
              <label>Priority
                <select value={filters.priority} onChange={e => setFilter('priority', e.target.value)}>
                  <option value="">Any priority</option><option value="urgent">Urgent</option><option value="high">High</option>
                  <option value="medium">Medium</option><option value="low">Low</option><option value="none">None</option>
                </select>
              </label>
              <label>Label
                <select value={filters.label} onChange={e => setFilter('label', e.target.value)}>
                  <option value="">Any label</option>
                  {directory.labels.map(l => <option key={l.id} value={l.id}>{l.name}</option>)}
                </select>
              </label>
              <label>Team
                <select value={filters.team} onChange={e => setFilter('team', e.target.value)}>
                  <option value="">Any team</option>
                  {directory.teams.map(t => <option key={t.id} value={t.id}>{t.name}</option>)}
                </select>
              </label>
              {directory.connections && (
                <label>Channel connection
                  <select value={filters.connection} onChange={e => setFilter('connection', e.target.value)}>
                    <option value="">Any connection</option>
                    {directory.connections.map(c => <option key={c.id} value={c.id}>{c.displayName}</option>)}
                  </select>
                </label>
              )}
            </div>
          </details>
        )}
        {error && <p role="alert" className="error">{error}</p>}
        <div className="list-scroll" onScroll={onScroll} role="tabpanel" aria-labelledby={`view-${view}`}>
          {results ? (
            <ul role="list" aria-label="Search results" className="conversations">
              {results.items.length === 0 && <li className="hint">Nothing found.</li>}
              {results.items.map(hit => (
                <li key={`${hit.conversationId}-${hit.messageId ?? 'customer'}`}>
                  <a href={conversationHref(hit.conversationId)} className={`conversation ${hit.conversationId === conversationId ? 'selected' : ''}`}>
                    <span className="who">{hit.customerName ?? 'Customer'}</span>
                    <time className="when" dateTime={hit.at}>{shortTime(hit.at)}</time>
                    <span className="preview">{hit.snippet ?? (hit.messageId ? '' : 'Customer')}</span>
                    <span className="tags"><ChannelBadge channel={hit.channel} /></span>
                  </a>
                </li>
              ))}
            </ul>
          ) : (
            <ul role="list" aria-label="Conversations" className="conversations" aria-busy={loading}>
              {shown.map(c => (
                <ConversationItem key={c.id} conversation={c} unread={list.unread[c.id] ?? 0} selected={c.id === conversationId}
                  queue={view === 'unassigned'} now={now} directory={directory} />
              ))}
              {current && list.loaded && shown.length === 0 && (
                <li className="hint">{view === 'unassigned' ? 'Nobody is waiting in the queue.' : 'No conversations here.'}</li>
              )}
            </ul>
          )}
          {results?.nextCursor && (
            <button type="button" className="more" onClick={() => {
              const cursor = results.nextCursor;
              api<SearchPage>(`/api/search${qs({ q: search.trim().slice(0, 200), limit: 20, cursor })}`)
                .then(page => setResults(before => before && before.nextCursor === cursor
                  ? { items: [...before.items, ...page.items], nextCursor: page.nextCursor } : before),
                failure => setError(failure instanceof Error ? failure.message : String(failure)));
            }}>More results</button>
          )}
          {!results && list.nextCursor && (
            <button type="button" className="more" onClick={loadMore} disabled={loading}>Load more conversations</button>
          )}
        </div>
      </section>
      {conversationId ? (
        <Thread key={conversationId} conversationId={conversationId} directory={directory} reconnects={reconnects}
          onConversationChanged={conversationChanged} onRead={markedRead} />
      ) : (
        <section className="thread-pane empty" aria-label="Conversation">
          <p className="hint">Pick a conversation. Shortcuts: <kbd>j</kbd>/<kbd>k</kbd> next/previous, <kbd>r</kbd> reply, <kbd>n</kbd> note, <kbd>e</kbd> resolve.</p>
        </section>
      )}
      <ListShortcuts items={shown} conversationId={conversationId} />
    </main>
  );
}

function ConversationItem({ conversation: c, unread, selected, queue, now, directory }: {
  conversation: Conversation; unread: number; selected: boolean; queue: boolean; now: number; directory: Directory;
}) {
  const title = customerTitle(c.customerName, c.customerIdentity);
  const assignee = c.assigneeId ? directory.agents.find(a => a.id === c.assigneeId)?.name ?? 'someone' : null;
  const wait = queue ? waited(c.queuedAt ?? c.waitingSince, now) : null;
  return (
    <li>
      <a href={conversationHref(c.id)} className={`conversation ${selected ? 'selected' : ''} ${unread ? 'unread' : ''}`}
        aria-current={selected ? 'true' : undefined}>
        <span className="who">{title}</span>
        <time className="when" dateTime={c.lastMessageAt}>{shortTime(c.lastMessageAt)}</time>
        <span className="preview">{c.lastMessagePreview ?? ''}</span>
        <span className="tags">
          <ChannelBadge channel={c.channel} />
          {wait && <span className="wait">{wait}</span>}
          {c.status !== 'open' && <span className={`tag status-${c.status}`}>{c.status}</span>}
          {c.priority !== 'none' && <span className={`tag priority-${c.priority}`}>{c.priority}</span>}
          {!queue && <span className="assignee">{assignee ?? 'Unassigned'}</span>}
          {c.labels.map(id => {
            const label = directory.labels.find(l => l.id === id);
            return label ? <span key={id} className="tag label">{label.name}</span> : null;
          })}
        </span>
        {unread > 0 && <span className="badge" aria-label={`${unread} unread`}>{unread >= 100 ? '99+' : unread}</span>}
      </a>
    </li>
  );
}

/** j / k move through the list; ignored while typing. */
function ListShortcuts({ items, conversationId }: { items: Conversation[]; conversationId: string | null }) {
  useEffect(() => {
    const onKey = (event: globalThis.KeyboardEvent) => {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      const target = event.target as HTMLElement;
      if (target.closest('input, textarea, select, [contenteditable]')) return;
      if (event.key !== 'j' && event.key !== 'k') return;
      const index = items.findIndex(c => c.id === conversationId);
      const next = event.key === 'j' ? Math.min(items.length - 1, index + 1) : Math.max(0, index - 1);
      const target2 = items[next];
      if (target2) location.hash = conversationHref(target2.id);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [items, conversationId]);
  return null;
}
