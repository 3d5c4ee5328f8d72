import { describe, expect, it } from 'vitest';
import {
  addChild, buildFilter, draftOf, emptyGroup, errorsOnNodes, fieldCatalog, newCondition, operatorsFor, shownErrors, specOf, updateNode, withField,
  withOperator, type ConditionDraft, type GroupDraft,
} from './filters';

const catalog = fieldCatalog({
  labels: [{ id: 'l-vip', name: 'VIP' }, { id: 'l-late', name: 'Late payer' }],
  agents: [{ id: 'a-1', name: 'Ann' }],
  attributes: [
    { id: '1', key: 'city', label: 'City', type: 'text', options: [], position: 0 },
    { id: '2', key: 'plan', label: 'Plan', type: 'choice', options: ['Free', 'Pro'], position: 1 },
    { id: '3', key: 'seats', label: 'Seats', type: 'number', options: [], position: 2 },
    { id: '4', key: 'tags', label: 'Tags', type: 'multi-choice', options: ['a', 'b'], position: 3 },
  ],
});

function spec(field: string) {
  const found = specOf(catalog, field);
  if (!found) throw new Error(`no field ${field}`);
  return found;
}

function condition(field: string, operator: string, value = '', values: string[] = []): ConditionDraft {
  return { ...newCondition(spec(field)), operator, value, values };
}

function group(op: 'and' | 'or', ...children: GroupDraft['children']): GroupDraft {
  return { ...emptyGroup(op), children };
}

describe('the filter builder', () => {
  it('builds the dormant filter: last message from the customer more than 90 days ago, as a number of days', () => {
    const built = buildFilter(group('and', condition('lastInboundAt', 'moreThanDaysAgo', '90')), catalog);
    expect(built.errors).toEqual({});
    expect(built.filter).toEqual({ op: 'and', conditions: [{ field: 'lastInboundAt', operator: 'moreThanDaysAgo', value: 90 }] });
  });

  it('builds nested AND/OR groups with each value in the type the server expects', () => {
    const root = group('and',
      condition('lifecycleStage', 'equals', ' vip '),
      condition('consent.whatsapp', 'notEquals', 'opted-out'),
      group('or',
        condition('attribute.city', 'inList', 'Shanghai, Beijing, Shanghai'),
        condition('labels', 'hasAnyOf', '', ['l-vip', 'l-late']),
        condition('attribute.seats', 'between', '', ['1', '10']),
        condition('hasUnreachableIdentity', 'equals', 'false'),
        condition('birthday', 'anniversaryWithinDays', '6'),
        condition('phone', 'isPresent'),
      ));
    expect(buildFilter(root, catalog)).toEqual({
      errors: {},
      filter: {
        op: 'and', conditions: [
          { field: 'lifecycleStage', operator: 'equals', value: 'vip' },
          { field: 'consent.whatsapp', operator: 'notEquals', value: 'opted-out' },
          {
            op: 'or', conditions: [
              { field: 'attribute.city', operator: 'inList', value: ['Shanghai', 'Beijing'] },
              { field: 'labels', operator: 'hasAnyOf', value: ['l-vip', 'l-late'] },
              { field: 'attribute.seats', operator: 'between', value: [1, 10] },
              { field: 'hasUnreachableIdentity', operator: 'equals', value: false },
              { field: 'birthday', operator: 'anniversaryWithinDays', value: 6 },
              { field: 'phone', operator: 'isPresent' },
            ],
          },
        ],
      },
    });
  });

  it('refuses missing and wrong values beside the condition they belong to, and builds nothing', () => {
    const days = condition('lastInboundAt', 'moreThanDaysAgo', '-3');
    const number = condition('inboundCount', 'greaterThan', 'many');
    const range = condition('birthday', 'between', '', ['2000-05-01', '1999-01-01']);
    const labels = condition('labels', 'hasAllOf');
    const date = condition('birthday', 'equals', '2021-02-30');
    const anniversary = condition('birthday', 'anniversaryWithinDays', '400');
    const empty = emptyGroup('or');
    const root = group('and', days, number, range, labels, date, anniversary, empty);
    const built = buildFilter(root, catalog);
    expect(built.filter).toBeNull();
    expect(built.errors).toEqual({
      [days.id]: 'Type a whole number of days, 1 to 36500.',
      [number.id]: 'Type a number.',
      [range.id]: 'The first date must not be after the second.',
      [labels.id]: 'Choose at least one.',
      [date.id]: 'Choose a date.',
      [anniversary.id]: 'Type a whole number of days, 0 to 366.',
      [empty.id]: 'Add a condition to this group, or remove it.',
    });
  });

  it('refuses a field the catalog does not know (an attribute deleted meanwhile)', () => {
    const gone = { ...condition('name', 'equals', 'x'), field: 'attribute.deleted' };
    expect(buildFilter(group('and', gone), catalog).errors).toEqual({ [gone.id]: 'Choose a field.' });
  });

  it('refuses groups nested deeper than the server allows', () => {
    let inner: GroupDraft = group('and', condition('name', 'isPresent'));
    for (let i = 0; i < 5; i++) inner = group('or', inner);
    const built = buildFilter(inner, catalog);
    expect(built.filter).toBeNull();
    expect(Object.values(built.errors)).toEqual(['Groups nest at most 5 deep.']);
  });

  it('offers each field type its own operators: no "contains" on a choice, no relative days on a number', () => {
    const operators = (field: string) => operatorsFor(spec(field)).map(o => o.operator);
    expect(operators('attribute.plan')).not.toContain('contains');
    expect(operators('name')).toContain('contains');
    expect(operators('inboundCount')).not.toContain('moreThanDaysAgo');
    expect(operators('lastInboundAt')).toEqual(expect.arrayContaining(['moreThanDaysAgo', 'withinLastDays', 'never', 'isToday']));
    expect(operators('birthday')).toContain('anniversaryWithinDays');
    expect(operators('attribute.tags')).toEqual(['hasAnyOf', 'hasAllOf', 'hasNoneOf', 'isPresent', 'isAbsent']);
    expect(operators('consent')).not.toContain('inList');
  });

  it('keeps the days when the agent switches between relative operators, and clears the value when the kind changes', () => {
    const lastInbound = spec('lastInboundAt');
    const days = condition('lastInboundAt', 'moreThanDaysAgo', '30');
    expect(withOperator(days, lastInbound, 'withinLastDays').value).toBe('30');
    expect(withOperator(days, lastInbound, 'greaterThan').value).toBe('');
    const changed = withField(days, spec('labels'));
    expect(changed).toMatchObject({ field: 'labels', operator: 'hasAnyOf', value: '', values: [] });
  });

  it('adds, changes and removes nodes without touching the others', () => {
    const first = condition('name', 'equals', 'Ann');
    const inner = emptyGroup('or');
    let root = group('and', first);
    root = addChild(root, root.id, inner);
    const second = condition('company', 'contains', 'Acme');
    root = addChild(root, inner.id, second);
    root = updateNode(root, second.id, node => ({ ...node, value: 'Globex' } as ConditionDraft));
    expect(buildFilter(root, catalog).filter).toEqual({
      op: 'and', conditions: [
        { field: 'name', operator: 'equals', value: 'Ann' },
        { op: 'or', conditions: [{ field: 'company', operator: 'contains', value: 'Globex' }] },
      ],
    });
    root = updateNode(root, inner.id, () => null);
    expect(root.children).toEqual([first]);
  });

  it('opens a saved filter as a draft that builds back to the same filter', () => {
    const saved = {
      op: 'or' as const, conditions: [
        { field: 'lastInboundAt', operator: 'moreThanDaysAgo', value: 90 },
        { op: 'and' as const, conditions: [
          { field: 'lastInboundAt', operator: 'never' },
          { field: 'attribute.city', operator: 'inList', value: ['Shanghai', 'Beijing'] },
          { field: 'labels', operator: 'hasNoneOf', value: ['l-vip'] },
          { field: 'attribute.seats', operator: 'between', value: [2, 5] },
          { field: 'hasUnreachableIdentity', operator: 'equals', value: true },
        ] },
      ],
    };
    const draft = draftOf(saved, catalog);
    expect(buildFilter(draft, catalog)).toEqual({ filter: saved, errors: {} });
  });

  it('puts the server\'s errors, keyed by JSON path, on the condition they are about', () => {
    const a = condition('name', 'equals', 'x');
    const b = condition('attribute.city', 'equals', 'y');
    const inner = group('or', a, b);
    const root = group('and', condition('name', 'isPresent'), inner);
    expect(errorsOnNodes(root, {
      'filter.conditions[1].conditions[1].value': ['Unknown attribute key "city".'],
      'filter': ['Too deep.'],
      name: ['Type a name.'],
    })).toEqual({ [b.id]: 'Unknown attribute key "city".', [root.id]: 'Too deep.', name: 'Type a name.' });
  });
});

describe('errors shown while building', () => {
  it('keeps quiet about a condition not filled in yet, until the agent tries to save, but not about a wrong value', () => {
    const fresh = condition('name', 'equals');
    const wrong = condition('inboundCount', 'greaterThan', 'many');
    const root = group('and', fresh, wrong);
    const { errors } = buildFilter(root, catalog);
    expect(shownErrors(root, errors, false)).toEqual({ [wrong.id]: 'Type a number.' });
    expect(shownErrors(root, errors, true)).toEqual(errors);
  });
});
