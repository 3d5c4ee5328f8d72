import type { FieldSpec, GroupDraft, NodeDraft, ConditionDraft } from '../logic/filters';
import {
  addChild, emptyGroup, MaxDepth, newCondition, operatorOf, operatorsFor, removeNode, specOf, updateNode, withField, withOperator,
} from '../logic/filters';

// Nested AND/OR groups of conditions; every control is a native one with a name, so the keyboard and screen readers
// work as they do everywhere else. Conditions are named by their place ("Condition 2.1"), which is what errors cite.

const Sections: FieldSpec['section'][] = ['Profile', 'Behaviour', 'Channels', 'Consent', 'Labels', 'Custom attributes'];

export function FilterBuilder({ draft, onChange, catalog, errors }: {
  draft: GroupDraft; onChange: (draft: GroupDraft) => void; catalog: FieldSpec[]; errors: Record<string, string>;
}) {
  return (
    <div className="filter-builder">
      <Group group={draft} root={draft} place="" depth={1} onChange={onChange} catalog={catalog} errors={errors} />
    </div>
  );
}

function Group({ group, root, place, depth, onChange, catalog, errors }: {
  group: GroupDraft; root: GroupDraft; place: string; depth: number; onChange: (draft: GroupDraft) => void; catalog: FieldSpec[];
  errors: Record<string, string>;
}) {
  const name = place ? `Group ${place}` : 'Filter';
  const firstField = catalog[0];
  const setOp = (op: 'and' | 'or') => onChange(updateNode(root, group.id, node => ({ ...node, op } as GroupDraft)));
  return (
    <div role="group" aria-label={name} className={`filter-group ${place ? 'nested' : ''}`}>
      <div className="group-head">
        <label>
          {place ? `Group ${place}: match` : 'Match'}{' '}
          <select aria-label={`${name}: match`} value={group.op} onChange={e => setOp(e.target.value as 'and' | 'or')}>
            <option value="and">all of these</option>
            <option value="or">any of these</option>
          </select>
        </label>
        {place && <button type="button" onClick={() => onChange(removeNode(root, group.id))}>Remove group {place}</button>}
      </div>
      {group.children.length === 0 && !place && <p className="hint">No conditions: every customer. Add one to narrow the list.</p>}
      <ol className="conditions">
        {group.children.map((child: NodeDraft, index) => {
          const childPlace = place ? `${place}.${index + 1}` : String(index + 1);
          return (
            <li key={child.id}>
              {index > 0 && <span className="joiner" aria-hidden="true">{group.op === 'and' ? 'and' : 'or'}</span>}
              {child.kind === 'group'
                ? <Group group={child} root={root} place={childPlace} depth={depth + 1} onChange={onChange} catalog={catalog} errors={errors} />
                : <Condition condition={child} root={root} place={childPlace} onChange={onChange} catalog={catalog} error={errors[child.id]} />}
            </li>
          );
        })}
      </ol>
      {errors[group.id] && <p role="alert" className="error">{errors[group.id]}</p>}
      <div className="buttons">
        <button type="button" disabled={!firstField}
          onClick={() => firstField && onChange(addChild(root, group.id, newCondition(firstField)))}>
          Add condition{place ? ` to group ${place}` : ''}
        </button>
        {depth < MaxDepth && (
          <button type="button" disabled={!firstField} onClick={() => {
            if (!firstField) return;
            const inner = { ...emptyGroup(group.op === 'and' ? 'or' : 'and') };
            onChange(addChild(root, group.id, { ...inner, children: [newCondition(firstField)] }));
          }}>Add group{place ? ` to group ${place}` : ''}</button>
        )}
      </div>
    </div>
  );
}

function Condition({ condition, root, place, onChange, catalog, error }: {
  condition: ConditionDraft; root: GroupDraft; place: string; onChange: (draft: GroupDraft) => void; catalog: FieldSpec[]; error: string | undefined;
}) {
  const spec = specOf(catalog, condition.field);
  const operator = operatorOf(spec, condition.operator);
  const name = `Condition ${place}`;
  const errorId = `${condition.id}-error`;
  const set = (change: Partial<ConditionDraft> | ((c: ConditionDraft) => ConditionDraft)) =>
    onChange(updateNode(root, condition.id, node => typeof change === 'function' ? change(node as ConditionDraft) : { ...node, ...change } as ConditionDraft));
  const described = error ? errorId : undefined;

  return (
    <div role="group" aria-label={name} className={`condition ${error ? 'invalid' : ''}`}>
      <select aria-label={`${name}: field`} value={spec ? condition.field : ''} aria-describedby={described}
        onChange={e => { const next = specOf(catalog, e.target.value); if (next) set(c => withField(c, next)); }}>
        {!spec && <option value="">{condition.field} (unknown)</option>}
        {Sections.map(section => {
          const fields = catalog.filter(f => f.section === section);
          return fields.length === 0 ? null : (
            <optgroup key={section} label={section}>
              {fields.map(f => <option key={f.field} value={f.field}>{f.label}</option>)}
            </optgroup>
          );
        })}
      </select>
      {spec && (
        <select aria-label={`${name}: comparison`} value={condition.operator} aria-describedby={described}
          onChange={e => set(c => withOperator(c, spec, e.target.value))}>
          {operatorsFor(spec).map(o => <option key={o.operator} value={o.operator}>{o.label}</option>)}
        </select>
      )}
      {spec && operator && <Value spec={spec} kind={operator.kind} condition={condition} name={name} described={described} set={set} />}
      <button type="button" className="remove" aria-label={`Remove condition ${place}`} title="Remove"
        onClick={() => onChange(removeNode(root, condition.id))}>×</button>
      {error && <p id={errorId} className="error condition-error">{error}</p>}
    </div>
  );
}

function Value({ spec, kind, condition, name, described, set }: {
  spec: FieldSpec; kind: string; condition: ConditionDraft; name: string; described: string | undefined;
  set: (change: Partial<ConditionDraft>) => void;
}) {
  const dateLike = spec.type === 'date' || spec.type === 'timestamp';
  const common = { 'aria-describedby': described, 'aria-invalid': described ? true : undefined };
  switch (kind) {
    case 'none':
      return null;
    case 'text':
      return <input type="text" aria-label={`${name}: value`} value={condition.value} maxLength={500} {...common} onChange={e => set({ value: e.target.value })} />;
    case 'number':
      return <input type="number" step="any" aria-label={`${name}: value`} value={condition.value} {...common} onChange={e => set({ value: e.target.value })} />;
    case 'days':
      return (
        <label className="inline">
          <input type="number" min={condition.operator === 'anniversaryWithinDays' ? 0 : 1} step={1} aria-label={`${name}: days`} className="days" value={condition.value} {...common}
            onChange={e => set({ value: e.target.value })} /> days
        </label>
      );
    case 'date':
      return <input type="date" aria-label={`${name}: date`} value={condition.value} {...common} onChange={e => set({ value: e.target.value })} />;
    case 'bool':
      return (
        <select aria-label={`${name}: value`} value={condition.value} {...common} onChange={e => set({ value: e.target.value })}>
          <option value="">Choose…</option><option value="true">yes</option><option value="false">no</option>
        </select>
      );
    case 'one':
      return (
        <select aria-label={`${name}: value`} value={condition.value} {...common} onChange={e => set({ value: e.target.value })}>
          <option value="">Choose…</option>
          {(spec.choices ?? []).map(c => <option key={c.value} value={c.value}>{c.label}</option>)}
        </select>
      );
    case 'range': {
      const [from = '', to = ''] = condition.values;
      const type = dateLike ? 'date' : 'number';
      return (
        <span className="range">
          <input type={type} step="any" aria-label={`${name}: from`} value={from} {...common} onChange={e => set({ values: [e.target.value, to] })} />
          <span aria-hidden="true">and</span>
          <input type={type} step="any" aria-label={`${name}: to`} value={to} {...common} onChange={e => set({ values: [from, e.target.value] })} />
        </span>
      );
    }
    case 'list':
      if (!spec.choices) {
        return <input type="text" aria-label={`${name}: values, separated by commas`} placeholder="a, b, c" value={condition.value} maxLength={2000}
          {...common} onChange={e => set({ value: e.target.value })} />;
      }
      return (
        <fieldset className="choices" aria-describedby={described}>
          <legend className="visually-hidden">{name}: values</legend>
          {spec.choices.length === 0 && <span className="hint">Nothing to choose from yet.</span>}
          {spec.choices.map(c => (
            <label key={c.value} className="check">
              <input type="checkbox" checked={condition.values.includes(c.value)}
                onChange={e => set({ values: e.target.checked ? [...condition.values, c.value] : condition.values.filter(v => v !== c.value) })} />
              {c.label}
            </label>
          ))}
        </fieldset>
      );
    default:
      return null;
  }
}
