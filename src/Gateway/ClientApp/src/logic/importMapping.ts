// The import wizard's mapping step: which profile field each CSV column fills, how duplicates are found, and what is
// wrong with a mapping before it is sent (the server checks the same; saying it here keeps the agent on the step).

import type { AttributeDefinition, CustomerImport, DedupeKey, ImportMapping } from '../api/customers';
import { channelName } from './channels';
import { Channels, type Choice } from './filters';

export interface MappingDraft {
  columns: Record<string, string | null>;
  dedupeOn: DedupeKey;
  whenFound: 'update' | 'skip';
  defaultCountry: string;
}

/** Targets several columns may fill (their values add up); every other target takes one column at most. */
export const MultiColumnTargets = new Set(['phone', 'email', 'labels']);

const BaseTargets: Choice[] = [
  { value: 'name', label: 'Name' },
  { value: 'phone', label: 'Phone' },
  { value: 'email', label: 'Email' },
  { value: 'whatsapp', label: 'WhatsApp number (channel identity)' },
  { value: 'company', label: 'Company' },
  { value: 'language', label: 'Language' },
  { value: 'timeZone', label: 'Time zone' },
  { value: 'birthday', label: 'Birthday (yyyy-mm-dd)' },
  { value: 'notes', label: 'Notes' },
  { value: 'lifecycleStage', label: 'Lifecycle stage' },
  { value: 'owner', label: 'Owner (agent email)' },
  { value: 'valueTier', label: 'Value tier' },
  { value: 'labels', label: 'Labels' },
];

/** What a column can fill: the profile's fields, each custom attribute, consent per channel. */
export function importTargets(attributes: AttributeDefinition[] = []): Choice[] {
  return [
    ...BaseTargets,
    ...attributes.map(a => ({ value: `attribute.${a.key}`, label: `${a.label} (attribute)` })),
    ...Channels.map(c => ({ value: `consent.${c}`, label: `Consent on ${channelName(c)}` })),
  ];
}

/** The column a dedupe key reads. */
export const dedupeTarget = (on: DedupeKey): string => on === 'identity' ? 'whatsapp' : on;

/**
 * Where the wizard starts: the saved mapping if there is one, else the server's suggestion (targets this screen does
 * not know are left unmapped), deduping on the first key the file has a column for.
 */
export function initialMapping(job: Pick<CustomerImport, 'headers' | 'suggestedMapping' | 'mapping'>, targets: Choice[]): MappingDraft {
  const known = new Set(targets.map(t => t.value));
  const source = job.mapping?.columns ?? job.suggestedMapping;
  const columns = Object.fromEntries(job.headers.map(h => {
    const target = source[h] ?? null;
    return [h, target !== null && known.has(target) ? target : null];
  }));
  const mapped = new Set(Object.values(columns));
  const dedupeOn: DedupeKey = job.mapping?.dedupe.on
    ?? (['phone', 'email', 'identity'] as const).find(k => mapped.has(dedupeTarget(k))) ?? 'phone';
  return { columns, dedupeOn, whenFound: job.mapping?.dedupe.whenFound ?? 'update', defaultCountry: job.mapping?.defaultCountry ?? '' };
}

/** What is wrong with the mapping, keyed as the server keys it (`columns.<header>`, `dedupe.on`, `defaultCountry`). */
export function mappingProblems(draft: MappingDraft, targets: Choice[]): Record<string, string> {
  const problems: Record<string, string> = {};
  const labelOf = (target: string) => targets.find(t => t.value === target)?.label ?? target;
  const firstColumn = new Map<string, string>();
  for (const [header, target] of Object.entries(draft.columns)) {
    if (target === null) continue;
    const earlier = firstColumn.get(target);
    if (earlier !== undefined && !MultiColumnTargets.has(target)) problems[`columns.${header}`] = `“${earlier}” already fills ${labelOf(target)}.`;
    else if (earlier === undefined) firstColumn.set(target, header);
  }
  if (firstColumn.size === 0) problems.columns = 'Map at least one column.';
  const key = dedupeTarget(draft.dedupeOn);
  if (!firstColumn.has(key)) problems['dedupe.on'] = `To find existing customers by ${draft.dedupeOn === 'identity' ? 'WhatsApp identity' : draft.dedupeOn}, map a column to ${labelOf(key)}.`;
  const country = draft.defaultCountry.trim();
  if (country && !/^[A-Za-z]{2}$/.test(country)) problems.defaultCountry = 'A two-letter country code, e.g. CN or US.';
  return problems;
}

/** The PUT body: every header (unmapped ones as null), the dedupe rule and the country for national numbers. */
export function mappingBody(draft: MappingDraft): ImportMapping {
  const country = draft.defaultCountry.trim().toUpperCase();
  return {
    columns: { ...draft.columns },
    dedupe: { on: draft.dedupeOn, whenFound: draft.whenFound },
    ...(country ? { defaultCountry: country } : {}),
  };
}

/** How far an import is, 0 to 100 (a file without rows is done). */
export function percentDone(job: { processed: number; total: number }): number {
  if (job.total <= 0) return 100;
  return Math.min(100, Math.floor((job.processed / job.total) * 100));
}

export const importFinished = (status: CustomerImport['status']) => status === 'completed' || status === 'cancelled' || status === 'failed';
