import { describe, expect, it } from 'vitest';
import type { MessageTemplate } from '../api/types';
import { missingVariables, placeholders, renderTemplate, searchTemplates, templateParts } from './templates';

const template = (over: Partial<MessageTemplate>): MessageTemplate =>
  ({ id: 'HX1', name: 'Order update', language: 'en_US', body: '', variables: [], ...over });

describe('placeholders', () => {
  it('finds {{name}} and WeChat\'s {{name.DATA}}, once each, in order', () => {
    expect(placeholders('Hi {{1}}, your order {{order_no}} ships {{ 2 }}. Again: {{1}}')).toEqual(['1', 'order_no', '2']);
    expect(placeholders('{{first.DATA}}\nOrder: {{keyword1.DATA}}\n{{remark.DATA}}')).toEqual(['first', 'keyword1', 'remark']);
  });

  it('ignores what the server does not count as a placeholder', () => {
    expect(placeholders('{{}} {{two words}} {{a-b}} {{x.data}} {single} {{{{ok}}')).toEqual(['ok']);
  });
});

describe('renderTemplate', () => {
  it('puts each value in its placeholders, as the customer will read it', () => {
    expect(renderTemplate('Hi {{1}}, order {{ 2 }} for {{1}}; {{first.DATA}}', { '1': 'Ann', '2': 'A-7', first: 'Hello' }))
      .toBe('Hi Ann, order A-7 for Ann; Hello');
  });

  it('leaves a placeholder without a value as it is, and never reads a value from the prototype', () => {
    expect(renderTemplate('Hi {{name}} {{toString}}', {})).toBe('Hi {{name}} {{toString}}');
  });

  it('puts values in literally: a $ in a value is not a replacement pattern', () => {
    expect(renderTemplate('Total {{1}}', { '1': '$& $1 $$' })).toBe('Total $& $1 $$');
  });
});

describe('templateParts', () => {
  it('cuts a body into text and placeholders, with values where given', () => {
    expect(templateParts('Hi {{1}}, see {{2}}.', { '1': 'Ann', '2': '  ' })).toEqual([
      { text: 'Hi ', variable: null },
      { text: 'Ann', variable: '1', filled: true },
      { text: ', see ', variable: null },
      { text: '{{2}}', variable: '2', filled: false },
      { text: '.', variable: null },
    ]);
  });
});

describe('missingVariables and searchTemplates', () => {
  it('counts a blank value as missing', () => {
    expect(missingVariables(template({ variables: ['1', '2', '3'] }), { '1': 'x', '2': '   ' })).toEqual(['2', '3']);
  });

  it('finds templates by every word of the query in the name, id or language', () => {
    const all = [template({ id: 'HX1', name: 'Order update' }), template({ id: 'HX2', name: 'Order update', language: 'zh_CN' }),
      template({ id: 'welcome_back', name: 'Welcome back', language: null })];
    expect(searchTemplates(all, 'order zh').map(t => t.id)).toEqual(['HX2']);
    expect(searchTemplates(all, 'WELCOME').map(t => t.id)).toEqual(['welcome_back']);
    expect(searchTemplates(all, '  ')).toHaveLength(3);
  });
});
