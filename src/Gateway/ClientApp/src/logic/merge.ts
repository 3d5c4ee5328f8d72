// The merge screen's choices: one side per conflicting field, every conflict chosen before the merge is sent, and
// the choices kept right when the agent swaps which customer survives.

import type { AttributeDefinition, MergeConflict, MergeSide } from '../api/customers';
import { channelName, identityText } from './channels';

export type Choices = Record<string, MergeSide>;

const FieldNames: Record<string, string> = {
  name: 'Name', language: 'Language', timeZone: 'Time zone', birthday: 'Birthday', company: 'Company', notes: 'Notes',
  lifecycleStage: 'Lifecycle stage', ownerAgentId: 'Owner', valueTier: 'Value tier', phones: 'Phones', emails: 'Emails', labels: 'Labels',
};

/**
 * "Name", "Plan" (an attribute, by its label), "Consent on WhatsApp", "Reachability of WhatsApp +1…" (history's own
 * fields), or the server's key when none is known.
 */
export function fieldLabel(field: string, attributes: AttributeDefinition[] = []): string {
  const key = /^attributes?\.(.+)$/.exec(field)?.[1];
  if (key !== undefined) return attributes.find(a => a.key === key)?.label ?? key;
  const consent = /^consent\.(.+)$/.exec(field)?.[1];
  if (consent !== undefined) return `Consent on ${channelName(consent)}`;
  const reachability = /^reachability\.([^:]+):(.+)$/.exec(field);
  if (reachability) return `Reachability of ${channelName(reachability[1])} ${identityText(reachability[2] ?? '')}`;
  return FieldNames[field] ?? field;
}

/**
 * A conflict's value as people read it: attribute values come as JSON text (`"gold"`, `12`, `["a","b"]`), the owner
 * as an agent id; an empty side says so.
 */
export function valueText(field: string, value: string | null, agents: { id: string; name: string }[] = []): string {
  if (value === null || value === '') return '(empty)';
  if (field === 'ownerAgentId') return agents.find(a => a.id === value)?.name ?? value;
  if (!/^attributes?\./.test(field)) return value;
  try {
    const parsed: unknown = JSON.parse(value);
    if (Array.isArray(parsed)) return parsed.map(String).join(', ');
    if (typeof parsed === 'boolean') return parsed ? 'Yes' : 'No';
    return parsed === null ? '(empty)' : String(parsed);
  } catch {
    return value;
  }
}

/** The conflicts with nothing chosen yet. */
export function unchosen(conflicts: MergeConflict[], choices: Choices): string[] {
  return conflicts.filter(c => choices[c.field] !== 'survivor' && choices[c.field] !== 'merged').map(c => c.field);
}

/** Every conflict taken from one side ("Keep all of Ann's"). */
export function chooseAll(conflicts: MergeConflict[], side: MergeSide): Choices {
  return Object.fromEntries(conflicts.map(c => [c.field, side]));
}

/**
 * A conflict whose one side is empty has an obvious answer (keep the value, not the blank): chosen up front, still
 * changeable. Conflicts with two values stay unchosen, for the agent to decide.
 */
export function initialChoices(conflicts: MergeConflict[]): Choices {
  const choices: Choices = {};
  for (const c of conflicts) {
    const survivorEmpty = c.survivor === null || c.survivor === '';
    const mergedEmpty = c.merged === null || c.merged === '';
    if (survivorEmpty && !mergedEmpty) choices[c.field] = 'merged';
    else if (mergedEmpty && !survivorEmpty) choices[c.field] = 'survivor';
  }
  return choices;
}

/** When the other customer becomes the survivor, each choice still picks the same value: its side flips. */
export function swapChoices(choices: Choices): Choices {
  return Object.fromEntries(Object.entries(choices).map(([field, side]) => [field, side === 'survivor' ? 'merged' : 'survivor']));
}

/** The merge request's choices: only the conflicts' fields, or null while one is unchosen. */
export function mergeChoices(conflicts: MergeConflict[], choices: Choices): Choices | null {
  if (unchosen(conflicts, choices).length > 0) return null;
  return Object.fromEntries(conflicts.map(c => [c.field, choices[c.field] as MergeSide]));
}

/** The value the survivor will hold for a conflicting field. */
export function resultOf(conflict: MergeConflict, side: MergeSide | undefined): string | null | undefined {
  return side === undefined ? undefined : side === 'survivor' ? conflict.survivor : conflict.merged;
}

/** Whether the merge can still be undone at `now`, and until when. */
export function undoOpen(undoUntil: string, undoneAt: string | null, now: number): boolean {
  const until = Date.parse(undoUntil);
  return undoneAt === null && !Number.isNaN(until) && now < until;
}
