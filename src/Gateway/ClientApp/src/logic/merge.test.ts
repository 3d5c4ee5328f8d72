import { describe, expect, it } from 'vitest';
import type { MergeConflict } from '../api/customers';
import { chooseAll, fieldLabel, initialChoices, mergeChoices, resultOf, swapChoices, unchosen, undoOpen, valueText } from './merge';

const name: MergeConflict = { field: 'name', survivor: 'Ana', merged: 'Ana Lima' };
const company: MergeConflict = { field: 'company', survivor: null, merged: 'Acme' };
const tier: MergeConflict = { field: 'attributes.tier', survivor: '"gold"', merged: '"silver"' };
const conflicts: MergeConflict[] = [name, company, tier];

describe('merge choices', () => {
  it('chooses up front only where one side is empty, leaving real conflicts to the agent', () => {
    const choices = initialChoices(conflicts);
    expect(choices).toEqual({ company: 'merged' });
    expect(unchosen(conflicts, choices)).toEqual(['name', 'attributes.tier']);
    expect(mergeChoices(conflicts, choices)).toBeNull();
  });

  it('sends a choice for every conflict once all are chosen, and nothing else', () => {
    const choices = { ...initialChoices(conflicts), name: 'merged' as const, 'attributes.tier': 'survivor' as const, stale: 'merged' as const };
    expect(mergeChoices(conflicts, choices)).toEqual({ name: 'merged', company: 'merged', 'attributes.tier': 'survivor' });
    expect(resultOf(name, choices.name)).toBe('Ana Lima');
    expect(resultOf(tier, choices['attributes.tier'])).toBe('"gold"');
  });

  it('keeps every choice on the same value when the agent swaps which customer survives', () => {
    const choices = { name: 'merged' as const, company: 'merged' as const, 'attributes.tier': 'survivor' as const };
    const swapped = swapChoices(choices);
    expect(swapped).toEqual({ name: 'survivor', company: 'survivor', 'attributes.tier': 'merged' });
    // The same conflicts seen from the other side pick the same values.
    const flipped = conflicts.map(c => ({ field: c.field, survivor: c.merged, merged: c.survivor }));
    flipped.forEach((c, i) => expect(resultOf(c, swapped[c.field])).toBe(resultOf(conflicts[i] ?? name, choices[c.field as keyof typeof choices])));
  });

  it('takes every conflict from one side at once', () => {
    expect(chooseAll(conflicts, 'survivor')).toEqual({ name: 'survivor', company: 'survivor', 'attributes.tier': 'survivor' });
  });

  it('names fields and shows attribute values as people read them', () => {
    const attributes = [{ id: '1', key: 'tier', label: 'Tier', type: 'choice' as const, options: [], position: 0 }];
    expect(fieldLabel('attributes.tier', attributes)).toBe('Tier');
    expect(fieldLabel('lifecycleStage')).toBe('Lifecycle stage');
    expect(fieldLabel('consent.whatsapp')).toBe('Consent on WhatsApp');
    expect(fieldLabel('reachability.whatsapp:+14155550100')).toBe('Reachability of WhatsApp +14155550100');
    expect(valueText('attributes.tier', '"gold"')).toBe('gold');
    expect(valueText('attributes.tags', '["a","b"]')).toBe('a, b');
    expect(valueText('attributes.beta', 'true')).toBe('Yes');
    expect(valueText('company', null)).toBe('(empty)');
    expect(valueText('ownerAgentId', 'a-1', [{ id: 'a-1', name: 'Ann' }])).toBe('Ann');
  });

  it('offers undo only before the grace period ends and only once', () => {
    const now = Date.parse('2026-12-03T15:00:00Z');
    expect(undoOpen('2026-12-04T15:00:00Z', null, now)).toBe(true);
    expect(undoOpen('2026-12-03T14:59:59Z', null, now)).toBe(false);
    expect(undoOpen('2026-12-04T15:00:00Z', '2026-12-03T14:00:00Z', now)).toBe(false);
  });
});
