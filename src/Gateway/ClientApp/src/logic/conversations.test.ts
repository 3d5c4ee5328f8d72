import { describe, expect, it } from 'vitest';
import type { Conversation, TimelineMessage } from '../api/types';
import { belongs, initialList, listParams, listReducer, newlyAssigned, NoFilters, type ListQuery, type ListState } from './conversations';

const me = 'agent-me';
const conversation = (id: string, over: Partial<Conversation> = {}): Conversation => ({
  id, customerId: `cust-${id}`, channel: 'whatsapp', customerIdentity: '+1', customerName: id, status: 'open', assigneeId: null,
  createdAt: '2026-01-01T00:00:00Z', lastMessageAt: '2026-01-01T00:00:00Z', lastMessagePreview: null, priority: 'none', labels: [],
  queuedAt: null, ...over,
});
const inbound = (conversationId: string): TimelineMessage => ({
  id: `m-${conversationId}-${Math.random()}`, conversationId, customerId: 'u', channel: 'whatsapp', direction: 'inbound', channelMessageId: null,
  text: 'hi', media: [], location: null, button: null, status: 'received', errorCode: null, agent: null,
  createdAt: '2026-01-01T00:00:00Z', statusUpdatedAt: '2026-01-01T00:00:00Z',
});
const loaded = (query: ListQuery, items: Conversation[], nextCursor: string | null = null, unread: Record<string, number> = {}): ListState =>
  listReducer(initialList(query), { type: 'page', page: { items, nextCursor, unread }, append: false, query });
const all: ListQuery = { view: 'all', filters: NoFilters, me };
const ids = (state: ListState) => state.items.map(c => c.id);

describe('listParams', () => {
  it('asks the API for each view and its filters', () => {
    expect(listParams({ view: 'mine', filters: { ...NoFilters, status: 'open', label: 'l1' }, me })).toEqual({ assignee: 'me', status: 'open', label: 'l1' });
    expect(listParams({ view: 'unassigned', filters: { ...NoFilters, status: 'resolved', team: 't' }, me })).toEqual({ sort: 'queue', team: 't' });
    expect(listParams({ view: 'all', filters: { ...NoFilters, priority: 'urgent', connection: 'c' }, me })).toEqual({ priority: 'urgent', connection: 'c' });
  });
});

describe('belongs', () => {
  it('keeps mine to mine and the queue to open conversations nobody has', () => {
    expect(belongs(conversation('a', { assigneeId: me }), { ...all, view: 'mine' })).toBe(true);
    expect(belongs(conversation('a', { assigneeId: 'other' }), { ...all, view: 'mine' })).toBe(false);
    expect(belongs(conversation('a', { queuedAt: '2026-01-01T00:00:00Z' }), { ...all, view: 'unassigned' })).toBe(true);
    expect(belongs(conversation('a', { assigneeId: me, queuedAt: null }), { ...all, view: 'unassigned' })).toBe(false);
  });
  it('applies every filter', () => {
    const c = conversation('a', { status: 'pending', priority: 'high', labels: ['vip'], teamId: 't1', connectionId: 'k1' });
    expect(belongs(c, { ...all, filters: { status: 'pending', priority: 'high', label: 'vip', team: 't1', connection: 'k1' } })).toBe(true);
    expect(belongs(c, { ...all, filters: { ...NoFilters, status: 'open' } })).toBe(false);
    expect(belongs(c, { ...all, filters: { ...NoFilters, label: 'other' } })).toBe(false);
    expect(belongs(c, { ...all, filters: { ...NoFilters, team: 't2' } })).toBe(false);
  });
});

describe('listReducer', () => {
  it('slides a new conversation in at the top of the latest-activity views', () => {
    const state = loaded(all, [conversation('b', { lastMessageAt: '2026-01-01T10:00:00Z' }), conversation('a', { lastMessageAt: '2026-01-01T09:00:00Z' })]);
    const next = listReducer(state, {
      type: 'messagesAdded', openConversationId: null,
      push: { messages: [inbound('c')], conversations: [conversation('c', { lastMessageAt: '2026-01-01T11:00:00Z' })] },
    });
    expect(ids(next)).toEqual(['c', 'b', 'a']);
    expect(next.unread.c).toBe(1);
  });

  it('moves a conversation with a new message to the top, counting it unread unless it is open', () => {
    const state = loaded(all, [conversation('b', { lastMessageAt: '2026-01-01T10:00:00Z' }), conversation('a', { lastMessageAt: '2026-01-01T09:00:00Z' })], null, { a: 2 });
    const moved = conversation('a', { lastMessageAt: '2026-01-01T12:00:00Z' });
    const next = listReducer(state, { type: 'messagesAdded', openConversationId: null, push: { messages: [inbound('a')], conversations: [moved] } });
    expect(ids(next)).toEqual(['a', 'b']);
    expect(next.unread.a).toBe(3);
    const open = listReducer(state, { type: 'messagesAdded', openConversationId: 'a', push: { messages: [inbound('a')], conversations: [moved] } });
    expect(open.unread.a).toBe(2);
  });

  it('caps unread counts as the API does', () => {
    const state = loaded(all, [conversation('a')], null, { a: 100 });
    expect(listReducer(state, { type: 'messagesAdded', openConversationId: null, push: { messages: [inbound('a')], conversations: [] } }).unread.a).toBe(100);
  });

  it('drops a conversation that no longer belongs, e.g. taken from the queue', () => {
    const queue: ListQuery = { ...all, view: 'unassigned' };
    const state = loaded(queue, [conversation('a', { queuedAt: '2026-01-01T08:00:00Z' }), conversation('b', { queuedAt: '2026-01-01T09:00:00Z' })]);
    const next = listReducer(state, { type: 'conversationChanged', conversation: conversation('a', { assigneeId: 'ann', queuedAt: null }) });
    expect(ids(next)).toEqual(['b']);
  });

  it('keeps the queue in the order it is served: longest queued first', () => {
    const queue: ListQuery = { ...all, view: 'unassigned' };
    const state = loaded(queue, [conversation('a', { queuedAt: '2026-01-01T08:00:00Z' }), conversation('b', { queuedAt: '2026-01-01T09:00:00Z' })]);
    const next = listReducer(state, {
      type: 'messagesAdded', openConversationId: null,
      push: { messages: [], conversations: [conversation('c', { queuedAt: '2026-01-01T08:30:00Z' })] },
    });
    expect(ids(next)).toEqual(['a', 'c', 'b']);
  });

  it('leaves one that sorts past the loaded pages to its own page, and never lists one twice', () => {
    const state = loaded(all, [conversation('b', { lastMessageAt: '2026-01-01T10:00:00Z' })], 'cursor-1');
    const old = conversation('z', { lastMessageAt: '2025-12-01T00:00:00Z' });
    const next = listReducer(state, { type: 'conversationChanged', conversation: old });
    expect(ids(next)).toEqual(['b']);
    const page = listReducer(next, { type: 'page', page: { items: [conversation('b', { lastMessageAt: '2026-01-01T10:00:00Z' }), old], nextCursor: null }, append: true, query: next.query });
    expect(ids(page)).toEqual(['b', 'z']);
  });

  it('drops a page asked for before the view or a filter changed, so a slow next page never joins the new list', () => {
    const before: ListQuery = { ...all, filters: { ...NoFilters, label: 'bulk' } };
    const scrolled = loaded(before, [conversation('b1')], 'cursor-bulk');
    const after: ListQuery = { ...all, filters: { ...NoFilters, label: 'solo' } };
    const shown = listReducer(listReducer(scrolled, { type: 'reset', query: after }),
      { type: 'page', page: { items: [conversation('s1')], nextCursor: null, unread: {} }, append: false, query: after });
    const late = listReducer(shown, { type: 'page', page: { items: [conversation('b2')], nextCursor: 'cursor-bulk-2', unread: { b2: 3 } }, append: true, query: before });
    expect(ids(late)).toEqual(['s1']);
    expect(late.nextCursor).toBeNull();
    expect(late.unread).toEqual({});
  });

  it('clears unread when read, here or on another device', () => {
    const state = loaded(all, [conversation('a')], null, { a: 4 });
    expect(listReducer(state, { type: 'read', conversationId: 'a' }).unread.a).toBe(0);
  });

  it('starts over on a new view', () => {
    const state = loaded(all, [conversation('a')]);
    const reset = listReducer(state, { type: 'reset', query: { ...all, view: 'mine' } });
    expect(reset.items).toEqual([]);
    expect(reset.loaded).toBe(false);
    expect(reset.query.view).toBe('mine');
  });
});

describe('newlyAssigned', () => {
  const activity = (conversationId: string, kind: string, to: string, agent: string | null): TimelineMessage => ({
    ...inbound(conversationId), direction: 'activity', text: null, agent, activity: { kind, from: null, to },
  });
  const mine = conversation('a', { assigneeId: me });
  const ann = { id: me, name: 'Ann' };

  it('tells of a conversation the engine or a colleague gave me', () => {
    expect(newlyAssigned({ messages: [activity('a', 'assigned', 'Ann', null)], conversations: [mine] }, ann)).toEqual([mine]);
    expect(newlyAssigned({ messages: [activity('a', 'transferred', 'Ann', 'Bob')], conversations: [mine] }, ann)).toEqual([mine]);
  });
  it('not of one I took, nor of a new message in one I had', () => {
    expect(newlyAssigned({ messages: [activity('a', 'assigned', 'Ann', 'Ann')], conversations: [mine] }, ann)).toEqual([]);
    expect(newlyAssigned({ messages: [inbound('a')], conversations: [mine] }, ann)).toEqual([]);
  });
});
