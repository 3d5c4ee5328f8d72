import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, qs } from '../api/client';
import type { CustomerPage, CustomerProfile, FilterGroup, Segment, SegmentPage } from '../api/customers';
import { buildFilter, draftOf, emptyGroup, errorsOnNodes, isEmpty, MatchEveryone, shownErrors, type GroupDraft } from '../logic/filters';
import { countText, customerTitle, daysAgo } from '../logic/customers';
import { customerHref, segmentHref } from '../logic/route';
import { ChannelBadge } from './ChannelBadge';
import type { CustomerDirectory } from './Customers';
import { FilterBuilder } from './FilterBuilder';
import { message } from './AdminParts';
import { useNow } from './useNow';

/** A page as the list shows it: without a count when the server could not count (no segments there). */
type Found = Omit<SegmentPage, 'count'> & { count: number | null };

const PageSize = 50;
const StoredFilter = 'crm.customerFilter';

export interface Matches {
  count: number | null;
  customers: CustomerProfile[];
  nextCursor: string | null;
  loading: boolean;
  error: string | null;
  /** The server's refusal of the filter, keyed by JSON path (`filter.conditions[1].value`). */
  problems: Record<string, string[]>;
  loadMore: () => void;
  reload: () => void;
}

/**
 * The customers a filter matches: a count of all and a first page, asked again 300 ms after the filter last changed
 * (the live count), then keyset pages on "Load more". `filterText` is the AST as JSON (so an edit that builds the same
 * filter asks nothing), null while the filter is incomplete. A saved segment is counted the same way, from its filter:
 * the editor shows unsaved edits live.
 */
export function useMatches(filterText: string | null): Matches {
  const [state, setState] = useState<{ key: string | null; count: number | null; customers: CustomerProfile[]; nextCursor: string | null }>(
    { key: null, count: null, customers: [], nextCursor: null });
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // The refusal of one filter only: another filter's must not land on this one's conditions.
  const [problems, setProblems] = useState<{ key: string | null; errors: Record<string, string[]> }>({ key: null, errors: {} });
  const [generation, setGeneration] = useState(0);
  const key = filterText;
  const request = useRef<AbortController | null>(null);

  const page = useCallback(async (after: string | null, signal: AbortSignal): Promise<Found> => {
    const filter = JSON.parse(filterText ?? 'null') as FilterGroup;
    try {
      return await api<SegmentPage>('/api/segments/preview', { method: 'POST', body: { filter, limit: PageSize, ...(after ? { after } : {}) }, signal });
    } catch (failure) {
      // A server without segments still lists everyone, by name, uncounted.
      if (!(failure instanceof ApiError && failure.status === 404 && filterText === JSON.stringify(MatchEveryone))) throw failure;
      const list = await api<CustomerPage>(`/api/customers${qs({ limit: PageSize, cursor: after })}`, { signal });
      return { count: null, customers: list.items, nextCursor: list.nextCursor };
    }
  }, [filterText]);

  useEffect(() => {
    if (key === null) return;
    request.current?.abort();
    const abort = new AbortController();
    request.current = abort;
    const timer = setTimeout(() => {
      setLoading(true);
      page(null, abort.signal).then(found => {
        setState({ key, count: found.count, customers: found.customers, nextCursor: found.nextCursor });
        setError(null);
        setProblems({ key: null, errors: {} });
      }, failure => {
        if (abort.signal.aborted) return;
        setError(message(failure));
        setProblems({ key, errors: failure instanceof ApiError ? failure.errors : {} });
      }).finally(() => { if (!abort.signal.aborted) setLoading(false); });
    }, 300);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [key, page, generation]);

  const loadMore = useCallback(() => {
    if (loading || !state.nextCursor || state.key !== key) return;
    const abort = new AbortController();
    request.current = abort;
    setLoading(true);
    page(state.nextCursor, abort.signal).then(found => setState(before => before.key === key
      ? { key, count: found.count, customers: [...before.customers, ...found.customers.filter(c => !before.customers.some(b => b.id === c.id))], nextCursor: found.nextCursor }
      : before), failure => { if (!abort.signal.aborted) setError(message(failure)); })
      .finally(() => { if (!abort.signal.aborted) setLoading(false); });
  }, [loading, state, key, page]);

  const current = state.key === key;
  return {
    count: current ? state.count : null, customers: current ? state.customers : [], nextCursor: current ? state.nextCursor : null,
    loading, error, problems: problems.key === key ? problems.errors : {}, loadMore, reload: () => setGeneration(g => g + 1),
  };
}

function storedDraft(directory: CustomerDirectory): GroupDraft {
  try {
    const stored = sessionStorage.getItem(StoredFilter);
    return stored ? draftOf(JSON.parse(stored) as FilterGroup, directory.catalog) : emptyGroup();
  } catch {
    return emptyGroup();
  }
}

export function CustomerList({ directory }: { directory: CustomerDirectory }) {
  const [draft, setDraft] = useState<GroupDraft>(() => storedDraft(directory));
  const [serverErrors, setServerErrors] = useState<Record<string, string>>({});
  const built = useMemo(() => buildFilter(draft, directory.catalog), [draft, directory.catalog]);
  const empty = isEmpty(draft);
  const filterText = empty ? JSON.stringify(MatchEveryone) : built.filter ? JSON.stringify(built.filter) : null;
  const matches = useMatches(filterText);
  const [name, setName] = useState('');
  const [saveError, setSaveError] = useState<string | null>(null);
  const [tried, setTried] = useState(false);

  useEffect(() => {
    if (filterText) sessionStorage.setItem(StoredFilter, empty ? JSON.stringify({ op: 'and', conditions: [] }) : filterText);
  }, [filterText, empty]);

  const change = (next: GroupDraft) => {
    setDraft(next);
    setServerErrors({});
  };

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setSaveError(null);
    setTried(true);
    if (!built.filter || empty) {
      setSaveError('Add at least one complete condition first.');
      return;
    }
    try {
      const segment = await api<Segment>('/api/segments', { method: 'POST', body: { name: name.trim(), filter: built.filter } });
      location.hash = segmentHref(segment.id);
    } catch (failure) {
      if (failure instanceof ApiError && Object.keys(failure.errors).length > 0) {
        const placed = errorsOnNodes(draft, failure.errors);
        setServerErrors(placed);
        setSaveError(placed.name ?? 'The server refused the filter: see the conditions.');
      } else setSaveError(message(failure));
    }
  };

  // A refusal of the preview itself (400 keyed by path) belongs beside its condition, like the builder's own checks.
  const errors = { ...shownErrors(draft, built.errors, tried), ...errorsOnNodes(draft, matches.problems), ...serverErrors };
  return (
    <section aria-labelledby="customers-title" className="customer-list">
      <h1 id="customers-title">Customers</h1>
      <details className="card filter-card" open={!empty || undefined}>
        <summary>Filter{empty ? '' : ` (${draft.children.length})`}</summary>
        <FilterBuilder draft={draft} onChange={change} catalog={directory.catalog} errors={errors} />
        <form className="row-form save-segment" aria-label="Save as segment" onSubmit={e => void save(e)}>
          <label>Segment name <input required maxLength={200} value={name} onChange={e => setName(e.target.value)} /></label>
          <button type="submit" disabled={empty}>Save as segment</button>
        </form>
        {saveError && <p role="alert" className="error">{saveError}</p>}
      </details>
      <MatchList matches={matches} directory={directory} incomplete={filterText === null} />
    </section>
  );
}

/** The live count and the matching customers, with "Load more". */
export function MatchList({ matches, directory, incomplete }: { matches: Matches; directory: CustomerDirectory; incomplete: boolean }) {
  const now = useNow(60_000);
  return (
    <>
      <p role="status" className="match-count" aria-live="polite">
        {incomplete ? 'Finish the conditions to see who matches.'
          : matches.count === null ? (matches.loading ? 'Counting…' : '')
            : `${countText(matches.count)} match${matches.count === 1 ? 'es' : ''}${matches.loading ? ' (updating…)' : ''}`}
      </p>
      {matches.error && <p role="alert" className="error">{matches.error}</p>}
      <ul aria-label="Matching customers" className="customer-rows" aria-busy={matches.loading}>
        {matches.customers.map(customer => (
          <li key={customer.id}>
            <a href={customerHref(customer.id)} className="customer-row">
              <span className="who">{customerTitle(customer)}</span>
              <span className="facts">
                {customer.identities.map(i => <ChannelBadge key={`${i.channel}-${i.value}`} channel={i.channel} />)}
                {customer.fields.lifecycleStage && <span className="tag">{customer.fields.lifecycleStage}</span>}
                {(customer.labelIds ?? []).map(id => {
                  const label = directory.labels.find(l => l.id === id);
                  return label ? <span key={id} className="tag">{label.name}</span> : null;
                })}
                {/* Lists may leave behaviour empty: only a time known is shown, never a "never" that may not be true. */}
                {customer.behaviour?.lastInboundAt && <span>last message {daysAgo(customer.behaviour.lastInboundAt, now)}</span>}
              </span>
            </a>
          </li>
        ))}
        {!incomplete && matches.count === 0 && <li className="hint">Nobody matches.</li>}
      </ul>
      {matches.nextCursor && <button type="button" className="more" onClick={matches.loadMore} disabled={matches.loading}>Load more customers</button>}
    </>
  );
}
