// Hash routes, so the server needs no fallback: #/ (inbox), #/conversations/{id}, #/admin/{tab}, and the customer
// screens: #/customers, #/customers/{id}, #/customers/{id}/merge[/{otherId}], #/segments[/new|/{id}], #/imports[/{id}].

export type AdminTab = 'agents' | 'teams' | 'channels' | 'labels' | 'canned-replies';
export const AdminTabs: { tab: AdminTab; label: string }[] = [
  { tab: 'agents', label: 'Agents' },
  { tab: 'teams', label: 'Teams' },
  { tab: 'channels', label: 'Channels' },
  { tab: 'labels', label: 'Labels' },
  { tab: 'canned-replies', label: 'Canned replies' },
];

export type CustomersView =
  | { view: 'list' }
  | { view: 'profile'; customerId: string }
  | { view: 'merge'; customerId: string; otherId: string | null }
  | { view: 'segments' }
  | { view: 'segment'; segmentId: string | null }
  | { view: 'import'; importId: string | null };

export type Route =
  | { page: 'inbox'; conversationId: string | null }
  | { page: 'admin'; tab: AdminTab }
  | ({ page: 'customers' } & CustomersView);

const isId = (text: string | undefined): text is string => !!text && /^[0-9a-f-]{36}$/i.test(text);

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#\/?/, '');
  const [first, second, third, fourth] = path.split('/');
  if (first === 'conversations' && isId(second)) return { page: 'inbox', conversationId: second.toLowerCase() };
  if (first === 'customers') {
    if (!isId(second)) return { page: 'customers', view: 'list' };
    if (third === 'merge') return { page: 'customers', view: 'merge', customerId: second.toLowerCase(), otherId: isId(fourth) ? fourth.toLowerCase() : null };
    return { page: 'customers', view: 'profile', customerId: second.toLowerCase() };
  }
  if (first === 'segments') {
    if (second === 'new') return { page: 'customers', view: 'segment', segmentId: null };
    return isId(second) ? { page: 'customers', view: 'segment', segmentId: second.toLowerCase() } : { page: 'customers', view: 'segments' };
  }
  if (first === 'imports') return { page: 'customers', view: 'import', importId: isId(second) ? second.toLowerCase() : null };
  if (first === 'admin') {
    const tab = AdminTabs.find(t => t.tab === second)?.tab ?? 'agents';
    return { page: 'admin', tab };
  }
  return { page: 'inbox', conversationId: null };
}

export const conversationHref = (id: string) => `#/conversations/${id}`;
export const adminHref = (tab: AdminTab) => `#/admin/${tab}`;
export const customersHref = '#/customers';
export const customerHref = (id: string) => `#/customers/${id}`;
export const mergeHref = (id: string, otherId?: string) => `#/customers/${id}/merge${otherId ? `/${otherId}` : ''}`;
export const segmentsHref = '#/segments';
export const segmentHref = (id: string | null) => `#/segments/${id ?? 'new'}`;
export const importHref = (id: string | null) => `#/imports${id ? `/${id}` : ''}`;
