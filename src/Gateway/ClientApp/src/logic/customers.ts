// How a customer is named and described on the customer screens.

import type { CustomerProfile } from '../api/customers';
import { channelName, identityText } from './channels';

/** The name, else a phone, an email or a channel identity: never blank. */
export function customerTitle(profile: Pick<CustomerProfile, 'fields' | 'identities'>): string {
  const name = profile.fields.name?.trim();
  if (name) return name;
  const phone = profile.fields.phones[0]?.number;
  if (phone) return phone;
  const email = profile.fields.emails[0]?.address;
  if (email) return email;
  const identity = profile.identities[0];
  return identity ? `${channelName(identity.channel)} ${identityText(identity.value)}` : 'Unnamed customer';
}

/** "3 days ago", "today", "never": how long since a behaviour timestamp, in whole days. */
export function daysAgo(iso: string | null | undefined, now: number): string {
  if (!iso) return 'never';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return 'never';
  const days = Math.floor((now - at) / 86_400_000);
  if (days <= 0) return 'today';
  return days === 1 ? 'yesterday' : `${days} days ago`;
}

/** "1,234 customers" */
export function countText(count: number): string {
  return `${count.toLocaleString('en')} customer${count === 1 ? '' : 's'}`;
}

/** Why an identity cannot be reached, in words (the server's reason codes are Crm's send failure reasons). */
export function unreachableText(reason: string | null | undefined): string {
  switch (reason) {
    case 'recipient-unavailable': return 'not on this channel any more (or blocked us)';
    case 'blocked': return 'blocked the business';
    case 'not-a-channel-user': return 'not a user of this channel';
    case null: case undefined: case '': return 'reachable';
    default: return reason.replace(/-/g, ' ');
  }
}
