// The filter builder's model: a draft tree the screen edits (values as typed), turned into the segments API's filter
// AST (docs: README "Segments") and checked before it is sent, so the agent sees a mistake beside the condition.

import type { AttributeDefinition, FilterCondition, FilterGroup } from '../api/customers';
import { channelName } from './channels';

/** How a field is compared; each kind has its own operators (the server's table). */
export type FieldType = 'text' | 'choice' | 'contacts' | 'agent' | 'date' | 'timestamp' | 'number' | 'boolean' | 'set' | 'consent';

export interface Choice { value: string; label: string }

export interface FieldSpec {
  field: string;
  label: string;
  type: FieldType;
  /** What the value is picked from (a select or checkboxes) instead of typed. */
  choices?: Choice[];
  /** Shown in the field picker's groups. */
  section: 'Profile' | 'Behaviour' | 'Channels' | 'Consent' | 'Labels' | 'Custom attributes';
}

/** What an operator takes: nothing, one typed value, a number of days, two bounds, or a list. */
export type ValueKind = 'none' | 'text' | 'number' | 'days' | 'date' | 'range' | 'list' | 'one' | 'bool';

export interface OperatorSpec { operator: string; label: string; kind: ValueKind }

const present: OperatorSpec = { operator: 'isPresent', label: 'is set', kind: 'none' };
const absent: OperatorSpec = { operator: 'isAbsent', label: 'is not set', kind: 'none' };

/** The operators of each field type, in the order the picker shows them (the first is the default). */
export function operatorsFor(spec: FieldSpec): OperatorSpec[] {
  switch (spec.type) {
    case 'text':
      return [
        { operator: 'equals', label: 'is', kind: spec.choices ? 'one' : 'text' },
        { operator: 'notEquals', label: 'is not', kind: spec.choices ? 'one' : 'text' },
        { operator: 'contains', label: 'contains', kind: 'text' },
        { operator: 'startsWith', label: 'starts with', kind: 'text' },
        { operator: 'inList', label: 'is one of', kind: 'list' },
        present, absent,
      ];
    case 'choice':
      return [
        { operator: 'equals', label: 'is', kind: 'one' },
        { operator: 'notEquals', label: 'is not', kind: 'one' },
        { operator: 'inList', label: 'is one of', kind: 'list' },
        present, absent,
      ];
    case 'contacts':
      return [
        { operator: 'equals', label: 'is', kind: 'text' },
        { operator: 'contains', label: 'contains', kind: 'text' },
        { operator: 'startsWith', label: 'starts with', kind: 'text' },
        { operator: 'isPresent', label: 'has any', kind: 'none' },
        { operator: 'isAbsent', label: 'has none', kind: 'none' },
      ];
    case 'agent':
      return [
        { operator: 'equals', label: 'is', kind: 'one' },
        { operator: 'notEquals', label: 'is not', kind: 'one' },
        { operator: 'inList', label: 'is one of', kind: 'list' },
        { operator: 'isPresent', label: 'is anyone', kind: 'none' },
        { operator: 'isAbsent', label: 'is nobody', kind: 'none' },
      ];
    case 'date':
      return [
        { operator: 'equals', label: 'is on', kind: 'date' },
        { operator: 'notEquals', label: 'is not on', kind: 'date' },
        { operator: 'greaterThan', label: 'is after', kind: 'date' },
        { operator: 'lessThan', label: 'is before', kind: 'date' },
        { operator: 'between', label: 'is between', kind: 'range' },
        ...(spec.field === 'birthday' ? [{ operator: 'anniversaryWithinDays', label: 'anniversary within N days', kind: 'days' as const }] : []),
        { operator: 'isToday', label: 'is today', kind: 'none' },
        present, absent,
      ];
    case 'timestamp':
      return [
        { operator: 'moreThanDaysAgo', label: 'more than N days ago', kind: 'days' },
        { operator: 'lessThanDaysAgo', label: 'less than N days ago', kind: 'days' },
        { operator: 'withinLastDays', label: 'within the last N days', kind: 'days' },
        { operator: 'never', label: 'never', kind: 'none' },
        { operator: 'isToday', label: 'is today', kind: 'none' },
        { operator: 'greaterThan', label: 'is after', kind: 'date' },
        { operator: 'lessThan', label: 'is before', kind: 'date' },
        { operator: 'between', label: 'is between', kind: 'range' },
        { operator: 'isPresent', label: 'ever', kind: 'none' },
      ];
    case 'number':
      return [
        { operator: 'equals', label: '=', kind: 'number' },
        { operator: 'notEquals', label: '≠', kind: 'number' },
        { operator: 'greaterThan', label: 'more than', kind: 'number' },
        { operator: 'lessThan', label: 'less than', kind: 'number' },
        { operator: 'between', label: 'between', kind: 'range' },
        { operator: 'inList', label: 'is one of', kind: 'list' },
        ...(spec.field.startsWith('attribute.') ? [present, absent] : []),
      ];
    case 'boolean':
      return [
        { operator: 'equals', label: 'is', kind: 'bool' },
        ...(spec.field.startsWith('attribute.') ? [present, absent] : []),
      ];
    case 'set':
      return [
        { operator: 'hasAnyOf', label: 'has any of', kind: 'list' },
        { operator: 'hasAllOf', label: 'has all of', kind: 'list' },
        { operator: 'hasNoneOf', label: 'has none of', kind: 'list' },
        { operator: 'isPresent', label: 'has any', kind: 'none' },
        { operator: 'isAbsent', label: 'has none', kind: 'none' },
      ];
    case 'consent':
      return [
        { operator: 'equals', label: 'is', kind: 'one' },
        { operator: 'notEquals', label: 'is not', kind: 'one' },
        ...(spec.field === 'consent' ? [] : [{ operator: 'inList', label: 'is one of', kind: 'list' as const }]),
      ];
  }
}

export const Channels = ['whatsapp', 'wechat', 'messenger'] as const;

/** What the catalog of fields is built from: the workspace's labels, agents, stages, attributes and connections. */
export interface CatalogSources {
  labels?: { id: string; name: string }[];
  agents?: { id: string; name: string }[];
  stages?: string[];
  attributes?: AttributeDefinition[];
  connections?: { id: string; displayName: string }[];
}

export function fieldCatalog(sources: CatalogSources = {}): FieldSpec[] {
  const channels = Channels.map(c => ({ value: c, label: channelName(c) }));
  const stageChoices = sources.stages?.map(s => ({ value: s, label: s }));
  const fields: FieldSpec[] = [
    { field: 'name', label: 'Name', type: 'text', section: 'Profile' },
    { field: 'phone', label: 'Phone', type: 'contacts', section: 'Profile' },
    { field: 'email', label: 'Email', type: 'contacts', section: 'Profile' },
    { field: 'company', label: 'Company', type: 'text', section: 'Profile' },
    { field: 'language', label: 'Language', type: 'text', section: 'Profile' },
    { field: 'timeZone', label: 'Time zone', type: 'text', section: 'Profile' },
    { field: 'birthday', label: 'Birthday', type: 'date', section: 'Profile' },
    { field: 'lifecycleStage', label: 'Lifecycle stage', type: 'text', section: 'Profile', ...(stageChoices ? { choices: stageChoices } : {}) },
    { field: 'valueTier', label: 'Value tier', type: 'text', section: 'Profile' },
    { field: 'ownerAgentId', label: 'Owner', type: 'agent', section: 'Profile', choices: (sources.agents ?? []).map(a => ({ value: a.id, label: a.name })) },
    { field: 'createdAt', label: 'Created', type: 'timestamp', section: 'Profile' },
    { field: 'firstSeenAt', label: 'First seen', type: 'timestamp', section: 'Behaviour' },
    { field: 'lastInboundAt', label: 'Last message from the customer', type: 'timestamp', section: 'Behaviour' },
    { field: 'lastOutboundAgentAt', label: 'Last reply by an agent', type: 'timestamp', section: 'Behaviour' },
    { field: 'lastOutboundAutomationAt', label: 'Last message by automation', type: 'timestamp', section: 'Behaviour' },
    { field: 'lastChannel', label: 'Last channel', type: 'text', section: 'Behaviour', choices: channels },
    { field: 'inboundCount', label: 'Messages from the customer', type: 'number', section: 'Behaviour' },
    { field: 'outboundCount', label: 'Messages to the customer', type: 'number', section: 'Behaviour' },
    { field: 'channel', label: 'Channels', type: 'set', section: 'Channels', choices: channels },
    { field: 'reachableOn', label: 'Reachable on', type: 'set', section: 'Channels', choices: channels },
    { field: 'hasUnreachableIdentity', label: 'Has an unreachable identity', type: 'boolean', section: 'Channels' },
    ...(sources.connections && sources.connections.length > 0
      ? [{ field: 'connection', label: 'Connections', type: 'set' as const, section: 'Channels' as const, choices: sources.connections.map(c => ({ value: c.id, label: c.displayName })) }]
      : []),
    { field: 'consent', label: 'Consent (any channel)', type: 'consent', section: 'Consent', choices: [{ value: 'opted-in', label: 'opted in' }, { value: 'opted-out', label: 'opted out' }] },
    ...Channels.map(c => ({
      field: `consent.${c}`, label: `Consent on ${channelName(c)}`, type: 'consent' as const, section: 'Consent' as const,
      choices: [{ value: 'opted-in', label: 'opted in' }, { value: 'opted-out', label: 'opted out' }, { value: 'none', label: 'no choice recorded' }],
    })),
    { field: 'labels', label: 'Labels', type: 'set', section: 'Labels', choices: (sources.labels ?? []).map(l => ({ value: l.id, label: l.name })) },
  ];
  for (const attribute of sources.attributes ?? []) fields.push(attributeField(attribute));
  return fields;
}

function attributeField(attribute: AttributeDefinition): FieldSpec {
  const base = { field: `attribute.${attribute.key}`, label: attribute.label, section: 'Custom attributes' as const };
  const options = attribute.options.map(o => ({ value: o, label: o }));
  switch (attribute.type) {
    case 'number': return { ...base, type: 'number' };
    case 'date': return { ...base, type: 'date' };
    case 'boolean': return { ...base, type: 'boolean' };
    case 'choice': return { ...base, type: 'choice', choices: options };
    case 'multi-choice': return { ...base, type: 'set', choices: options };
    default: return { ...base, type: 'text' };
  }
}

// The draft tree ------------------------------------------------------------------------------------------------------

export interface ConditionDraft {
  kind: 'condition';
  id: string;
  field: string;
  operator: string;
  /** One typed value (text, number, days, date, a picked choice, "true"/"false"); a free list as comma-separated text. */
  value: string;
  /** Picked choices of a list, or a range's two bounds. */
  values: string[];
}

export interface GroupDraft { kind: 'group'; id: string; op: 'and' | 'or'; children: NodeDraft[] }
export type NodeDraft = ConditionDraft | GroupDraft;

export const MaxDepth = 5;
export const MaxConditions = 100;

let nextId = 0;
const newId = () => `n${++nextId}`;

export function emptyGroup(op: 'and' | 'or' = 'and'): GroupDraft {
  return { kind: 'group', id: newId(), op, children: [] };
}

export function newCondition(spec: FieldSpec): ConditionDraft {
  return { kind: 'condition', id: newId(), field: spec.field, operator: operatorsFor(spec)[0]?.operator ?? 'isPresent', value: '', values: [] };
}

export const specOf = (catalog: FieldSpec[], field: string): FieldSpec | undefined => catalog.find(f => f.field === field);

export function operatorOf(spec: FieldSpec | undefined, operator: string): OperatorSpec | undefined {
  return spec ? operatorsFor(spec).find(o => o.operator === operator) : undefined;
}

/** The tree with the node of that id replaced by what `change` makes of it (or removed when it returns null). */
export function updateNode(root: GroupDraft, id: string, change: (node: NodeDraft) => NodeDraft | null): GroupDraft {
  const visit = (group: GroupDraft): GroupDraft => ({
    ...group,
    children: group.children.flatMap(child => {
      if (child.id === id) {
        const changed = change(child);
        return changed ? [changed] : [];
      }
      return child.kind === 'group' ? [visit(child)] : [child];
    }),
  });
  return root.id === id ? (change(root) as GroupDraft | null) ?? emptyGroup(root.op) : visit(root);
}

export function addChild(root: GroupDraft, groupId: string, child: NodeDraft): GroupDraft {
  return updateNode(root, groupId, node => node.kind === 'group' ? { ...node, children: [...node.children, child] } : node);
}

export const removeNode = (root: GroupDraft, id: string): GroupDraft => updateNode(root, id, () => null);

/** Another field: its type's first operator, and the value cleared (a value of one field rarely fits another). */
export function withField(condition: ConditionDraft, spec: FieldSpec): ConditionDraft {
  return { ...condition, field: spec.field, operator: operatorsFor(spec)[0]?.operator ?? 'isPresent', value: '', values: [] };
}

/** Another operator: the value is kept when it is of the same kind (10 days stays 10 days), else cleared. */
export function withOperator(condition: ConditionDraft, spec: FieldSpec, operator: string): ConditionDraft {
  const from = operatorOf(spec, condition.operator)?.kind;
  const to = operatorOf(spec, operator)?.kind;
  return from === to ? { ...condition, operator } : { ...condition, operator, value: '', values: [] };
}

export function depthOf(node: NodeDraft): number {
  return node.kind === 'group' ? 1 + Math.max(0, ...node.children.map(depthOf)) : 0;
}

export function countConditions(node: NodeDraft): number {
  return node.kind === 'group' ? node.children.reduce((n, c) => n + countConditions(c), 0) : 1;
}

// Draft -> AST --------------------------------------------------------------------------------------------------------

export interface Built {
  /** The AST to send, or null when something is missing or wrong (see errors). */
  filter: FilterGroup | null;
  /** What is wrong, by node id, in words for the agent. */
  errors: Record<string, string>;
}

const isDate = (text: string) => /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(Date.parse(`${text}T00:00:00Z`))
  && new Date(`${text}T00:00:00Z`).toISOString().startsWith(text);

/** Builds the AST from the draft, checking every condition the way the server will. */
export function buildFilter(root: GroupDraft, catalog: FieldSpec[]): Built {
  const errors: Record<string, string> = {};
  const visitGroup = (group: GroupDraft, depth: number): FilterGroup => {
    if (group.children.length === 0) errors[group.id] = 'Add a condition to this group, or remove it.';
    if (depth > MaxDepth) errors[group.id] = `Groups nest at most ${MaxDepth} deep.`;
    return { op: group.op, conditions: group.children.map(child => child.kind === 'group' ? visitGroup(child, depth + 1) : visitCondition(child)) };
  };
  const visitCondition = (condition: ConditionDraft): FilterCondition => {
    const spec = specOf(catalog, condition.field);
    const operator = operatorOf(spec, condition.operator);
    const built: FilterCondition = { field: condition.field, operator: condition.operator };
    if (!spec || !operator) {
      errors[condition.id] = spec ? 'Choose how to compare.' : 'Choose a field.';
      return built;
    }
    const result = conditionValue(spec, operator, condition);
    if ('error' in result) errors[condition.id] = result.error;
    else if (result.value !== undefined) built.value = result.value;
    return built;
  };
  const filter = visitGroup(root, 1);
  if (countConditions(root) > MaxConditions) errors[root.id] = `A filter holds at most ${MaxConditions} conditions.`;
  return { filter: Object.keys(errors).length === 0 ? filter : null, errors };
}

type ValueResult = { value: unknown } | { error: string };

function conditionValue(spec: FieldSpec, operator: OperatorSpec, condition: ConditionDraft): ValueResult {
  const text = condition.value.trim();
  const dateLike = spec.type === 'date' || spec.type === 'timestamp';
  switch (operator.kind) {
    case 'none':
      return { value: undefined };
    case 'text':
      return text ? { value: text } : { error: 'Type a value.' };
    case 'one':
      return text ? { value: text } : { error: 'Choose a value.' };
    case 'bool':
      return text === 'true' || text === 'false' ? { value: text === 'true' } : { error: 'Choose yes or no.' };
    case 'number': {
      const number = parseNumber(text);
      return number === null ? { error: 'Type a number.' } : { value: number };
    }
    case 'days': {
      const days = Number(text);
      // "Within N days" of a birthday may be 0 (today); "more than 0 days ago" would mean nothing, so the server starts at 1.
      const [least, most] = operator.operator === 'anniversaryWithinDays' ? [0, 366] : [1, 36_500];
      return text !== '' && Number.isInteger(days) && days >= least && days <= most
        ? { value: days } : { error: `Type a whole number of days, ${least} to ${most}.` };
    }
    case 'date':
      return isDate(text) ? { value: text } : { error: 'Choose a date.' };
    case 'range': {
      const [from = '', to = ''] = condition.values.map(v => v.trim());
      if (dateLike) {
        if (!isDate(from) || !isDate(to)) return { error: 'Choose both dates.' };
        return from <= to ? { value: [from, to] } : { error: 'The first date must not be after the second.' };
      }
      const [a, b] = [parseNumber(from), parseNumber(to)];
      if (a === null || b === null) return { error: 'Type both numbers.' };
      return a <= b ? { value: [a, b] } : { error: 'The first number must not be more than the second.' };
    }
    case 'list': {
      const items = spec.choices ? condition.values : splitList(condition.value);
      if (items.length === 0) return { error: spec.choices ? 'Choose at least one.' : 'Type at least one value (separate them with commas).' };
      if (spec.type === 'number') {
        const numbers = items.map(parseNumber);
        return numbers.every(n => n !== null) ? { value: numbers } : { error: 'Every value must be a number.' };
      }
      return { value: items };
    }
  }
}

function parseNumber(text: string): number | null {
  if (text.trim() === '') return null;
  const number = Number(text);
  return Number.isFinite(number) ? number : null;
}

export const splitList = (text: string): string[] => [...new Set(text.split(',').map(s => s.trim()).filter(Boolean))];

// AST -> draft (a saved segment opened in the editor) -------------------------------------------------------------------

export function draftOf(filter: FilterGroup, catalog: FieldSpec[]): GroupDraft {
  const group = (node: FilterGroup): GroupDraft => ({
    kind: 'group', id: newId(), op: node.op === 'or' ? 'or' : 'and',
    children: node.conditions.map(child => 'conditions' in child ? group(child) : condition(child)),
  });
  const condition = (node: FilterCondition): ConditionDraft => {
    const spec = specOf(catalog, node.field);
    const kind = operatorOf(spec, node.operator)?.kind;
    const draft: ConditionDraft = { kind: 'condition', id: newId(), field: node.field, operator: node.operator, value: '', values: [] };
    const value = node.value;
    if (Array.isArray(value)) {
      const strings = value.map(v => String(v));
      // Picked choices and range bounds in `values`, a free list as text; a field not (yet) in the catalog keeps both.
      if (kind === 'list' && !spec?.choices) draft.value = strings.join(', ');
      else draft.values = strings;
      if (!spec) draft.value = strings.join(', ');
    } else if (value !== undefined && value !== null) {
      draft.value = String(value);
    }
    return draft;
  };
  return group(filter);
}

// Server errors back onto the draft -------------------------------------------------------------------------------------

/** Each node's JSON path as the server names it in a 400 (`filter.conditions[2].conditions[0]`), by node id. */
export function pathsOf(root: GroupDraft, prefix = 'filter'): Map<string, string> {
  const paths = new Map<string, string>([[prefix, root.id]]);
  root.children.forEach((child, i) => {
    const path = `${prefix}.conditions[${i}]`;
    if (child.kind === 'group') for (const [p, id] of pathsOf(child, path)) paths.set(p, id);
    else paths.set(path, child.id);
  });
  return paths;
}

/**
 * The server's validation errors (keyed by JSON path) moved onto the nodes they are about; what matches no node
 * (e.g. `name`) is returned under its own key.
 */
export function errorsOnNodes(root: GroupDraft, errors: Record<string, string[]>): Record<string, string> {
  const paths = pathsOf(root);
  const placed: Record<string, string> = {};
  for (const [key, messages] of Object.entries(errors)) {
    let path = key.replace(/^\$\./, '');
    // The nearest node: "filter.conditions[1].value" is about condition 1.
    while (path && !paths.has(path)) path = path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : '';
    const target = (path ? paths.get(path) : undefined) ?? key;
    placed[target] = [placed[target], ...messages].filter(Boolean).join(' ');
  }
  return placed;
}

/**
 * The errors to show now: a condition the agent has not filled in yet (a fresh one) is not scolded until they try to
 * save (`all`); the live count says meanwhile that the conditions are unfinished.
 */
export function shownErrors(root: GroupDraft, errors: Record<string, string>, all: boolean): Record<string, string> {
  if (all) return errors;
  const fresh = new Set<string>();
  const visit = (node: NodeDraft) => {
    if (node.kind === 'group') {
      if (node.children.length === 0) fresh.add(node.id);
      node.children.forEach(visit);
    } else if (node.value.trim() === '' && node.values.every(v => v.trim() === '')) fresh.add(node.id);
  };
  visit(root);
  return Object.fromEntries(Object.entries(errors).filter(([id]) => !fresh.has(id)));
}

/** Every customer: the list without conditions still counts through the same preview. */
export const MatchEveryone: FilterGroup = { op: 'and', conditions: [{ field: 'createdAt', operator: 'isPresent' }] };

/** The AST a draft stands for when it has no condition at all (the whole list). */
export const isEmpty = (root: GroupDraft) => root.children.length === 0;
