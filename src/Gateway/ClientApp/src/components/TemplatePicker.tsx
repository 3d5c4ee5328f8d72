import { useId, useMemo, useState, type FormEvent, type Ref } from 'react';
import { api, ApiError } from '../api/client';
import type { MessageTemplate, TimelineMessage } from '../api/types';
import { missingVariables, searchTemplates, templateLabel, templateParts } from '../logic/templates';

const MaxShown = 50;
const keyOf = (t: MessageTemplate) => `${t.id}\u0000${t.language ?? ''}`;

/** Outside the reply window only an approved template goes out: the agent picks one, fills its variables and sends it. */
export function TemplatePicker({ conversationId, templates, loadError, onSent, searchRef }: {
  conversationId: string;
  /** The search box, for the composer's `r` shortcut. */
  searchRef?: Ref<HTMLInputElement>;
  /** The conversation's connection's catalog; null while it loads. */
  templates: MessageTemplate[] | null;
  loadError: string | null;
  onSent: (message: TimelineMessage) => void;
}) {
  const id = useId();
  const [query, setQuery] = useState('');
  const [chosenKey, setChosenKey] = useState<string | null>(null);
  const [values, setValues] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});

  const found = useMemo(() => searchTemplates(templates ?? [], query), [templates, query]);
  const chosen = templates?.find(t => keyOf(t) === chosenKey) ?? null;
  const missing = chosen ? missingVariables(chosen, values) : [];

  const choose = (template: MessageTemplate) => {
    setChosenKey(keyOf(template));
    setValues({});
    setFieldErrors({});
    setError(null);
  };

  const send = async (event: FormEvent) => {
    event.preventDefault();
    if (!chosen || busy || missing.length) return;
    setBusy(true);
    setError(null);
    setFieldErrors({});
    try {
      const variables = Object.fromEntries(chosen.variables.map(name => [name, values[name]?.trim() ?? '']));
      const message = await api<TimelineMessage>(`/api/conversations/${conversationId}/templates`, {
        method: 'POST', body: { templateId: chosen.id, language: chosen.language, variables },
      });
      setValues({});
      onSent(message);
    } catch (failure) {
      if (failure instanceof ApiError) {
        // A missing variable comes back keyed `variables.<name>`: said next to its field.
        const byVariable = Object.fromEntries(Object.entries(failure.errors)
          .filter(([key]) => key.startsWith('variables.'))
          .map(([key, words]) => [key.slice('variables.'.length), words.join(' ')]));
        setFieldErrors(byVariable);
      }
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };

  if (loadError) return <p role="alert" className="error">Templates could not be loaded: {loadError}</p>;
  if (!templates) return <p className="hint">Loading templates…</p>;
  if (templates.length === 0) {
    return <p className="hint">This channel connection has no templates yet: an admin adds them under Admin › Channels › Templates.</p>;
  }
  return (
    <form className="template-picker" aria-label="Send a template" onSubmit={e => void send(e)}>
      <input ref={searchRef} type="search" aria-label="Search templates" placeholder="Search templates by name or language" value={query}
        maxLength={100} onChange={e => setQuery(e.target.value)} />
      <fieldset className="template-list">
        <legend className="visually-hidden">Template</legend>
        {found.length === 0 && <p className="hint">No template matches.</p>}
        {found.slice(0, MaxShown).map(template => (
          <label key={keyOf(template)} className={`template-choice ${keyOf(template) === chosenKey ? 'on' : ''}`}>
            <input type="radio" name={`${id}-template`} checked={keyOf(template) === chosenKey} onChange={() => choose(template)} />
            {templateLabel(template)}
            {template.category && <span className="hint"> · {template.category.toLowerCase()}</span>}
          </label>
        ))}
        {found.length > MaxShown && <p className="hint">{found.length - MaxShown} more: search to narrow them down.</p>}
      </fieldset>
      {chosen && (
        <div className="template-chosen">
          <p className="template-body" aria-label="Template text">
            {templateParts(chosen.body).map((part, index) => part.variable === null
              ? <span key={index}>{part.text}</span>
              : <mark key={index}>{part.text}</mark>)}
          </p>
          {chosen.variables.map((name, index) => (
            <div key={name} className="variable">
              <label htmlFor={`${id}-v${index}`}>Value for {`{{${name}}}`}</label>
              <input id={`${id}-v${index}`} value={values[name] ?? ''} maxLength={1000} required aria-invalid={fieldErrors[name] ? true : undefined}
                aria-describedby={fieldErrors[name] ? `${id}-v${index}-error` : undefined}
                onChange={e => setValues(v => ({ ...v, [name]: e.target.value }))} />
              {fieldErrors[name] && <span id={`${id}-v${index}-error`} className="error">{fieldErrors[name]}</span>}
            </div>
          ))}
          <div className="template-preview" aria-live="polite">
            <span className="hint">Preview</span>
            <p aria-label="Preview">
              {templateParts(chosen.body, values).map((part, index) => part.variable === null || part.filled
                ? <span key={index}>{part.text}</span>
                : <mark key={index}>{part.text}</mark>)}
            </p>
          </div>
          <div className="buttons">
            <button type="submit" className="primary" disabled={busy || missing.length > 0}>Send template</button>
            {missing.length > 0 && <span className="hint">Fill {missing.map(n => `{{${n}}}`).join(', ')} to send.</span>}
          </div>
        </div>
      )}
      {error && <p role="alert" className="error">{error}</p>}
    </form>
  );
}
