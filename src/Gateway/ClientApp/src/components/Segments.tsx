import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { api, ApiError } from '../api/client';
import { usePush } from '../api/hub';
import type { AttributeValue, BulkAction, BulkJob, FilterGroup, Segment } from '../api/customers';
import { buildFilter, draftOf, emptyGroup, errorsOnNodes, shownErrors, type GroupDraft } from '../logic/filters';
import { countText } from '../logic/customers';
import { segmentHref, segmentsHref } from '../logic/route';
import { message, useList } from './AdminParts';
import { MatchList, useMatches } from './CustomerList';
import type { CustomerDirectory } from './Customers';
import { AttributeInput, DownloadButton } from './CustomerParts';
import { FilterBuilder } from './FilterBuilder';

export function SegmentList() {
  const [segments, , error] = useList<Segment>('/api/segments');
  return (
    <section aria-labelledby="segments-title">
      <h1 id="segments-title">Segments</h1>
      <p><a href={segmentHref(null)} className="button-link">New segment</a></p>
      {error && <p role="alert" className="error">{error}</p>}
      <ul aria-label="Segments" className="plain segment-list">
        {segments?.map(segment => (
          <li key={segment.id}>
            <a href={segmentHref(segment.id)}>{segment.name}</a>
            {segment.builtIn && <span className="tag">Built-in</span>}
          </li>
        ))}
        {segments?.length === 0 && <li className="hint">No segments yet.</li>}
      </ul>
    </section>
  );
}

export function SegmentEditor({ segmentId, directory }: { segmentId: string | null; directory: CustomerDirectory }) {
  const [segment, setSegment] = useState<Segment | null>(null);
  const [draft, setDraft] = useState<GroupDraft>(() => emptyGroup());
  const [name, setName] = useState('');
  const [loadError, setLoadError] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [serverErrors, setServerErrors] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string | null>(null);
  const [tried, setTried] = useState(false);
  const catalog = directory.catalog;

  useEffect(() => {
    if (!segmentId) return;
    api<Segment>(`/api/segments/${segmentId}`).then(found => {
      setSegment(found);
      setName(found.name);
      setDraft(draftOf(found.filter, catalog));
    }, failure => setLoadError(message(failure)));
    // The catalog fills in as the workspace's attributes arrive; a draft opened before keeps its conditions as they are.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [segmentId]);

  const built = useMemo(() => buildFilter(draft, catalog), [draft, catalog]);
  const filterText = built.filter && draft.children.length > 0 ? JSON.stringify(built.filter) : null;
  // Unsaved edits are counted live through the preview; the saved segment through its own route.
  const unchanged = segment !== null && filterText === JSON.stringify(segment.filter);
  const matches = useMatches(filterText);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setSaveError(null);
    setSaved(null);
    setTried(true);
    if (!built.filter || draft.children.length === 0) {
      setSaveError('Add at least one complete condition.');
      return;
    }
    try {
      const body = { name: name.trim(), filter: built.filter };
      const stored = segment
        ? await api<Segment>(`/api/segments/${segment.id}`, { method: 'PUT', body })
        : await api<Segment>('/api/segments', { method: 'POST', body });
      setSegment(stored);
      setSaved('Saved.');
      if (!segment) location.hash = segmentHref(stored.id);
    } catch (failure) {
      if (failure instanceof ApiError && Object.keys(failure.errors).length > 0) {
        const placed = errorsOnNodes(draft, failure.errors);
        setServerErrors(placed);
        setSaveError(placed.name ?? 'Not saved: see the conditions.');
      } else setSaveError(message(failure));
    }
  };

  const remove = async () => {
    if (!segment) return;
    setSaveError(null);
    try {
      await api(`/api/segments/${segment.id}`, { method: 'DELETE' });
      if (segment.builtIn) {
        const restored = await api<Segment>(`/api/segments/${segment.id}`);
        setSegment(restored);
        setName(restored.name);
        setDraft(draftOf(restored.filter, catalog));
        setSaved('Restored the default.');
      } else location.hash = segmentsHref;
    } catch (failure) {
      setSaveError(message(failure));
    }
  };

  if (loadError) return <p role="alert" className="error">{loadError}</p>;
  if (segmentId && !segment) return <p className="hint">Loading…</p>;
  return (
    <section aria-labelledby="segment-title" className="segment-editor">
      <h1 id="segment-title">{segment ? segment.name : 'New segment'}{segment?.builtIn && <span className="tag">Built-in</span>}</h1>
      <form aria-label="Segment" onSubmit={e => void save(e)} className="card">
        <label className="segment-name">Name <input required maxLength={200} value={name} onChange={e => setName(e.target.value)} /></label>
        <FilterBuilder draft={draft} onChange={d => { setDraft(d); setServerErrors({}); setSaved(null); }} catalog={catalog}
          errors={{ ...shownErrors(draft, built.errors, tried), ...errorsOnNodes(draft, matches.problems), ...serverErrors }} />
        <div className="buttons">
          <button type="submit" className="primary">Save segment</button>
          {segment && <button type="button" onClick={() => void remove()}>{segment.builtIn ? 'Restore default' : 'Delete segment'}</button>}
        </div>
        {saveError && <p role="alert" className="error">{saveError}</p>}
        {saved && <p role="status" className="ok">{saved}</p>}
      </form>
      {filterText && built.filter && (
        <BulkActions directory={directory} count={matches.count}
          target={unchanged && segment ? { segmentId: segment.id, name: segment.name } : { filter: built.filter, name: name.trim() || 'customers' }}
          onDone={matches.reload} />
      )}
      <MatchList matches={matches} directory={directory} incomplete={filterText === null} />
    </section>
  );
}

type Target = { segmentId: string; name: string } | { filter: FilterGroup; name: string };
type ActionKind = BulkAction['action'];

/** Actions on every customer the segment matches (not just the page shown), run by the server as one job. */
function BulkActions({ directory, count, target, onDone }: { directory: CustomerDirectory; count: number | null; target: Target; onDone: () => void }) {
  const [action, setAction] = useState<ActionKind>('addLabel');
  const [labelId, setLabelId] = useState('');
  const [ownerId, setOwnerId] = useState('');
  const [attributeKey, setAttributeKey] = useState('');
  const [attributeValue, setAttributeValue] = useState<AttributeValue>(null);
  const [confirming, setConfirming] = useState(false);
  const [job, setJob] = useState<BulkJob | null>(null);
  const [error, setError] = useState<string | null>(null);
  const definition = directory.attributes.find(a => a.key === attributeKey);

  usePush<BulkJob>('segmentJobProgress', pushed => setJob(current => current?.id === pushed.id ? pushed : current));
  // The push is the fast path; a poll makes sure a job that ends between pushes (or without the hub) is seen ending.
  useEffect(() => {
    if (job?.status !== 'running') return;
    const timer = setInterval(() => {
      api<BulkJob>(`/api/segments/jobs/${job.id}`).then(found => setJob(current => current?.id === found.id ? found : current), () => {});
    }, 2000);
    return () => clearInterval(timer);
  }, [job?.id, job?.status]);
  useEffect(() => {
    if (job && job.status !== 'running') onDone();
    // Only when a job ends.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [job?.status]);

  const body = (): BulkAction | null => {
    switch (action) {
      case 'addLabel': case 'removeLabel': return labelId ? { action, labelId } : null;
      case 'setOwner': return { action, ownerAgentId: ownerId || null };
      case 'setAttribute': return attributeKey ? { action, key: attributeKey, value: attributeValue } : null;
    }
  };

  const run = async () => {
    const chosen = body();
    setConfirming(false);
    if (!chosen) return;
    setError(null);
    try {
      const path = 'segmentId' in target ? `/api/segments/${target.segmentId}/actions` : '/api/segments/preview/actions';
      setJob(await api<BulkJob>(path, { method: 'POST', body: 'segmentId' in target ? chosen : { ...chosen, filter: target.filter } }));
    } catch (failure) {
      setError(message(failure));
    }
  };

  const ready = body() !== null;
  const exportPath = 'segmentId' in target ? `/api/segments/${target.segmentId}/export` : '/api/segments/preview/export';
  return (
    <section aria-labelledby="bulk-title" className="card bulk">
      <h2 id="bulk-title">Act on all {count === null ? 'matching customers' : countText(count)}</h2>
      <div className="row-form">
        <label>Action
          <select value={action} onChange={e => { setAction(e.target.value as ActionKind); setConfirming(false); }}>
            <option value="addLabel">Add label</option>
            <option value="removeLabel">Remove label</option>
            <option value="setOwner">Set owner</option>
            <option value="setAttribute">Set attribute</option>
          </select>
        </label>
        {(action === 'addLabel' || action === 'removeLabel') && (
          <label>Label
            <select value={labelId} onChange={e => setLabelId(e.target.value)}>
              <option value="">Choose…</option>
              {directory.labels.map(l => <option key={l.id} value={l.id}>{l.name}</option>)}
            </select>
          </label>
        )}
        {action === 'setOwner' && (
          <label>Owner
            <select value={ownerId} onChange={e => setOwnerId(e.target.value)}>
              <option value="">Nobody</option>
              {directory.agents.map(a => <option key={a.id} value={a.id}>{a.name}</option>)}
            </select>
          </label>
        )}
        {action === 'setAttribute' && (
          <>
            <label>Attribute
              <select value={attributeKey} onChange={e => { setAttributeKey(e.target.value); setAttributeValue(null); }}>
                <option value="">Choose…</option>
                {directory.attributes.map(a => <option key={a.key} value={a.key}>{a.label}</option>)}
              </select>
            </label>
            {definition && <AttributeInput definition={definition} value={attributeValue} onChange={setAttributeValue} label="New value" />}
          </>
        )}
        {!confirming
          ? <button type="button" disabled={!ready || count === 0 || job?.status === 'running'} onClick={() => setConfirming(true)}>Apply…</button>
          : (
            <span className="confirm">
              <span>Change {count === null ? 'every matching customer' : countText(count)}?</span>
              <button type="button" className="primary" onClick={() => void run()}>Confirm</button>
              <button type="button" onClick={() => setConfirming(false)}>Cancel</button>
            </span>
          )}
      </div>
      {job && (
        <p role="status" className={job.status === 'failed' ? 'error' : 'ok'}>
          {job.status === 'running' ? `Working… ${job.processed} of ${job.matched} done.`
            : job.status === 'failed' ? `Stopped: ${job.error ?? 'the job failed'} (${job.changed} changed before).`
              : `Done: ${job.changed} of ${job.matched} changed${job.matched > job.changed ? ' (the others already were so)' : ''}.`}
        </p>
      )}
      {error && <p role="alert" className="error">{error}</p>}
      <div className="buttons">
        <DownloadButton path={exportPath} fileName={`${target.name}.csv`} body={'segmentId' in target ? undefined : { filter: target.filter }}>
          Export CSV
        </DownloadButton>
      </div>
    </section>
  );
}
