import { describe, expect, it } from 'vitest';
import type { CustomerFields } from '../api/customers';
import { formOf, overlapping, profileChanges, reapply } from './profileForm';

const fields: CustomerFields = {
  name: 'Ana', language: null, timeZone: 'Asia/Shanghai', birthday: null, company: 'Acme', notes: null,
  phones: [{ number: '+8613800138000', verified: true }], emails: [], lifecycleStage: 'lead', ownerAgentId: null, valueTier: null,
  attributes: { plan: 'Pro', seats: 3 },
};

describe('the profile form', () => {
  it('sends only what the agent changed, an emptied field as null and blank contact rows dropped', () => {
    const base = formOf(fields);
    const form = { ...formOf(fields), company: '  ', name: 'Ana Lima ', emails: [{ address: 'ana@example.com', verified: false }, { address: ' ', verified: false }] };
    expect(profileChanges(base, form)).toEqual({ company: null, name: 'Ana Lima', emails: [{ address: 'ana@example.com', verified: false }] });
    expect(profileChanges(base, formOf(fields))).toEqual({});
  });

  it('sends attributes by the keys that changed, a cleared one as null', () => {
    const base = formOf(fields);
    const form = { ...formOf(fields), attributes: { plan: null, seats: 3, beta: true } };
    expect(profileChanges(base, form)).toEqual({ attributes: { plan: null, beta: true } });
  });

  it('re-applies the agent\'s changes over the newer profile, keeping what the other agent changed elsewhere', () => {
    const base = formOf(fields);
    const mine = profileChanges(base, { ...formOf(fields), name: 'Ana Lima', attributes: { ...fields.attributes, seats: 5 } });
    const newer: CustomerFields = { ...fields, name: 'Ana L.', company: 'Globex', attributes: { plan: 'Free', seats: 3 } };
    const again = reapply(newer, mine);
    expect(again).toMatchObject({ name: 'Ana Lima', company: 'Globex', attributes: { plan: 'Free', seats: 5 } });
    expect(overlapping(base, formOf(newer), mine)).toEqual(['name']);
    expect(profileChanges(formOf(newer), again)).toEqual({ name: 'Ana Lima', attributes: { seats: 5 } });
  });
});
