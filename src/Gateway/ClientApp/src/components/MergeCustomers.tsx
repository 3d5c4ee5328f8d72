import { useCallback, useEffect, useState } from 'react';
import { api, ApiError } from '../api/client';
import type { CustomerDetails, CustomerProfile, MergeDone, MergePreview, MergeSide, MergeSuggestion, SegmentPage } from '../api/customers';
import { channelName, identityText } from '../logic/channels';
import { customerTitle } from '../logic/customers';
import { fullTime } from '../logic/format';
import { chooseAll, fieldLabel, initialChoices, mergeChoices, swapChoices, unchosen, valueText, type Choices } from '../logic/merge';
import { customerHref, mergeHref } from '../logic/route';
import { message } from './AdminParts';
import { ChannelBadge } from './ChannelBadge';
import type { CustomerDirectory } from './Customers';

const ReasonWords: Record<string, string> = {
  'verified-phone': 'same verified phone', 'verified-email': 'same verified email', 'whatsapp-variant': 'the same WhatsApp number written another way',
};

export function MergeCustomers({ customerId, otherId, directory }: { customerId: string; otherId: string | null; directory: CustomerDirectory }) {
  // Which customer survives can be swapped on this screen; the route only says where the agent came from.
  const [pair, setPair] = useState<{ survivorId: string; mergedId: string | null }>({ survivorId: customerId, mergedId: otherId });
  const [preview, setPreview] = useState<MergePreview | null>(null);
  const [choices, setChoices] = useState<Choices>({});
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<MergeDone | null>(null);
  const [undone, setUndone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [start, setStart] = useState<CustomerProfile | null>(null);

  useEffect(() => {
    api<CustomerDetails>(`/api/customers/${customerId}`).then(found => setStart(found.profile), failure => setError(message(failure)));
  }, [customerId]);

  const loadPreview = useCallback(async (survivorId: string, mergedId: string, keep?: Choices) => {
    setError(null);
    setErrors({});
    try {
      const found = await api<MergePreview>(`/api/customers/${survivorId}/merge-preview?with=${mergedId}`);
      setPreview(found);
      setChoices(keep ?? initialChoices(found.conflicts));
    } catch (failure) {
      setPreview(null);
      setError(message(failure));
    }
  }, []);

  // Only the first pair: a pick or a swap loads its own preview (a swap with the swapped choices).
  useEffect(() => {
    // eslint-disable-next-line react-hooks/set-state-in-effect -- the request starts here; its answer sets the state
    if (pair.mergedId) void loadPreview(pair.survivorId, pair.mergedId);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const pick = (other: CustomerProfile) => {
    setPair({ survivorId: customerId, mergedId: other.id });
    history.replaceState(null, '', mergeHref(customerId, other.id));
    void loadPreview(customerId, other.id);
  };

  const swap = () => {
    if (!pair.mergedId) return;
    const next = { survivorId: pair.mergedId, mergedId: pair.survivorId };
    setPair(next);
    void loadPreview(next.survivorId, next.mergedId, swapChoices(choices));
  };

  const merge = async () => {
    if (!preview) return;
    const chosen = mergeChoices(preview.conflicts, choices);
    if (!chosen) {
      setError('Choose which value to keep for every field that differs.');
      return;
    }
    setBusy(true);
    setError(null);
    setErrors({});
    try {
      const result = await api<MergeDone>(`/api/customers/${preview.survivor.id}/merge`, {
        method: 'POST',
        body: { mergedId: preview.merged.id, choices: chosen, survivorVersion: preview.survivorVersion, mergedVersion: preview.mergedVersion },
      });
      setDone(result);
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 409) {
        // The preview clears the error as it loads: the reason is said after it.
        await loadPreview(preview.survivor.id, preview.merged.id, choices);
        setError(`${failure.message} The comparison below is fresh: check it and merge again.`);
      } else if (failure instanceof ApiError && Object.keys(failure.errors).length > 0) {
        setErrors(failure.errors);
        setError('Not merged: see the fields marked below.');
      } else setError(message(failure));
    } finally {
      setBusy(false);
    }
  };

  const undo = async () => {
    if (!done) return;
    setError(null);
    try {
      await api(`/api/customers/merges/${done.mergeId}/undo`, { method: 'POST' });
      setUndone('The merge was undone: both customers are back as they were.');
    } catch (failure) {
      setError(message(failure));
    }
  };

  if (done) {
    return (
      <section aria-labelledby="merge-title" className="merge">
        <h1 id="merge-title">Merge customers</h1>
        {undone
          ? <p role="status" className="ok">{undone}</p>
          : <p role="status" className="ok">Merged into {customerTitle(done.customer.profile)}. You can undo this until {fullTime(done.undoUntil)}.</p>}
        {error && <p role="alert" className="error">{error}</p>}
        <div className="buttons">
          {!undone && <button type="button" onClick={() => void undo()}>Undo merge</button>}
          <a className="button-link" href={customerHref(undone ? done.survivorId : done.customer.profile.id)}>Open {customerTitle(done.customer.profile)}</a>
          {undone && <a className="button-link" href={customerHref(done.mergedId)}>Open the other customer</a>}
        </div>
      </section>
    );
  }

  return (
    <section aria-labelledby="merge-title" className="merge">
      <h1 id="merge-title">Merge customers</h1>
      <p className="hint">
        Identities, conversations, phones, emails, labels and history of the other customer move to the one kept; for each field
        that differs you choose the value. Consent keeps the stricter choice. Nothing is deleted, and you can undo for a while.
      </p>
      {!preview && start && <PickOther customer={start} onPick={pick} />}
      {error && <p role="alert" className="error">{error}</p>}
      {preview && (
        <>
          <div className="merge-sides">
            <SideCard title="Kept" profile={preview.survivor} />
            <SideCard title="Merged into it" profile={preview.merged} />
          </div>
          <div className="buttons">
            <button type="button" onClick={swap}>Keep the other customer instead</button>
            <button type="button" onClick={() => { setPreview(null); setPair({ survivorId: customerId, mergedId: null }); }}>Pick someone else</button>
          </div>
          {preview.conflicts.length === 0
            ? <p>No field differs: nothing to choose.</p>
            : (
              <div className="conflicts">
                <h2>Choose what to keep</h2>
                <div className="buttons">
                  <button type="button" onClick={() => setChoices(chooseAll(preview.conflicts, 'survivor'))}>Keep all from {customerTitle(preview.survivor)}</button>
                  <button type="button" onClick={() => setChoices(chooseAll(preview.conflicts, 'merged'))}>Keep all from {customerTitle(preview.merged)}</button>
                </div>
                {preview.conflicts.map(conflict => {
                  const label = fieldLabel(conflict.field, directory.attributes);
                  const fieldErrors = errors[conflict.field];
                  const option = (side: MergeSide) => {
                    const value = side === 'survivor' ? conflict.survivor : conflict.merged;
                    const owner = side === 'survivor' ? preview.survivor : preview.merged;
                    return (
                      <label className={`side ${choices[conflict.field] === side ? 'on' : ''}`}>
                        <input type="radio" name={`choice-${conflict.field}`} checked={choices[conflict.field] === side}
                          onChange={() => setChoices(c => ({ ...c, [conflict.field]: side }))} />
                        <span className="value">{valueText(conflict.field, value, directory.agents)}</span>
                        <span className="hint">from {customerTitle(owner)}</span>
                      </label>
                    );
                  };
                  return (
                    <fieldset key={conflict.field} className={`conflict-row ${fieldErrors ? 'invalid' : ''}`}>
                      <legend>{label}</legend>
                      {option('survivor')}
                      {option('merged')}
                      {fieldErrors && <p className="error">{fieldErrors.join(' ')}</p>}
                    </fieldset>
                  );
                })}
              </div>
            )}
          {preview.sharedThreads.length > 0 && (
            <p className="hint">Conversations on the same channel and number are joined: {preview.sharedThreads.map(t => `${channelName(t.channel)}${t.businessIdentity ? ` to ${identityText(t.businessIdentity)}` : ''}`).join(', ')}.</p>
          )}
          <div className="buttons">
            <button type="button" className="primary" disabled={busy} onClick={() => void merge()}>
              Merge {customerTitle(preview.merged)} into {customerTitle(preview.survivor)}
            </button>
            {unchosen(preview.conflicts, choices).length > 0 && (
              <span className="hint">{unchosen(preview.conflicts, choices).length} field(s) still to choose.</span>
            )}
          </div>
        </>
      )}
    </section>
  );
}

function SideCard({ title, profile }: { title: string; profile: CustomerProfile }) {
  return (
    <section className="card side-card" aria-label={`${title}: ${customerTitle(profile)}`}>
      <h2>{title}: {customerTitle(profile)}</h2>
      <dl>
        <dt>Identities</dt>
        <dd>{profile.identities.length === 0 ? 'none' : profile.identities.map(i => (
          <span key={`${i.channel}:${i.value}`} className="identity"><ChannelBadge channel={i.channel} /> {identityText(i.value)} </span>
        ))}</dd>
        <dt>Phones</dt><dd>{profile.fields.phones.map(p => p.number).join(', ') || 'none'}</dd>
        <dt>Emails</dt><dd>{profile.fields.emails.map(e => e.address).join(', ') || 'none'}</dd>
        <dt>Customer since</dt><dd>{fullTime(profile.createdAt)}</dd>
      </dl>
    </section>
  );
}

/** The other customer: a suggestion (same verified phone or email, a WhatsApp variant) or a search by name, phone or email. */
function PickOther({ customer, onPick }: { customer: CustomerProfile; onPick: (other: CustomerProfile) => void }) {
  const [suggestions, setSuggestions] = useState<MergeSuggestion[] | null>(null);
  const [query, setQuery] = useState('');
  const [found, setFound] = useState<CustomerProfile[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api<{ items: MergeSuggestion[] }>(`/api/customers/${customer.id}/merge-suggestions`).then(s => setSuggestions(s.items), () => setSuggestions([]));
  }, [customer.id]);

  useEffect(() => {
    const text = query.trim();
    if (text.length < 2) return;
    const abort = new AbortController();
    const timer = setTimeout(() => {
      const filter = { op: 'or', conditions: [
        { field: 'name', operator: 'contains', value: text },
        { field: 'phone', operator: 'contains', value: text },
        { field: 'email', operator: 'contains', value: text },
      ] };
      api<SegmentPage>('/api/segments/preview', { method: 'POST', body: { filter, limit: 10 }, signal: abort.signal })
        .then(page => { setFound(page.customers.filter(c => c.id !== customer.id)); setError(null); },
          failure => { if (!abort.signal.aborted) setError(message(failure)); });
    }, 250);
    return () => { clearTimeout(timer); abort.abort(); };
  }, [query, customer.id]);

  const row = (other: CustomerProfile, why?: string) => (
    <li key={other.id}>
      <span>
        <strong>{customerTitle(other)}</strong>
        {' '}{other.identities.map(i => <ChannelBadge key={`${i.channel}:${i.value}`} channel={i.channel} />)}
        {why && <span className="hint"> · {why}</span>}
      </span>
      <button type="button" onClick={() => onPick(other)}>Compare<span className="visually-hidden"> with {customerTitle(other)}</span></button>
    </li>
  );
  return (
    <div className="card pick-other">
      <h2>Merge {customerTitle(customer)} with…</h2>
      {suggestions && suggestions.length > 0 && (
        <>
          <h3>Suggestions</h3>
          <ul className="plain" aria-label="Suggestions">
            {suggestions.map(s => row(s.customer, s.reasons.map(r => `${ReasonWords[r.kind] ?? r.kind} ${r.value}`).join('; ')))}
          </ul>
        </>
      )}
      <label>Find a customer <input type="search" value={query} maxLength={200} placeholder="Name, phone or email" onChange={e => setQuery(e.target.value)} /></label>
      {error && <p role="alert" className="error">{error}</p>}
      {query.trim().length >= 2 && found && (
        <ul className="plain" aria-label="Customers found">
          {found.map(c => row(c))}
          {found.length === 0 && <li className="hint">Nobody found.</li>}
        </ul>
      )}
    </div>
  );
}
