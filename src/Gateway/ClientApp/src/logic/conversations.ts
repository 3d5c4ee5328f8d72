import type { Conversation, ConversationPage, MessagesAddedPush, Priority, ConversationStatus } from '../api/types';

// The conversation list: pages from the API, then pushes applied in place, so nothing is refetched.

export type View = 'mine' | 'unassigned' | 'all';

export interface Filters {
  status: ConversationStatus | '';
  connection: string;
  label: string;
  team: string;
  priority: Priority | '';
}

export const NoFilters: Filters = { status: '', connection: '', label: '', team: '', priority: '' };

export interface ListQuery {
  view: View;
  filters: Filters;
  me: string;
}

/** The API's query for a view and its filters. */
export function listParams(query: ListQuery): Record<string, string> {
  const params: Record<string, string> = {};
  if (query.view === 'mine') params.assignee = 'me';
  if (query.view === 'unassigned') params.sort = 'queue';
  const { status, connection, label, team, priority } = query.filters;
  if (status && query.view !== 'unassigned') params.status = status;
  if (connection) params.connection = connection;
  if (label) params.label = label;
  if (team) params.team = team;
  if (priority) params.priority = priority;
  return params;
}

/** Whether a conversation, as it now is, belongs in the list. */
export function belongs(conversation: Conversation, query: ListQuery): boolean {
  const { filters } = query;
  if (query.view === 'mine' && conversation.assigneeId !== query.me) return false;
  if (query.view === 'unassigned' && (conversation.assigneeId || conversation.status !== 'open' || !conversation.queuedAt)) return false;
  if (filters.status && query.view !== 'unassigned' && conversation.status !== filters.status) return false;
  if (filters.connection && conversation.connectionId !== filters.connection) return false;
  if (filters.label && !conversation.labels.includes(filters.label)) return false;
  if (filters.team && conversation.teamId !== filters.team) return false;
  if (filters.priority && conversation.priority !== filters.priority) return false;
  return true;
}

/** Negative when a comes first: the queue oldest first, other views latest activity first (ties by id, as the API). */
export function compare(view: View, a: Conversation, b: Conversation): number {
  if (view === 'unassigned') {
    const byQueue = (a.queuedAt ?? '').localeCompare(b.queuedAt ?? '');
    return byQueue !== 0 ? byQueue : a.id.localeCompare(b.id);
  }
  const byActivity = b.lastMessageAt.localeCompare(a.lastMessageAt);
  return byActivity !== 0 ? byActivity : b.id.localeCompare(a.id);
}

export interface ListState {
  query: ListQuery;
  items: Conversation[];
  unread: Record<string, number>;
  nextCursor: string | null;
  loaded: boolean;
}

export const UnreadCap = 100;

export type ListAction =
  | { type: 'reset'; query: ListQuery }
  /** A page of the API's answer to `query`: the list it was asked for, not whatever the list shows when it arrives. */
  | { type: 'page'; page: ConversationPage; append: boolean; query: ListQuery }
  | { type: 'messagesAdded'; push: MessagesAddedPush; openConversationId: string | null }
  | { type: 'conversationChanged'; conversation: Conversation }
  | { type: 'read'; conversationId: string };

export function initialList(query: ListQuery): ListState {
  return { query, items: [], unread: {}, nextCursor: null, loaded: false };
}

function place(state: ListState, conversation: Conversation): Conversation[] {
  const rest = state.items.filter(item => item.id !== conversation.id);
  if (!belongs(conversation, state.query)) return rest;
  const index = rest.findIndex(item => compare(state.query.view, conversation, item) < 0);
  // Past the last loaded item while more pages remain: its page will bring it, in its place.
  if (index === -1 && state.nextCursor !== null) return rest;
  const at = index === -1 ? rest.length : index;
  return [...rest.slice(0, at), conversation, ...rest.slice(at)];
}

export function listReducer(state: ListState, action: ListAction): ListState {
  switch (action.type) {
    case 'reset':
      return initialList(action.query);
    case 'page': {
      // Asked for before the view or a filter changed (a slow next page): it belongs to a list no longer shown.
      if (action.query !== state.query) return state;
      const incoming = action.page.items;
      const ids = new Set(incoming.map(c => c.id));
      const items = action.append ? [...state.items.filter(c => !ids.has(c.id)), ...incoming] : incoming;
      return {
        ...state,
        items,
        unread: action.append ? { ...state.unread, ...action.page.unread } : { ...action.page.unread },
        nextCursor: action.page.nextCursor,
        loaded: true,
      };
    }
    case 'messagesAdded': {
      let next: ListState = state;
      for (const conversation of action.push.conversations) next = { ...next, items: place(next, conversation) };
      const unread = { ...next.unread };
      let changed = false;
      for (const message of action.push.messages) {
        if (message.direction !== 'inbound' || message.conversationId === action.openConversationId) continue;
        unread[message.conversationId] = Math.min(UnreadCap, (unread[message.conversationId] ?? 0) + 1);
        changed = true;
      }
      return changed ? { ...next, unread } : next;
    }
    case 'conversationChanged':
      return { ...state, items: place(state, action.conversation) };
    case 'read':
      return state.unread[action.conversationId] ? { ...state, unread: { ...state.unread, [action.conversationId]: 0 } } : state;
  }
}

/**
 * Conversations a push hands to me: an assignment or transfer entry naming me, by the engine or a colleague (not one I
 * took myself), for a conversation that is mine now. A new message in one I already had is not news.
 */
export function newlyAssigned(push: MessagesAddedPush, me: { id: string; name: string }): Conversation[] {
  return push.conversations.filter(conversation => conversation.assigneeId === me.id && push.messages.some(message =>
    message.conversationId === conversation.id && message.direction === 'activity'
    && (message.activity?.kind === 'assigned' || message.activity?.kind === 'transferred')
    && message.activity.to === me.name && message.agent !== me.name));
}
