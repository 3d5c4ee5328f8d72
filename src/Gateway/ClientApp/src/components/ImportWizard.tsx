import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { api, ApiError } from '../api/client';
import { usePush } from '../api/hub';
import type { CustomerImport, DedupeKey, ImportProgressPush } from '../api/customers';
import { fullTime } from '../logic/format';
import { importFinished, importTargets, initialMapping, mappingBody, mappingProblems, percentDone, type MappingDraft } from '../logic/importMapping';
import { customersHref, importHref } from '../logic/route';
import { message } from './AdminParts';
import type { CustomerDirectory } from './Customers';
import { DownloadButton } from './CustomerParts';

const Steps = ['Upload', 'Map columns', 'Import', 'Result'] as const;

function Stepper({ at }: { at: number }) {
  return (
    <ol className="stepper" aria-label="Steps">
      {Steps.map((step, i) => (
        <li key={step} aria-current={i === at ? 'step' : undefined} className={i < at ? 'done' : i === at ? 'on' : ''}>{step}</li>
      ))}
    </ol>
  );
}

export function ImportWizard({ importId, directory }: { importId: string | null; directory: CustomerDirectory }) {
  const [job, setJob] = useState<CustomerImport | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!importId) return;
    api<CustomerImport>(`/api/customers/imports/${importId}`).then(setJob, failure => setError(message(failure)));
  }, [importId]);

  usePush<ImportProgressPush>('CustomerImportProgressed', push => {
    setJob(current => current && current.id === push.id ? { ...current, ...push } : current);
  });
  // The push is the fast path; a poll catches the end even if a push was missed (or the hub is reconnecting).
  const running = job?.status === 'queued' || job?.status === 'running';
  useEffect(() => {
    if (!running || !job) return;
    const timer = setInterval(() => {
      api<CustomerImport>(`/api/customers/imports/${job.id}`).then(found => setJob(current => current?.id === found.id ? found : current), () => {});
    }, 2000);
    return () => clearInterval(timer);
  }, [running, job?.id]); // eslint-disable-line react-hooks/exhaustive-deps

  if (!importId) return <Upload />;
  if (error) return <section aria-labelledby="import-title"><h1 id="import-title">Import customers</h1><p role="alert" className="error">{error}</p></section>;
  if (!job) return <p className="hint">Loading…</p>;
  return (
    <section aria-labelledby="import-title" className="import">
      <h1 id="import-title">Import customers</h1>
      <p className="hint">{job.fileName} · {job.total} rows · {job.headers.length} columns</p>
      {job.status === 'mapping' && <><Stepper at={1} /><Mapping job={job} directory={directory} onStarted={setJob} /></>}
      {running && <><Stepper at={2} /><Progress job={job} onChanged={setJob} /></>}
      {importFinished(job.status) && <><Stepper at={3} /><Result job={job} /></>}
    </section>
  );
}

function Upload() {
  const [file, setFile] = useState<File | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [recent, setRecent] = useState<CustomerImport[] | null>(null);

  useEffect(() => {
    api<{ items: CustomerImport[] }>('/api/customers/imports').then(found => setRecent(found.items), () => setRecent(null));
  }, []);

  const upload = async (event: FormEvent) => {
    event.preventDefault();
    if (!file) return;
    setBusy(true);
    setError(null);
    const form = new FormData();
    form.append('file', file, file.name);
    try {
      const job = await api<CustomerImport>('/api/customers/imports', { method: 'POST', form });
      location.hash = importHref(job.id);
    } catch (failure) {
      setError(failure instanceof ApiError && failure.status === 413 ? 'The file is too large (at most 50 MB).' : message(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="import-title" className="import">
      <h1 id="import-title">Import customers</h1>
      <Stepper at={0} />
      <form className="card stack" aria-label="Upload a CSV file" onSubmit={e => void upload(e)}>
        <label>CSV file
          <input type="file" accept=".csv,text/csv" required onChange={e => setFile(e.target.files?.[0] ?? null)} />
        </label>
        <p className="hint">UTF-8, the first line holds the column names; commas, semicolons or tabs between cells.</p>
        <div className="buttons"><button type="submit" className="primary" disabled={!file || busy}>{busy ? 'Uploading…' : 'Upload'}</button></div>
        {error && <p role="alert" className="error">{error}</p>}
      </form>
      {recent && recent.length > 0 && (
        <section aria-labelledby="recent-imports">
          <h2 id="recent-imports">Recent imports</h2>
          <ul className="plain">
            {recent.map(r => (
              <li key={r.id}>
                <a href={importHref(r.id)}>{r.fileName}</a>
                <span className="hint">{r.status} · {fullTime(r.createdAt)} · {r.created} created, {r.updated} updated, {r.rejected} rejected</span>
              </li>
            ))}
          </ul>
        </section>
      )}
    </section>
  );
}

function Mapping({ job, directory, onStarted }: { job: CustomerImport; directory: CustomerDirectory; onStarted: (job: CustomerImport) => void }) {
  const targets = useMemo(() => importTargets(directory.attributes), [directory.attributes]);
  const [draft, setDraft] = useState<MappingDraft>(() => initialMapping(job, targets));
  const [serverErrors, setServerErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [tried, setTried] = useState(false);
  const problems = { ...mappingProblems(draft, targets), ...serverErrors };
  const shown = tried ? problems : Object.fromEntries(Object.entries(problems).filter(([k]) => k.startsWith('columns.')));

  const set = (change: Partial<MappingDraft>) => {
    setDraft(d => ({ ...d, ...change }));
    setServerErrors({});
  };

  const start = async (event: FormEvent) => {
    event.preventDefault();
    setTried(true);
    setError(null);
    if (Object.keys(mappingProblems(draft, targets)).length > 0) return;
    setBusy(true);
    try {
      await api<CustomerImport>(`/api/customers/imports/${job.id}/mapping`, { method: 'PUT', body: mappingBody(draft) });
      onStarted(await api<CustomerImport>(`/api/customers/imports/${job.id}/start`, { method: 'POST' }));
    } catch (failure) {
      if (failure instanceof ApiError && Object.keys(failure.errors).length > 0) {
        setServerErrors(Object.fromEntries(Object.entries(failure.errors).map(([k, v]) => [k, v.join(' ')])));
        setError('Not started: see the marked settings.');
      } else setError(message(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card mapping" aria-label="Map columns" onSubmit={e => void start(e)}>
      <h2>Which field does each column fill?</h2>
      <p className="hint">Crm suggested a mapping from the column names; check it. Columns left on “Ignore” are not imported.</p>
      <div className="table-scroll">
        <table>
          <thead><tr><th scope="col">Column</th><th scope="col">Examples</th><th scope="col">Fills</th></tr></thead>
          <tbody>
            {job.headers.map((header, i) => {
              const key = `columns.${header}`;
              const examples = job.preview.map(row => row[i] ?? '').filter(Boolean).slice(0, 3);
              return (
                <tr key={header}>
                  <th scope="row">{header}</th>
                  <td className="examples">{examples.join(' · ') || <span className="hint">(empty)</span>}</td>
                  <td>
                    <select aria-label={`Column ${header}`} value={draft.columns[header] ?? ''} aria-invalid={shown[key] ? true : undefined}
                      aria-describedby={shown[key] ? `map-err-${i}` : undefined}
                      onChange={e => set({ columns: { ...draft.columns, [header]: e.target.value || null } })}>
                      <option value="">Ignore</option>
                      {targets.map(t => <option key={t.value} value={t.value}>{t.label}</option>)}
                    </select>
                    {job.suggestedMapping[header] && job.suggestedMapping[header] === draft.columns[header] && <span className="hint"> suggested</span>}
                    {shown[key] && <span id={`map-err-${i}`} className="error field-error">{shown[key]}</span>}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {shown.columns && <p className="error">{shown.columns}</p>}
      <fieldset className="dedupe">
        <legend>Customers already in Crm</legend>
        <label>Find them by
          <select value={draft.dedupeOn} aria-invalid={shown['dedupe.on'] ? true : undefined} aria-describedby={shown['dedupe.on'] ? 'dedupe-err' : undefined}
            onChange={e => set({ dedupeOn: e.target.value as DedupeKey })}>
            <option value="phone">Phone</option>
            <option value="email">Email</option>
            <option value="identity">WhatsApp identity</option>
          </select>
        </label>
        {shown['dedupe.on'] && <p id="dedupe-err" className="error">{shown['dedupe.on']}</p>}
        <div role="radiogroup" aria-label="When found" className="radios">
          <label className="check"><input type="radio" name="when-found" checked={draft.whenFound === 'update'} onChange={() => set({ whenFound: 'update' })} /> Update them with the file’s non-empty cells</label>
          <label className="check"><input type="radio" name="when-found" checked={draft.whenFound === 'skip'} onChange={() => set({ whenFound: 'skip' })} /> Leave them as they are (skip the row)</label>
        </div>
      </fieldset>
      <label className="country">Country of national phone numbers (optional)
        <input value={draft.defaultCountry} maxLength={2} placeholder="e.g. CN" aria-invalid={shown.defaultCountry ? true : undefined}
          aria-describedby={shown.defaultCountry ? 'country-err' : undefined} onChange={e => set({ defaultCountry: e.target.value })} />
      </label>
      {shown.defaultCountry && <p id="country-err" className="error">{shown.defaultCountry}</p>}
      <div className="buttons">
        <button type="submit" className="primary" disabled={busy}>Start import</button>
        <a className="button-link" href={importHref(null)}>Choose another file</a>
      </div>
      {error && <p role="alert" className="error">{error}</p>}
    </form>
  );
}

function Counts({ job }: { job: CustomerImport }) {
  return (
    <ul className="counts" aria-label="Counts">
      <li><span className="n">{job.created}</span> created</li>
      <li><span className="n">{job.updated}</span> updated</li>
      <li><span className="n">{job.skipped}</span> skipped</li>
      <li><span className="n">{job.rejected}</span> rejected</li>
    </ul>
  );
}

function Progress({ job, onChanged }: { job: CustomerImport; onChanged: (job: CustomerImport) => void }) {
  const [error, setError] = useState<string | null>(null);
  const percent = percentDone(job);
  const cancel = async () => {
    setError(null);
    try {
      onChanged(await api<CustomerImport>(`/api/customers/imports/${job.id}/cancel`, { method: 'POST' }));
    } catch (failure) {
      setError(message(failure));
    }
  };
  return (
    <div className="card">
      <h2>{job.status === 'queued' ? 'Waiting to start…' : 'Importing…'}</h2>
      <div role="progressbar" aria-label="Import progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}
        aria-valuetext={`${job.processed} of ${job.total} rows`} className="progress">
        <span className="bar" style={{ width: `${percent}%` }} />
      </div>
      <p role="status">{job.processed} of {job.total} rows ({percent}%)</p>
      <Counts job={job} />
      <button type="button" onClick={() => void cancel()}>Cancel import</button>
      <p className="hint">Rows already imported stay imported if you cancel.</p>
      {error && <p role="alert" className="error">{error}</p>}
    </div>
  );
}

function Result({ job }: { job: CustomerImport }) {
  const words = job.status === 'completed' ? 'Import finished.' : job.status === 'cancelled' ? 'Import cancelled: the rows before it stay imported.'
    : `Import failed: ${job.failure ?? 'an unexpected error'}.`;
  return (
    <div className="card">
      <div role="status"><h2>{words}</h2></div>
      <p>{job.processed} of {job.total} rows processed.</p>
      <Counts job={job} />
      <div className="buttons">
        {job.rejected > 0 && (
          <DownloadButton path={`/api/customers/imports/${job.id}/rejected.csv`} fileName={`${job.fileName.replace(/\.csv$/i, '')}-rejected.csv`}>
            Download rejected rows
          </DownloadButton>
        )}
        <a className="button-link" href={customersHref}>See customers</a>
        <a className="button-link" href={importHref(null)}>Import another file</a>
      </div>
    </div>
  );
}
