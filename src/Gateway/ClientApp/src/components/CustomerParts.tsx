import { useState } from 'react';
import { apiBlob } from '../api/client';
import type { AttributeDefinition, AttributeValue } from '../api/customers';
import { message } from './AdminParts';

// What several customer screens share: a typed input per custom attribute, and a file the API sends behind the token.

/** One custom attribute's input, typed by its definition; an emptied input is null (the API clears the value). */
export function AttributeInput({ definition, value, onChange, label, describedBy }: {
  definition: AttributeDefinition; value: AttributeValue | undefined; onChange: (value: AttributeValue) => void; label?: string; describedBy?: string;
}) {
  const name = label ?? definition.label;
  const text = value === null || value === undefined || Array.isArray(value) || typeof value === 'boolean' ? '' : String(value);
  const common = { 'aria-describedby': describedBy };
  switch (definition.type) {
    case 'number':
      return <label>{name}<input type="number" step="any" value={text} {...common}
        onChange={e => onChange(e.target.value === '' ? null : Number(e.target.value))} /></label>;
    case 'date':
      return <label>{name}<input type="date" value={text} {...common} onChange={e => onChange(e.target.value || null)} /></label>;
    case 'url':
      return <label>{name}<input type="url" maxLength={2000} value={text} {...common} onChange={e => onChange(e.target.value || null)} /></label>;
    case 'boolean':
      return (
        <label>{name}
          <select value={value === true ? 'true' : value === false ? 'false' : ''} {...common}
            onChange={e => onChange(e.target.value === '' ? null : e.target.value === 'true')}>
            <option value="">Not set</option><option value="true">Yes</option><option value="false">No</option>
          </select>
        </label>
      );
    case 'choice':
      return (
        <label>{name}
          <select value={text} {...common} onChange={e => onChange(e.target.value || null)}>
            <option value="">Not set</option>
            {definition.options.map(o => <option key={o} value={o}>{o}</option>)}
          </select>
        </label>
      );
    case 'multi-choice': {
      const chosen = Array.isArray(value) ? value : [];
      return (
        <fieldset className="choices" aria-describedby={describedBy}>
          <legend>{name}</legend>
          {definition.options.map(o => (
            <label key={o} className="check">
              <input type="checkbox" checked={chosen.includes(o)}
                onChange={e => {
                  const next = e.target.checked ? [...chosen, o] : chosen.filter(c => c !== o);
                  // In the definition's order, as the API keeps them.
                  onChange(next.length === 0 ? null : definition.options.filter(d => next.includes(d)));
                }} />
              {o}
            </label>
          ))}
        </fieldset>
      );
    }
    default:
      return <label>{name}<input type="text" maxLength={2000} value={text} {...common} onChange={e => onChange(e.target.value || null)} /></label>;
  }
}

/** An attribute value as text: lists joined, booleans as Yes/No, nothing as a dash. */
export function attributeText(value: AttributeValue | undefined): string {
  if (value === null || value === undefined || (Array.isArray(value) && value.length === 0)) return '—';
  if (Array.isArray(value)) return value.join(', ');
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  return String(value);
}

/**
 * A button that fetches a file with the agent's token (a plain link cannot send it) and saves it under `fileName`.
 * With a body it POSTs (an unsaved filter's export).
 */
export function DownloadButton({ path, fileName, body, children }: { path: string; fileName: string; body?: unknown; children: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const download = async () => {
    setBusy(true);
    setError(null);
    try {
      const blob = await apiBlob(path, undefined, body);
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = fileName;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (failure) {
      setError(message(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" onClick={() => void download()} disabled={busy}>{busy ? 'Preparing…' : children}</button>
      {error && <span role="alert" className="error">{error}</span>}
    </>
  );
}
