import { describe, expect, it } from 'vitest';
import { importTargets, initialMapping, mappingBody, mappingProblems, percentDone, type MappingDraft } from './importMapping';

const attributes = [{ id: '1', key: 'city', label: 'City', type: 'text' as const, options: [], position: 0 }];
const targets = importTargets(attributes);

const job = {
  headers: ['Name', '电话', 'Email', 'VIP', 'City', 'Legacy'],
  suggestedMapping: { Name: 'name', 电话: 'phone', Email: 'email', VIP: null, City: 'attribute.city', Legacy: 'attribute.gone' },
  mapping: null,
};

describe('the import mapping step', () => {
  it('starts from the suggested mapping, leaves targets it does not know unmapped, and dedupes on phone when a column has phones', () => {
    expect(initialMapping(job, targets)).toEqual({
      columns: { Name: 'name', 电话: 'phone', Email: 'email', VIP: null, City: 'attribute.city', Legacy: null },
      dedupeOn: 'phone', whenFound: 'update', defaultCountry: '',
    });
  });

  it('dedupes on email when no column holds phones, and resumes from a saved mapping', () => {
    const noPhone = { ...job, suggestedMapping: { ...job.suggestedMapping, 电话: null } };
    expect(initialMapping(noPhone, targets).dedupeOn).toBe('email');
    const saved = { ...job, mapping: { columns: { Name: 'name', Email: 'email' }, dedupe: { on: 'email' as const, whenFound: 'skip' as const }, defaultCountry: 'CN' } };
    expect(initialMapping(saved, targets)).toMatchObject({ columns: { Name: 'name', 电话: null, Email: 'email' }, whenFound: 'skip', defaultCountry: 'CN' });
  });

  it('lets several columns fill phones, emails and labels, but only one fill any other field', () => {
    const draft: MappingDraft = {
      columns: { Mobile: 'phone', Office: 'phone', First: 'name', Last: 'name', Tags: 'labels', More: 'labels' },
      dedupeOn: 'phone', whenFound: 'update', defaultCountry: '',
    };
    expect(mappingProblems(draft, targets)).toEqual({ 'columns.Last': '“First” already fills Name.' });
  });

  it('asks for the column the dedupe key reads, for at least one mapped column, and for a two-letter country', () => {
    const draft: MappingDraft = { columns: { Name: 'name' }, dedupeOn: 'identity', whenFound: 'skip', defaultCountry: 'China' };
    expect(mappingProblems(draft, targets)).toEqual({
      'dedupe.on': 'To find existing customers by WhatsApp identity, map a column to WhatsApp number (channel identity).',
      defaultCountry: 'A two-letter country code, e.g. CN or US.',
    });
    expect(mappingProblems({ ...draft, columns: { Name: null } }, targets)).toHaveProperty('columns', 'Map at least one column.');
  });

  it('sends every header, the dedupe rule and the country in capitals, leaving out an empty country', () => {
    const draft: MappingDraft = { columns: { Name: 'name', Phone: 'phone', Junk: null }, dedupeOn: 'phone', whenFound: 'skip', defaultCountry: ' cn ' };
    expect(mappingBody(draft)).toEqual({ columns: { Name: 'name', Phone: 'phone', Junk: null }, dedupe: { on: 'phone', whenFound: 'skip' }, defaultCountry: 'CN' });
    expect(mappingBody({ ...draft, defaultCountry: '' })).not.toHaveProperty('defaultCountry');
  });

  it('reports progress as a whole percentage, an empty file as done', () => {
    expect(percentDone({ processed: 1500, total: 10_000 })).toBe(15);
    expect(percentDone({ processed: 0, total: 0 })).toBe(100);
  });
});
