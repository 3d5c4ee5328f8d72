import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { buildFilter, emptyGroup, fieldCatalog, type GroupDraft } from '../logic/filters';
import { FilterBuilder } from './FilterBuilder';

afterEach(cleanup);

const catalog = fieldCatalog({ labels: [{ id: 'l-vip', name: 'VIP' }] });

/** The builder as a screen holds it, with the AST it builds shown for the test to read. */
function Harness() {
  const [draft, setDraft] = useState<GroupDraft>(() => emptyGroup());
  const built = buildFilter(draft, catalog);
  return (
    <>
      <FilterBuilder draft={draft} onChange={setDraft} catalog={catalog} errors={built.errors} />
      <output data-testid="ast">{JSON.stringify(built.filter)}</output>
    </>
  );
}

const ast = () => JSON.parse(screen.getByTestId('ast').textContent ?? 'null') as unknown;

describe('FilterBuilder', () => {
  it('builds nested conditions from named native controls, and removes them', () => {
    render(<Harness />);
    fireEvent.click(screen.getByRole('button', { name: 'Add condition' }));
    const first = screen.getByRole('group', { name: 'Condition 1' });
    fireEvent.change(within(first).getByRole('combobox', { name: 'Condition 1: field' }), { target: { value: 'lastInboundAt' } });
    fireEvent.change(within(first).getByRole('spinbutton', { name: 'Condition 1: days' }), { target: { value: '90' } });

    fireEvent.click(screen.getByRole('button', { name: 'Add group' }));
    const group = screen.getByRole('group', { name: 'Group 2' });
    expect((within(group).getByRole('combobox', { name: 'Group 2: match' }) as HTMLSelectElement).value).toBe('or');
    const inner = within(group).getByRole('group', { name: 'Condition 2.1' });
    fireEvent.change(within(inner).getByRole('combobox', { name: 'Condition 2.1: field' }), { target: { value: 'labels' } });
    fireEvent.click(within(inner).getByRole('checkbox', { name: 'VIP' }));

    expect(ast()).toEqual({
      op: 'and', conditions: [
        { field: 'lastInboundAt', operator: 'moreThanDaysAgo', value: 90 },
        { op: 'or', conditions: [{ field: 'labels', operator: 'hasAnyOf', value: ['l-vip'] }] },
      ],
    });

    fireEvent.click(screen.getByRole('button', { name: 'Remove group 2' }));
    expect(screen.queryByRole('group', { name: 'Group 2' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Remove condition 1' }));
    expect(screen.queryByRole('group', { name: 'Condition 1' })).toBeNull();
  });

  it('says what is wrong beside the condition and ties it to its controls', () => {
    render(<Harness />);
    fireEvent.click(screen.getByRole('button', { name: 'Add condition' }));
    const row = screen.getByRole('group', { name: 'Condition 1' });
    fireEvent.change(within(row).getByRole('combobox', { name: 'Condition 1: field' }), { target: { value: 'inboundCount' } });
    fireEvent.change(within(row).getByRole('combobox', { name: 'Condition 1: comparison' }), { target: { value: 'greaterThan' } });
    const value = within(row).getByRole('spinbutton', { name: 'Condition 1: value' });
    expect(within(row).getByText('Type a number.').id).toBe(value.getAttribute('aria-describedby'));
    expect(ast()).toBeNull();
    fireEvent.change(value, { target: { value: '5' } });
    expect(within(row).queryByText('Type a number.')).toBeNull();
    expect(ast()).toEqual({ op: 'and', conditions: [{ field: 'inboundCount', operator: 'greaterThan', value: 5 }] });
  });
});
