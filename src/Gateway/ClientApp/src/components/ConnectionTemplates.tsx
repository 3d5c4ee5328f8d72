import { useEffect, useId, useState, type FormEvent } from 'react';
import { api, ApiError } from '../api/client';
import type { ChannelConnection, MessageTemplate, TemplateCatalog, TemplateSyncResult } from '../api/types';
import { placeholders, templateLabel, templateParts } from '../logic/templates';
import { message } from './AdminParts';

interface TemplateDraft { index: number | null; id: string; name: string; language: string; category: string; body: string }
const NewTemplate: TemplateDraft = { index: null, id: '', name: '', language: '', category: '', body: '' };

/**
 * A connection's template catalog: entered by hand as approved in the provider's console (variables come from the
 * body's placeholders), saved as a whole, or read from the provider where it has an API for them.
 */
export function ConnectionTemplates({ connection, onChanged }: { connection: ChannelConnection; onChanged: () => void }) {
  const id = useId();
  const [saved, setSaved] = useState<MessageTemplate[] | null>(null);
  const [templates, setTemplates] = useState<MessageTemplate[]>([]);
  const [draft, setDraft] = useState<TemplateDraft>(NewTemplate);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const path = `/api/channel-connections/${connection.id}/templates`;

  useEffect(() => {
    const abort = new AbortController();
    api<TemplateCatalog>(path, { signal: abort.signal })
      .then(catalog => { setSaved(catalog.templates); setTemplates(catalog.templates); },
        failure => { if (!abort.signal.aborted) setError(message(failure)); });
    return () => abort.abort();
  }, [path]);

  const changed = saved !== null && JSON.stringify(saved) !== JSON.stringify(templates);
  const variables = placeholders(draft.body);

  const keep = (event: FormEvent) => {
    event.preventDefault();
    const template: MessageTemplate = {
      id: draft.id.trim(), name: draft.name.trim(), language: draft.language.trim() || null, body: draft.body,
      variables, category: draft.category.trim() || null,
    };
    setTemplates(list => draft.index === null ? [...list, template] : list.map((t, i) => (i === draft.index ? template : t)));
    setDraft(NewTemplate);
    setNotice(null);
  };

  const save = async () => {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const catalog = await api<TemplateCatalog>(path, { method: 'PUT', body: { templates } });
      setSaved(catalog.templates);
      setTemplates(catalog.templates);
      setNotice({ ok: true, text: `Saved ${catalog.templates.length} ${catalog.templates.length === 1 ? 'template' : 'templates'}.` });
      onChanged();
    } catch (failure) {
      setError(failure instanceof ApiError ? catalogErrors(failure, templates) : message(failure));
    } finally {
      setBusy(false);
    }
  };

  const sync = async () => {
    if (changed && !confirm('Syncing replaces the unsaved changes with the provider\'s templates. Sync anyway?')) return;
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const result = await api<TemplateSyncResult>(`${path}/sync`, { method: 'POST' });
      setNotice({ ok: result.ok, text: result.message });
      setSaved(result.templates);
      setTemplates(result.templates);
      if (result.ok) onChanged();
    } catch (failure) {
      setNotice({ ok: false, text: message(failure) });
    } finally {
      setBusy(false);
    }
  };

  const headingId = `${id}-heading`;
  return (
    <section className="templates" aria-labelledby={headingId}>
      <h3 id={headingId}>Templates of {connection.displayName}</h3>
      {saved === null && !error && <p className="hint">Loading templates…</p>}
      {saved !== null && (
        <table>
          <caption className="visually-hidden">Templates of {connection.displayName}</caption>
          <thead><tr><th>Name</th><th>Provider id</th><th>Language</th><th>Text</th><th>Variables</th><th><span className="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            {templates.length === 0 && <tr><td colSpan={6} className="hint">No templates yet.</td></tr>}
            {templates.map((template, index) => (
              <tr key={`${template.id}-${template.language ?? ''}-${index}`}>
                <td id={`${id}-t${index}`}>{template.name}</td>
                <td><code>{template.id}</code></td>
                <td>{template.language ?? '—'}</td>
                <td className="pre">{templateParts(template.body).map((part, i) => part.variable === null
                  ? <span key={i}>{part.text}</span> : <mark key={i}>{part.text}</mark>)}</td>
                <td>{template.variables.join(', ') || '—'}</td>
                <td>
                  <button type="button" aria-describedby={`${id}-t${index}`} onClick={() => setDraft({
                    index, id: template.id, name: template.name, language: template.language ?? '', category: template.category ?? '', body: template.body,
                  })}>Edit</button>
                  <button type="button" aria-describedby={`${id}-t${index}`}
                    onClick={() => { setTemplates(list => list.filter((_, i) => i !== index)); if (draft.index === index) setDraft(NewTemplate); }}>Remove</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="buttons">
        <button type="button" className="primary" disabled={busy || !changed} onClick={() => void save()}>Save templates</button>
        <button type="button" disabled={busy} onClick={() => void sync()}>Sync from provider</button>
        {changed && <span className="hint">Unsaved changes</span>}
      </div>
      {notice && <p role="status" className={notice.ok ? 'ok' : 'error'}>{notice.text}</p>}
      {error && <p role="alert" className="error">{error}</p>}
      <form className="stack-form" aria-label={draft.index === null ? 'Add a template' : 'Edit template'} onSubmit={keep}>
        <h4>{draft.index === null ? 'Add a template' : `Edit ${templateLabel(draft)}`}</h4>
        <label>Template name <input required maxLength={200} value={draft.name} onChange={e => setDraft({ ...draft, name: e.target.value })} /></label>
        <label>Provider's template id
          <input required maxLength={200} value={draft.id} aria-describedby={`${id}-id-hint`} onChange={e => setDraft({ ...draft, id: e.target.value })} />
        </label>
        <span id={`${id}-id-hint`} className="hint">Twilio: the Content SID (HX…); WhatsApp Cloud: the template's name; WeChat: the template ID.</span>
        <label>Language (optional, e.g. en_US) <input maxLength={20} value={draft.language} onChange={e => setDraft({ ...draft, language: e.target.value })} /></label>
        <label>Category (optional) <input maxLength={50} value={draft.category} onChange={e => setDraft({ ...draft, category: e.target.value })} /></label>
        <label>Template text
          <textarea required rows={3} maxLength={2048} value={draft.body} aria-describedby={`${id}-body-hint`}
            onChange={e => setDraft({ ...draft, body: e.target.value })} />
        </label>
        <span id={`${id}-body-hint`} className="hint">
          Placeholders as the provider writes them: {'{{1}}'}, {'{{customer_name}}'} or WeChat's {'{{first.DATA}}'}.
          {' '}Variables: {variables.length ? variables.join(', ') : 'none'}.
        </span>
        <div className="buttons">
          <button type="submit">{draft.index === null ? 'Add template' : 'Update template'}</button>
          {draft.index !== null && <button type="button" onClick={() => setDraft(NewTemplate)}>Cancel</button>}
        </div>
        <p className="hint">Added and edited templates are kept once you press Save templates.</p>
      </form>
    </section>
  );
}

/** The API's `templates[i].field` errors, said with the template's name. */
function catalogErrors(failure: ApiError, templates: readonly MessageTemplate[]): string {
  const entries = Object.entries(failure.errors);
  if (entries.length === 0) return failure.message;
  return entries.map(([key, words]) => {
    const index = /^templates\[(\d+)\]/i.exec(key)?.[1];
    const template = index === undefined ? undefined : templates[Number(index)];
    return `${template ? `${template.name || template.id}: ` : ''}${words.join(' ')}`;
  }).join(' ');
}
