// Template placeholders, by the server's rule (Crm.Contracts' MessageTemplate): `{{name}}`, or WeChat's
// `{{name.DATA}}`, where name is letters, digits and '_'; spaces inside the braces are allowed.

import type { MessageTemplate } from '../api/types';

const placeholder = () => /\{\{\s*([A-Za-z0-9_]+)(\.DATA)?\s*\}\}/g;

/** The value given for a variable: only the object's own (a variable named toString has none unless given). */
const ownValue = (values: Readonly<Record<string, string>>, name: string): string | undefined =>
  Object.hasOwn(values, name) ? values[name] : undefined;

/** The variables a body's placeholders name, once each, in the order they first appear. */
export function placeholders(body: string): string[] {
  const names: string[] = [];
  for (const match of body.matchAll(placeholder())) {
    const name = match[1] ?? '';
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/** The body as the customer will read it: each placeholder with a value replaced by it; one without keeps its placeholder. */
export function renderTemplate(body: string, values: Readonly<Record<string, string>>): string {
  return body.replace(placeholder(), (whole, name: string) => ownValue(values, name) ?? whole);
}

export type TemplatePart = { text: string; variable: null } | { text: string; variable: string; filled: boolean };

/** The body cut into text and placeholders, to show the placeholders highlighted (with their value when given). */
export function templateParts(body: string, values: Readonly<Record<string, string>> = {}): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let at = 0;
  for (const match of body.matchAll(placeholder())) {
    if (match.index > at) parts.push({ text: body.slice(at, match.index), variable: null });
    const name = match[1] ?? '';
    const given = ownValue(values, name);
    const value = given?.trim() ? given : null;
    parts.push({ text: value ?? match[0], variable: name, filled: value !== null });
    at = match.index + match[0].length;
  }
  if (at < body.length) parts.push({ text: body.slice(at), variable: null });
  return parts;
}

/** The template's variables without a value (blank counts as none), as the server checks them. */
export function missingVariables(template: Pick<MessageTemplate, 'variables'>, values: Readonly<Record<string, string>>): string[] {
  return template.variables.filter(name => !ownValue(values, name)?.trim());
}

/** Templates whose name, id or language contain every word of the query (case-insensitive). */
export function searchTemplates(templates: readonly MessageTemplate[], query: string): MessageTemplate[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...templates];
  return templates.filter(t => {
    const text = `${t.name} ${t.id} ${t.language ?? ''}`.toLowerCase();
    return words.every(word => text.includes(word));
  });
}

/** A template as a list shows it: "Order update (en_US)". */
export function templateLabel(template: Pick<MessageTemplate, 'name' | 'language'>): string {
  return template.language ? `${template.name} (${template.language})` : template.name;
}
