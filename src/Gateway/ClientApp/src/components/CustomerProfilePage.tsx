import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, ApiError } from '../api/client';
import { usePush } from '../api/hub';
import type {
  AttributeValue, CustomerChangedPush, CustomerDetails, CustomerProfile, HistoryPage, MergeRecord, TimelinePage, TimelineItem, ProfileChange,
} from '../api/customers';
import { channelName, identityText } from '../logic/channels';
import { customerTitle, daysAgo, unreachableText } from '../logic/customers';
import { fullTime } from '../logic/format';
import { Channels } from '../logic/filters';
import { fieldLabel, undoOpen } from '../logic/merge';
import { formOf, overlapping, profileChanges, reapply, type ProfileForm } from '../logic/profileForm';
import { conversationHref, customerHref, customersHref, mergeHref } from '../logic/route';
import { activitySentence, eventSentence, statusWords } from '../logic/status';
import { message } from './AdminParts';
import { ChannelBadge } from './ChannelBadge';
import type { CustomerDirectory } from './Customers';
import { AttributeInput, attributeText } from './CustomerParts';
import { useNow } from './useNow';

interface Conflict { newer: CustomerProfile; changes: Record<string, unknown>; overlap: string[] }

export function CustomerProfilePage({ customerId, directory, reconnects }: { customerId: string; directory: CustomerDirectory; reconnects: number }) {
  const [details, setDetails] = useState<CustomerDetails | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [historyKey, setHistoryKey] = useState(0);

  const load = useCallback(() => {
    const abort = new AbortController();
    api<CustomerDetails>(`/api/customers/${customerId}`, { signal: abort.signal }).then(found => {
      // A merged-away customer's address leads (307) to the survivor: show the survivor at its own address.
      if (found.profile.id !== customerId) {
        location.hash = customerHref(found.profile.id);
        return;
      }
      setDetails(found);
      setLoadError(null);
    }, failure => { if (!abort.signal.aborted) setLoadError(message(failure)); });
    return () => abort.abort();
  }, [customerId]);
  useEffect(load, [load, reconnects]);

  const changed = useCallback((next: CustomerDetails) => {
    setDetails(current => !current || next.profile.version >= current.profile.version ? next : current);
    setHistoryKey(k => k + 1);
  }, []);

  usePush<CustomerChangedPush>('CustomerChanged', push => {
    if (push.customerId !== customerId) return;
    setDetails(current => {
      if (current && push.version <= current.profile.version) return current;
      setNotice('This profile was just changed by someone else: what you see is up to date.');
      setHistoryKey(k => k + 1);
      return { profile: push.profile, age: current?.age ?? null };
    });
  });
  // A merge (or its undo, `undone`) elsewhere: a merged-away profile leads to its survivor; the survivor reloads.
  usePush<{ mergedId: string; survivorId: string; undone?: boolean }>('CustomersMerged', push => {
    if (push.mergedId === customerId && !push.undone) location.hash = customerHref(push.survivorId);
    else if (push.survivorId === customerId || push.mergedId === customerId) load();
  });

  if (loadError) {
    return (
      <section aria-labelledby="profile-title">
        <h1 id="profile-title">Customer</h1>
        <p role="alert" className="error">{loadError}</p>
        <p><a href={customersHref}>Back to customers</a></p>
      </section>
    );
  }
  if (!details) return <p className="hint">Loading…</p>;
  const { profile } = details;
  return (
    <section aria-labelledby="profile-title" className="profile">
      <div className="profile-head">
        <h1 id="profile-title">{customerTitle(profile)}</h1>
        {details.age !== null && <span className="hint">{details.age} years old</span>}
        <a className="button-link" href={mergeHref(profile.id)}>Merge with another customer…</a>
      </div>
      {notice && <p role="status" className="notice">{notice}</p>}
      <div className="profile-grid">
        <Fields key={`fields-${profile.id}`} profile={profile} directory={directory} onChanged={changed} />
        <div className="profile-side">
          <Identities profile={profile} directory={directory} onChanged={changed} />
          <Consents profile={profile} directory={directory} onChanged={changed} />
          <Behaviour profile={profile} />
          <Labels profile={profile} directory={directory} onChanged={changed} />
          <Merges customerId={profile.id} onUndone={load} />
        </div>
      </div>
      <Timeline customerId={profile.id} reconnects={reconnects} />
      <History customerId={profile.id} directory={directory} reloadKey={historyKey} />
    </section>
  );
}

function Fields({ profile, directory, onChanged }: { profile: CustomerProfile; directory: CustomerDirectory; onChanged: (d: CustomerDetails) => void }) {
  // The form edits a copy of the profile at `base` (its version is what a save is made against).
  const [base, setBase] = useState(profile);
  const [form, setForm] = useState<ProfileForm>(() => formOf(profile.fields));
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [busy, setBusy] = useState(false);
  const changes = profileChanges(formOf(base.fields), form);
  const dirty = Object.keys(changes).length > 0;

  // A newer profile (a push, a label, a consent) replaces an untouched form; an edited one keeps the agent's words
  // and meets the newer version on save (409), where it can be re-applied.
  const [seen, setSeen] = useState(profile);
  if (seen !== profile) {
    setSeen(profile);
    if (!dirty && !conflict) {
      setBase(profile);
      setForm(formOf(profile.fields));
    }
  }

  const set = <K extends keyof ProfileForm>(key: K, value: ProfileForm[K]) => {
    setForm(f => ({ ...f, [key]: value }));
    setSaved(false);
  };

  const save = async (event?: FormEvent, against: CustomerProfile = base, body: Record<string, unknown> = changes) => {
    event?.preventDefault();
    setError(null);
    setErrors({});
    setSaved(false);
    setBusy(true);
    try {
      const stored = await api<CustomerDetails>(`/api/customers/${profile.id}`, { method: 'PATCH', body: { version: against.version, ...body } });
      setConflict(null);
      setBase(stored.profile);
      setForm(formOf(stored.profile.fields));
      setSaved(true);
      onChanged(stored);
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 409) {
        // The server's answer to a stale version is the profile as it is now: offer to lay these changes over it.
        const newer = await api<CustomerDetails>(`/api/customers/${profile.id}`).catch(() => null);
        if (newer) {
          setConflict({ newer: newer.profile, changes: body, overlap: overlapping(formOf(against.fields), formOf(newer.profile.fields), body) });
          onChanged(newer);
        } else setError(failure.message);
      } else if (failure instanceof ApiError && Object.keys(failure.errors).length > 0) {
        setErrors(failure.errors);
        setError('Not saved: see the fields marked below.');
      } else setError(message(failure));
    } finally {
      setBusy(false);
    }
  };

  const reapplyChanges = () => {
    if (!conflict) return;
    setBase(conflict.newer);
    setForm(reapply(conflict.newer.fields, conflict.changes));
    void save(undefined, conflict.newer, conflict.changes);
  };
  const discard = () => {
    if (!conflict) return;
    setBase(conflict.newer);
    setForm(formOf(conflict.newer.fields));
    setConflict(null);
  };

  const fieldError = (key: string) => {
    const found = Object.entries(errors).filter(([k]) => k === key || k.startsWith(`${key}[`) || k.startsWith(`${key}.`)).flatMap(([, m]) => m);
    return found.length ? <span id={`err-${key}`} className="error field-error">{found.join(' ')}</span> : null;
  };
  const describedBy = (key: string) => Object.keys(errors).some(k => k === key || k.startsWith(`${key}[`) || k.startsWith(`${key}.`)) ? `err-${key}` : undefined;
  const text = (key: 'name' | 'language' | 'timeZone' | 'company' | 'valueTier', label: string, hint?: string) => (
    <label>{label}
      <input value={form[key]} maxLength={200} placeholder={hint} aria-describedby={describedBy(key)} onChange={e => set(key, e.target.value)} />
      {fieldError(key)}
    </label>
  );
  const stages = directory.stages ?? [];
  return (
    <form className="card profile-fields" aria-labelledby="fields-title" onSubmit={e => void save(e)}>
      <h2 id="fields-title">Profile</h2>
      {conflict && (
        <div role="alert" className="conflict">
          <p><strong>Someone saved this profile while you were editing</strong> (now version {conflict.newer.version}).
            {conflict.overlap.length > 0
              ? ` They also changed ${conflict.overlap.map(f => fieldLabel(f, directory.attributes)).join(', ')}: re-applying puts your values there.`
              : ' Your changes touch other fields than theirs.'}</p>
          <dl className="compare">
            {Object.keys(conflict.changes).filter(k => k !== 'attributes').map(key => (
              <div key={key}>
                <dt>{fieldLabel(key)}</dt>
                <dd>Theirs: {shownValue(formOf(conflict.newer.fields)[key as keyof ProfileForm])} · Yours: {shownValue(conflict.changes[key])}</dd>
              </div>
            ))}
            {Object.entries((conflict.changes.attributes as Record<string, AttributeValue> | undefined) ?? {}).map(([key, value]) => (
              <div key={`a-${key}`}>
                <dt>{fieldLabel(`attribute.${key}`, directory.attributes)}</dt>
                <dd>Theirs: {attributeText(conflict.newer.fields.attributes?.[key])} · Yours: {attributeText(value)}</dd>
              </div>
            ))}
          </dl>
          <div className="buttons">
            <button type="button" className="primary" onClick={reapplyChanges} disabled={busy}>Re-apply my changes</button>
            <button type="button" onClick={discard}>Discard my changes</button>
          </div>
        </div>
      )}
      <div className="field-grid">
        {text('name', 'Name')}
        {text('company', 'Company')}
        {text('language', 'Language', 'e.g. en, pt-BR')}
        {text('timeZone', 'Time zone', 'e.g. Asia/Shanghai')}
        <label>Birthday
          <input type="date" value={form.birthday} aria-describedby={describedBy('birthday')} onChange={e => set('birthday', e.target.value)} />
          {fieldError('birthday')}
        </label>
        <label>Lifecycle stage
          {stages.length > 0 ? (
            <select value={form.lifecycleStage} aria-describedby={describedBy('lifecycleStage')} onChange={e => set('lifecycleStage', e.target.value)}>
              <option value="">None</option>
              {stages.map(s => <option key={s} value={s}>{s}</option>)}
              {form.lifecycleStage && !stages.some(s => s.toLowerCase() === form.lifecycleStage.toLowerCase())
                && <option value={form.lifecycleStage}>{form.lifecycleStage}</option>}
            </select>
          ) : <input value={form.lifecycleStage} maxLength={200} onChange={e => set('lifecycleStage', e.target.value)} />}
          {fieldError('lifecycleStage')}
        </label>
        <label>Owner
          <select value={form.ownerAgentId} aria-describedby={describedBy('ownerAgentId')} onChange={e => set('ownerAgentId', e.target.value)}>
            <option value="">Nobody</option>
            {directory.agents.map(a => <option key={a.id} value={a.id}>{a.name}</option>)}
          </select>
          {fieldError('ownerAgentId')}
        </label>
        {text('valueTier', 'Value tier')}
      </div>
      <Contacts kind="phone" items={form.phones.map(p => ({ value: p.number, verified: p.verified }))} error={fieldError('phones')}
        onChange={items => set('phones', items.map(i => ({ number: i.value, verified: i.verified })))} />
      <Contacts kind="email" items={form.emails.map(e => ({ value: e.address, verified: e.verified }))} error={fieldError('emails')}
        onChange={items => set('emails', items.map(i => ({ address: i.value, verified: i.verified })))} />
      <label className="notes">Notes
        <textarea rows={3} maxLength={4000} value={form.notes} onChange={e => set('notes', e.target.value)} />
        {fieldError('notes')}
      </label>
      {directory.attributes.length > 0 && (
        <fieldset className="attributes">
          <legend>Custom attributes</legend>
          <div className="field-grid">
            {directory.attributes.map(definition => (
              <div key={definition.key} className="attribute">
                <AttributeInput definition={definition} value={form.attributes[definition.key]} describedBy={describedBy(`attributes.${definition.key}`)}
                  onChange={value => set('attributes', { ...form.attributes, [definition.key]: value })} />
                {fieldError(`attributes.${definition.key}`)}
              </div>
            ))}
          </div>
        </fieldset>
      )}
      <div className="buttons">
        <button type="submit" className="primary" disabled={!dirty || busy || conflict !== null}>Save profile</button>
        {dirty && !conflict && <button type="button" onClick={() => { setForm(formOf(base.fields)); setErrors({}); setError(null); }}>Undo my edits</button>}
      </div>
      {error && <p role="alert" className="error">{error}</p>}
      {saved && !dirty && <p role="status" className="ok">Saved (version {base.version}).</p>}
    </form>
  );
}

function shownValue(value: unknown): string {
  if (value === null || value === undefined || value === '') return '(empty)';
  if (Array.isArray(value)) return value.map(v => (v as { number?: string; address?: string }).number ?? (v as { address?: string }).address ?? String(v)).join(', ') || '(none)';
  return String(value);
}

function Contacts({ kind, items, onChange, error }: {
  kind: 'phone' | 'email'; items: { value: string; verified: boolean }[]; onChange: (items: { value: string; verified: boolean }[]) => void; error: React.ReactNode;
}) {
  const title = kind === 'phone' ? 'Phone numbers' : 'Email addresses';
  const noun = kind === 'phone' ? 'Phone' : 'Email';
  return (
    <fieldset className="contacts">
      <legend>{title}</legend>
      {items.map((item, i) => (
        <div key={i} className="contact-row">
          <input type={kind === 'phone' ? 'tel' : 'email'} aria-label={`${noun} ${i + 1}`} value={item.value} maxLength={254}
            placeholder={kind === 'phone' ? '+14155550100' : 'name@example.com'}
            onChange={e => onChange(items.map((it, j) => j === i ? { ...it, value: e.target.value } : it))} />
          <label className="check">
            <input type="checkbox" checked={item.verified} onChange={e => onChange(items.map((it, j) => j === i ? { ...it, verified: e.target.checked } : it))} />
            Verified
          </label>
          <button type="button" aria-label={`Remove ${noun.toLowerCase()} ${i + 1}`} onClick={() => onChange(items.filter((_, j) => j !== i))}>×</button>
        </div>
      ))}
      <button type="button" disabled={items.length >= 20} onClick={() => onChange([...items, { value: '', verified: false }])}>Add {noun.toLowerCase()}</button>
      {error}
    </fieldset>
  );
}

/** A change made from one of the profile's cards: the stored profile shown when it worked, the failure in words when not. */
function useProfileChange(onChanged: (d: CustomerDetails) => void): [(request: () => Promise<CustomerDetails>) => Promise<void>, string | null] {
  const [error, setError] = useState<string | null>(null);
  const change = useCallback(async (request: () => Promise<CustomerDetails>) => {
    setError(null);
    try {
      onChanged(await request());
    } catch (failure) {
      setError(message(failure));
    }
  }, [onChanged]);
  return [change, error];
}

function Identities({ profile, directory, onChanged }: { profile: CustomerProfile; directory: CustomerDirectory; onChanged: (d: CustomerDetails) => void }) {
  const [change, error] = useProfileChange(onChanged);
  const identities = profile.identityDetails ?? profile.identities;
  const markReachable = (channel: string, value: string) => change(() =>
    api<CustomerDetails>(`/api/customers/${profile.id}/identities/${encodeURIComponent(channel)}/${encodeURIComponent(value)}/unreachable`, { method: 'DELETE' }));
  return (
    <section className="card" aria-labelledby="identities-title">
      <h2 id="identities-title">Channel identities</h2>
      {identities.length === 0 && <p className="hint">None: this customer has not written on any channel.</p>}
      <ul className="plain identities">
        {identities.map(identity => {
          const connection = identity.connectionId ? directory.connections.find(c => c.id === identity.connectionId)?.displayName ?? 'a connection' : null;
          const unreachableAt = identity.unreachableAt ?? null;
          return (
            <li key={`${identity.channel}:${identity.value}`}>
              <span>
                <ChannelBadge channel={identity.channel} /> {identityText(identity.value)}
                {connection && <span className="hint"> · via {connection}</span>}
                <br />
                {unreachableAt
                  ? <span className="error">Unreachable since {fullTime(unreachableAt)}: {unreachableText(identity.unreachableReason)}</span>
                  : <span className="ok">Reachable</span>}
              </span>
              {unreachableAt && (
                <button type="button" onClick={() => void markReachable(identity.channel, identity.value)}>
                  Mark reachable<span className="visually-hidden"> {channelName(identity.channel)} {identityText(identity.value)}</span>
                </button>
              )}
            </li>
          );
        })}
      </ul>
      {error && <p role="alert" className="error">{error}</p>}
    </section>
  );
}

const SourceWords: Record<string, string> = { keyword: 'by keyword', 'channel-event': 'by the channel', agent: 'by an agent', import: 'by an import' };

function Consents({ profile, directory, onChanged }: { profile: CustomerProfile; directory: CustomerDirectory; onChanged: (d: CustomerDetails) => void }) {
  const [run, error] = useProfileChange(onChanged);
  const consents = profile.consents ?? [];
  const channels = [...new Set([...profile.identities.map(i => i.channel), ...consents.map(c => c.channel)])]
    .filter(c => (Channels as readonly string[]).includes(c));
  const shown = channels.length ? channels : [...Channels];
  const change = (channel: string, state: 'opted-in' | 'opted-out') =>
    run(() => api<CustomerDetails>(`/api/customers/${profile.id}/consent/${channel}`, { method: 'PUT', body: { state } }));
  return (
    <section className="card" aria-labelledby="consent-title">
      <h2 id="consent-title">Consent</h2>
      <ul className="plain consents">
        {shown.map(channel => {
          const consent = consents.find(c => c.channel === channel);
          const by = consent?.changedBy ? directory.agents.find(a => a.id === consent.changedBy)?.name : null;
          return (
            <li key={channel}>
              <span>
                <strong>{channelName(channel)}:</strong>{' '}
                {consent ? (consent.state === 'opted-out' ? 'opted out' : 'opted in') : 'no choice recorded'}
                {consent && (
                  <span className="hint"> ({SourceWords[consent.source] ?? consent.source}{by ? ` ${by}` : ''}{consent.detail ? `: “${consent.detail}”` : ''}, {fullTime(consent.changedAt)})</span>
                )}
              </span>
              {consent?.state === 'opted-out'
                ? <button type="button" onClick={() => void change(channel, 'opted-in')}>Opt in<span className="visually-hidden"> on {channelName(channel)}</span></button>
                : <button type="button" onClick={() => void change(channel, 'opted-out')}>Opt out<span className="visually-hidden"> on {channelName(channel)}</span></button>}
            </li>
          );
        })}
      </ul>
      {error && <p role="alert" className="error">{error}</p>}
    </section>
  );
}

function Behaviour({ profile }: { profile: CustomerProfile }) {
  const now = useNow(60_000);
  const behaviour = profile.behaviour;
  if (!behaviour) return null;
  const when = (iso: string | null | undefined) => iso ? <time dateTime={iso} title={fullTime(iso)}>{daysAgo(iso, now)}</time> : 'never';
  return (
    <section className="card" aria-labelledby="behaviour-title">
      <h2 id="behaviour-title">Behaviour</h2>
      <dl>
        <dt>First seen</dt><dd>{when(behaviour.firstSeenAt)}</dd>
        <dt>Last message from them</dt><dd>{when(behaviour.lastInboundAt)}{behaviour.lastChannel ? ` on ${channelName(behaviour.lastChannel)}` : ''}</dd>
        <dt>Last reply by an agent</dt><dd>{when(behaviour.lastOutboundAgentAt)}</dd>
        <dt>Last message by automation</dt><dd>{when(behaviour.lastOutboundAutomationAt)}</dd>
        <dt>Messages</dt><dd>{behaviour.inboundCount ?? 0} from them, {behaviour.outboundCount ?? 0} to them</dd>
      </dl>
      {(behaviour.channels?.length ?? 0) > 0 && (
        <table className="per-channel">
          <caption className="visually-hidden">Per channel</caption>
          <thead><tr><th scope="col">Channel</th><th scope="col">Last from them</th><th scope="col">Last reply</th><th scope="col">In / out</th></tr></thead>
          <tbody>
            {(behaviour.channels ?? []).map(c => (
              <tr key={c.channel}>
                <th scope="row">{channelName(c.channel)}</th>
                <td>{when(c.lastInboundAt)}</td>
                <td>{when(c.lastOutboundAgentAt ?? c.lastOutboundAutomationAt)}</td>
                <td>{c.inboundCount ?? 0} / {c.outboundCount ?? 0}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Labels({ profile, directory, onChanged }: { profile: CustomerProfile; directory: CustomerDirectory; onChanged: (d: CustomerDetails) => void }) {
  const [change, error] = useProfileChange(onChanged);
  // What the agent just ticked, shown at once while the API confirms it.
  const [pending, setPending] = useState<Record<string, boolean>>({});
  const has = profile.labelIds ?? [];
  const toggle = async (labelId: string, on: boolean) => {
    setPending(p => ({ ...p, [labelId]: on }));
    await change(() => api<CustomerDetails>(`/api/customers/${profile.id}/labels/${labelId}`, { method: on ? 'PUT' : 'DELETE' }));
    setPending(p => Object.fromEntries(Object.entries(p).filter(([id]) => id !== labelId)));
  };
  return (
    <fieldset className="card labels">
      <legend>Labels</legend>
      {directory.labels.length === 0 && <p className="hint">No labels yet: admins add them under Admin › Labels.</p>}
      {directory.labels.map(label => (
        <label key={label.id} className="label-choice">
          <input type="checkbox" checked={pending[label.id] ?? has.includes(label.id)} onChange={e => void toggle(label.id, e.target.checked)} />
          <span className="swatch" style={{ backgroundColor: /^#[0-9a-f]{6}$/i.test(label.color) ? label.color : undefined }} aria-hidden="true" />
          {label.name}
        </label>
      ))}
      {error && <p role="alert" className="error">{error}</p>}
    </fieldset>
  );
}

function Merges({ customerId, onUndone }: { customerId: string; onUndone: () => void }) {
  const [merges, setMerges] = useState<MergeRecord[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<{ items: MergeRecord[] }>(`/api/customers/${customerId}/merges`).then(found => setMerges(found.items), () => setMerges([]));
  }, [customerId]);
  const now = useNow(30_000);
  const open = merges.filter(m => m.survivorId === customerId && undoOpen(m.undoUntil, m.undoneAt, now));
  if (open.length === 0) return null;
  const undo = async (merge: MergeRecord) => {
    setError(null);
    try {
      await api(`/api/customers/merges/${merge.id}/undo`, { method: 'POST' });
      setMerges(all => all.map(m => m.id === merge.id ? { ...m, undoneAt: new Date().toISOString() } : m));
      onUndone();
    } catch (failure) {
      setError(message(failure));
    }
  };
  return (
    <section className="card" aria-labelledby="merges-title">
      <h2 id="merges-title">Merges</h2>
      <ul className="plain">
        {open.map(m => (
          <li key={m.id}>
            <span>Merged {m.automatic ? 'automatically ' : ''}on {fullTime(m.mergedAt)}; undo until {fullTime(m.undoUntil)}.</span>
            <button type="button" onClick={() => void undo(m)}>Undo merge</button>
          </li>
        ))}
      </ul>
      {error && <p role="alert" className="error">{error}</p>}
    </section>
  );
}

function Timeline({ customerId, reconnects }: { customerId: string; reconnects: number }) {
  const [items, setItems] = useState<TimelineItem[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  const page = useCallback(async (before: string | null) => {
    setLoading(true);
    try {
      const found = await api<TimelinePage>(`/api/customers/${customerId}/timeline?limit=30${before ? `&before=${encodeURIComponent(before)}` : ''}`);
      setItems(current => before ? [...current, ...found.items.filter(i => !current.some(c => c.message.id === i.message.id))] : found.items);
      setCursor(found.nextCursor);
      setError(null);
    } catch (failure) {
      setError(message(failure));
    } finally {
      setLoading(false);
    }
  }, [customerId]);
  // The first page, again after a reconnect; the request's answer is what sets the state.
  // eslint-disable-next-line react-hooks/set-state-in-effect
  useEffect(() => { void page(null); }, [page, reconnects]);

  return (
    <section className="card timeline" aria-labelledby="timeline-title">
      <h2 id="timeline-title">Timeline across channels</h2>
      {error && <p role="alert" className="error">{error}</p>}
      <ol aria-label="Timeline" className="timeline-items">
        {items.map(item => {
          const m = item.message;
          const what = m.activity ? activitySentence(m) : m.event ? eventSentence(m.event) : m.text ?? (m.media.length ? 'Attachment' : '');
          return (
            <li key={m.id} className={`timeline-item dir-${m.direction}`}>
              <span className="meta">
                <ChannelBadge channel={item.channel} />
                <span>{m.direction === 'inbound' ? 'Customer' : m.direction === 'note' ? `Note by ${m.agent ?? 'an agent'}` : m.direction === 'outbound' ? (m.agent ?? 'Automation') : ''}</span>
                <time dateTime={m.createdAt}>{fullTime(m.createdAt)}</time>
                {m.direction === 'outbound' && <span>{statusWords(m)}</span>}
                <a href={conversationHref(item.conversationId)}>Open conversation<span className="visually-hidden"> of {fullTime(m.createdAt)}</span></a>
              </span>
              <p className="text">{what}</p>
            </li>
          );
        })}
        {!loading && items.length === 0 && !error && <li className="hint">No messages yet.</li>}
      </ol>
      {cursor && <button type="button" onClick={() => void page(cursor)} disabled={loading}>Older messages</button>}
    </section>
  );
}

function History({ customerId, directory, reloadKey }: { customerId: string; directory: CustomerDirectory; reloadKey: number }) {
  const [items, setItems] = useState<ProfileChange[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const page = useCallback(async (after: string | null) => {
    try {
      const found = await api<HistoryPage>(`/api/customers/${customerId}/history?limit=20${after ? `&after=${encodeURIComponent(after)}` : ''}`);
      setItems(current => after ? [...current, ...found.items.filter(i => !current.some(c => c.id === i.id))] : found.items);
      setCursor(found.nextCursor ?? null);
      setError(null);
    } catch (failure) {
      setError(message(failure));
    }
  }, [customerId]);
  // The newest page again whenever the profile changed (a save here, or a push).
  // eslint-disable-next-line react-hooks/set-state-in-effect
  useEffect(() => { void page(null); }, [page, reloadKey]);
  const who = (id: string | null) => id ? directory.agents.find(a => a.id === id)?.name ?? 'an agent' : 'Crm';
  const show = (field: string, value: string | null) => value === null ? '(empty)'
    : field === 'ownerAgentId' ? directory.agents.find(a => a.id === value)?.name ?? value : value;
  return (
    <section className="card history" aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      {error && <p role="alert" className="error">{error}</p>}
      <ol aria-label="Changes" className="history-items">
        {items.map(change => (
          <li key={change.id}>
            <time dateTime={change.at}>{fullTime(change.at)}</time>{' '}
            <strong>{who(change.changedBy)}</strong> changed <strong>{fieldLabel(change.field, directory.attributes)}</strong>
            {': '}<span className="from">{show(change.field, change.from)}</span> → <span className="to">{show(change.field, change.to)}</span>
          </li>
        ))}
        {items.length === 0 && !error && <li className="hint">No changes yet.</li>}
      </ol>
      {cursor && <button type="button" onClick={() => void page(cursor)}>Older changes</button>}
    </section>
  );
}
