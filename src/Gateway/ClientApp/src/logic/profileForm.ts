// The profile form: the fields as the agent edits them, the PATCH of only what they changed, and — when someone else
// saved first (409) — the agent's changes laid over the newer profile to re-apply.

import type { AttributeValue, ContactEmail, ContactPhone, CustomerFields } from '../api/customers';

export interface ProfileForm {
  name: string;
  language: string;
  timeZone: string;
  birthday: string;
  company: string;
  notes: string;
  lifecycleStage: string;
  ownerAgentId: string;
  valueTier: string;
  phones: ContactPhone[];
  emails: ContactEmail[];
  attributes: Record<string, AttributeValue>;
}

const TextFields = ['name', 'language', 'timeZone', 'birthday', 'company', 'notes', 'lifecycleStage', 'ownerAgentId', 'valueTier'] as const;

export function formOf(fields: CustomerFields): ProfileForm {
  return {
    name: fields.name ?? '', language: fields.language ?? '', timeZone: fields.timeZone ?? '', birthday: fields.birthday ?? '',
    company: fields.company ?? '', notes: fields.notes ?? '', lifecycleStage: fields.lifecycleStage ?? '',
    ownerAgentId: fields.ownerAgentId ?? '', valueTier: fields.valueTier ?? '',
    phones: fields.phones.map(p => ({ ...p })), emails: fields.emails.map(e => ({ ...e })),
    attributes: { ...(fields.attributes ?? {}) },
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
const emptyValue = (v: AttributeValue | undefined) => v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);

/**
 * What the agent changed against `base`, as the PATCH body wants it (without the version): a text emptied is null
 * (cleared), blank contact rows are dropped, attributes only by the keys that changed.
 */
export function profileChanges(base: ProfileForm, form: ProfileForm): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  for (const field of TextFields) {
    if (base[field].trim() !== form[field].trim()) changes[field] = form[field].trim() === '' ? null : form[field].trim();
  }
  const phones = form.phones.map(p => ({ number: p.number.trim(), verified: p.verified })).filter(p => p.number);
  if (!same(phones, base.phones)) changes.phones = phones;
  const emails = form.emails.map(e => ({ address: e.address.trim(), verified: e.verified })).filter(e => e.address);
  if (!same(emails, base.emails)) changes.emails = emails;
  const attributes: Record<string, AttributeValue> = {};
  for (const key of new Set([...Object.keys(base.attributes), ...Object.keys(form.attributes)])) {
    const before = base.attributes[key];
    const after = form.attributes[key];
    if (emptyValue(before) && emptyValue(after)) continue;
    if (!same(before, after)) attributes[key] = emptyValue(after) ? null : after as AttributeValue;
  }
  if (Object.keys(attributes).length > 0) changes.attributes = attributes;
  return changes;
}

/** The agent's changes laid over a newer profile: the form to re-apply from (and to show before saving again). */
export function reapply(newer: CustomerFields, changes: Record<string, unknown>): ProfileForm {
  const form = formOf(newer);
  for (const field of TextFields) if (field in changes) form[field] = (changes[field] as string | null) ?? '';
  if ('phones' in changes) form.phones = changes.phones as ContactPhone[];
  if ('emails' in changes) form.emails = changes.emails as ContactEmail[];
  if ('attributes' in changes) form.attributes = { ...form.attributes, ...(changes.attributes as Record<string, AttributeValue>) };
  return form;
}

/** The fields the other agent changed that the agent also changed: where re-applying overwrites their work. */
export function overlapping(base: ProfileForm, newer: ProfileForm, changes: Record<string, unknown>): string[] {
  const theirs = profileChanges(base, newer);
  const overlap = Object.keys(changes).filter(f => f !== 'attributes' && f in theirs);
  const myAttributes = Object.keys((changes.attributes as Record<string, unknown> | undefined) ?? {});
  const theirAttributes = (theirs.attributes as Record<string, unknown> | undefined) ?? {};
  return [...overlap, ...myAttributes.filter(k => k in theirAttributes).map(k => `attribute.${k}`)];
}
