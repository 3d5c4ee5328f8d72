import { useId, useState, type FormEvent } from 'react';
import { api } from '../api/client';
import type { ChannelConnection, ConnectionTestResult, ConnectionType, Team } from '../api/types';
import {
  channelName, connectionTypeOf, ConnectionTypes, fieldText, formType, secretIsSet, settingsBody, settingsOf, webhookLabel, type ConnectionTypeSpec,
} from '../logic/channels';
import { ConnectionTemplates } from './ConnectionTemplates';
import { message, Section, useAction, useList } from './AdminParts';

interface ConnectionDraft {
  id: string | null;
  type: ConnectionType;
  displayName: string;
  enabled: boolean;
  /** What the admin typed per settings field; secrets start empty and are sent only when typed. */
  values: Record<string, string>;
}

const newDraft = (type: ConnectionType): ConnectionDraft =>
  ({ id: null, type, displayName: connectionTypeOf(type)?.defaultName ?? '', enabled: true, values: {} });

/** Owners and admins connect the workspace's WhatsApp (Twilio or Cloud API), WeChat and Messenger accounts. */
export function Channels() {
  const [connections, reload, loadError] = useList<ChannelConnection>('/api/channel-connections');
  const [teams] = useList<Team>('/api/teams');
  const [draft, setDraft] = useState<ConnectionDraft>(() => newDraft('twilio-whatsapp'));
  const [run, error] = useAction(reload);
  const [tests, setTests] = useState<Record<string, ConnectionTestResult | 'testing'>>({});
  const [templatesOf, setTemplatesOf] = useState<string | null>(null);
  const spec = formType(draft.type);

  const save = (event: FormEvent) => {
    event.preventDefault();
    const settings = settingsBody(spec, draft.values, draft.id !== null);
    void run(async () => {
      if (draft.id) {
        await api(`/api/channel-connections/${draft.id}`, {
          method: 'PATCH', body: { displayName: draft.displayName, enabled: draft.enabled, [spec.property]: settings },
        });
      } else {
        await api('/api/channel-connections', {
          method: 'POST', body: { type: draft.type, displayName: draft.displayName, enabled: draft.enabled, [spec.property]: settings },
        });
      }
      setDraft(newDraft(draft.type));
    });
  };
  const test = async (id: string) => {
    setTests(t => ({ ...t, [id]: 'testing' }));
    try {
      const result = await api<ConnectionTestResult>(`/api/channel-connections/${id}/test`, { method: 'POST' });
      setTests(t => ({ ...t, [id]: result }));
    } catch (failure) {
      setTests(t => ({ ...t, [id]: { ok: false, message: message(failure) } }));
    }
  };
  const route = (id: string, teamId: string) =>
    void run(() => api(`/api/channel-connections/${id}/routing`, { method: 'PUT', body: { teamId: teamId || null } }));
  const remove = (connection: ChannelConnection) => {
    if (!confirm(`Remove ${connection.displayName}? Messages to it will be refused.`)) return;
    void run(() => api(`/api/channel-connections/${connection.id}`, { method: 'DELETE' }));
  };
  const edit = (connection: ChannelConnection, type: ConnectionTypeSpec) => {
    const view = settingsOf(connection);
    const values = Object.fromEntries(type.fields.filter(f => f.kind !== 'secret').map(f => [f.name, fieldText(view, f)]));
    setDraft({ id: connection.id, type: type.type, displayName: connection.displayName, enabled: connection.enabled, values });
  };

  return (
    <Section title="Channels" error={loadError ?? error}>
      {connections?.map(connection => {
        const result = tests[connection.id];
        const type = connectionTypeOf(connection.type);
        const view = settingsOf(connection);
        const showTemplates = templatesOf === connection.id;
        return (
          <article key={connection.id} className="card" aria-label={connection.displayName}>
            <h2>
              {connection.displayName}{' '}
              <span className="hint">{type?.label ?? channelName(connection.channel ?? connection.type)} · {connection.enabled ? 'enabled' : 'disabled'}</span>
            </h2>
            <dl>
              {type?.fields.map(field => (
                <SettingRow key={field.name} label={field.label.replace(/ \(.*\)$/, '')}
                  value={field.kind === 'secret' ? (secretIsSet(view, field.name) ? 'set (hidden)' : 'not set') : fieldText(view, field) || '—'} />
              ))}
              {type?.shown?.map(extra => (
                <SettingRow key={extra.name} label={extra.label} value={fieldText(view, { name: extra.name, label: extra.label, kind: 'text' }) || '—'} />
              ))}
            </dl>
            <Webhooks webhooks={connection.webhooks} />
            <label>Routes new conversations to
              <select value={connection.routingTeamId ?? ''} onChange={e => route(connection.id, e.target.value)}>
                <option value="">The whole workspace</option>
                {teams?.map(team => <option key={team.id} value={team.id}>{team.name}</option>)}
              </select>
            </label>
            <div className="buttons">
              <button type="button" onClick={() => void test(connection.id)} disabled={result === 'testing'}>Test connection</button>
              {type && <button type="button" onClick={() => edit(connection, type)}>Edit</button>}
              <button type="button" aria-expanded={showTemplates} onClick={() => setTemplatesOf(showTemplates ? null : connection.id)}>
                Templates{connection.templates !== undefined ? ` (${connection.templates})` : ''}
              </button>
              <button type="button" onClick={() => remove(connection)}>Remove</button>
            </div>
            {result && result !== 'testing' && (
              <p role="status" className={result.ok ? 'ok' : 'error'}>{result.ok ? 'Connection works: ' : 'Connection failed: '}{result.message}</p>
            )}
            {showTemplates && <ConnectionTemplates connection={connection} onChanged={reload} />}
          </article>
        );
      })}
      <ConnectionForm draft={draft} spec={spec} setDraft={setDraft} save={save} />
    </Section>
  );
}

function SettingRow({ label, value }: { label: string; value: string }) {
  return <><dt>{label}</dt><dd>{value}</dd></>;
}

/** The URLs to paste into the provider's console, each with a button that copies it. */
function Webhooks({ webhooks }: { webhooks: Record<string, string> }) {
  const [copied, setCopied] = useState<string | null>(null);
  const copy = async (name: string, url: string) => {
    try {
      await navigator.clipboard.writeText(url);
      setCopied(name);
    } catch {
      // No clipboard (an insecure origin, or refused): the URL is selectable text.
      setCopied(null);
    }
  };
  const entries = Object.entries(webhooks ?? {});
  if (entries.length === 0) return null;
  return (
    <dl className="webhooks">
      {entries.map(([name, url]) => (
        <div key={name} className="webhook">
          <dt>{webhookLabel(name)}</dt>
          <dd>
            <code>{url}</code>{' '}
            <button type="button" aria-label={`Copy ${webhookLabel(name)}`} onClick={() => void copy(name, url)}>Copy</button>
            {copied === name && <span role="status" className="ok"> Copied</span>}
          </dd>
        </div>
      ))}
    </dl>
  );
}

function ConnectionForm({ draft, spec, setDraft, save }: {
  draft: ConnectionDraft; spec: ConnectionTypeSpec; setDraft: (draft: ConnectionDraft) => void; save: (event: FormEvent) => void;
}) {
  const id = useId();
  const editing = draft.id !== null;
  const setValue = (name: string, value: string) => setDraft({ ...draft, values: { ...draft.values, [name]: value } });
  return (
    <form className="stack-form" onSubmit={save} aria-label={editing ? 'Edit connection' : 'Add a channel connection'}>
      <h2>{editing ? `Edit ${draft.displayName}` : 'Add a channel connection'}</h2>
      {!editing && (
        <label>Channel type
          <select value={draft.type} onChange={e => setDraft(newDraft(e.target.value as ConnectionType))}>
            {ConnectionTypes.map(t => <option key={t.type} value={t.type}>{t.label}</option>)}
          </select>
        </label>
      )}
      <label>Display name <input required maxLength={100} value={draft.displayName} onChange={e => setDraft({ ...draft, displayName: e.target.value })} /></label>
      {spec.fields.map(field => {
        const hintId = `${id}-${field.name}-hint`;
        const secretHint = field.kind === 'secret' && editing ? 'Stored and hidden: leave empty to keep it, or type a new one to replace it.' : null;
        const hint = [field.hint, secretHint].filter(Boolean).join(' ');
        const inputId = `${id}-${field.name}`;
        return (
          <div key={`${draft.type}-${field.name}`} className="field">
            <label htmlFor={inputId}>{field.label}</label>
            <input id={inputId}
              type={field.kind === 'secret' ? 'password' : field.kind === 'url' ? 'url' : 'text'}
              autoComplete={field.kind === 'secret' ? 'new-password' : 'off'}
              required={field.required && !(editing && field.kind === 'secret')}
              value={draft.values[field.name] ?? ''}
              aria-describedby={hint ? hintId : undefined}
              onChange={e => setValue(field.name, e.target.value)} />
            {hint && <span id={hintId} className="hint">{hint}</span>}
          </div>
        );
      })}
      <label className="check"><input type="checkbox" checked={draft.enabled} onChange={e => setDraft({ ...draft, enabled: e.target.checked })} /> Enabled</label>
      <div className="buttons">
        <button type="submit" className="primary">{editing ? 'Save connection' : 'Add connection'}</button>
        {editing && <button type="button" onClick={() => setDraft(newDraft(draft.type))}>Cancel</button>}
      </div>
    </form>
  );
}
