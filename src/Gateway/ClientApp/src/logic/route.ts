// Hash routes, so the server needs no fallback: #/ (inbox), #/conversations/{id}, #/admin/{tab}.

export type AdminTab = 'agents' | 'teams' | 'channels' | 'labels' | 'canned-replies';
export const AdminTabs: { tab: AdminTab; label: string }[] = [
  { tab: 'agents', label: 'Agents' },
  { tab: 'teams', label: 'Teams' },
  { tab: 'channels', label: 'Channels' },
  { tab: 'labels', label: 'Labels' },
  { tab: 'canned-replies', label: 'Canned replies' },
];

export type Route =
  | { page: 'inbox'; conversationId: string | null }
  | { page: 'admin'; tab: AdminTab };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#\/?/, '');
  const [first, second] = path.split('/');
  if (first === 'conversations' && second && /^[0-9a-f-]{36}$/i.test(second)) return { page: 'inbox', conversationId: second.toLowerCase() };
  if (first === 'admin') {
    const tab = AdminTabs.find(t => t.tab === second)?.tab ?? 'agents';
    return { page: 'admin', tab };
  }
  return { page: 'inbox', conversationId: null };
}

export const conversationHref = (id: string) => `#/conversations/${id}`;
export const adminHref = (tab: AdminTab) => `#/admin/${tab}`;
