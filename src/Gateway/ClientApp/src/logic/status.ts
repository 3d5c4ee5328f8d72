import type { TimelineMessage } from '../api/types';

// Reply statuses and activity entries in words an agent reads, never bare codes.

const Failures: Record<string, string> = {
  // Crm's own reasons (the connectors map each provider's codes to these).
  'outside-reply-window': 'outside the reply window: only a template can be sent',
  'reply-limit-reached': 'the most replies allowed until the customer writes again were sent',
  'rate-limited': 'sending too fast: the provider asked to slow down',
  'recipient-unavailable': 'the customer cannot receive messages on this channel (blocked, unfollowed or unknown)',
  'credentials-rejected': "the provider refused the connection's credentials",
  'not-permitted': 'the provider does not allow this business to send it',
  'template-rejected': 'the provider rejected the template (not approved, or its variables)',
  refused: 'the provider refused it',
  'provider-unreachable': 'the provider could not be reached',
  expired: 'not sent in time, so it was dropped',
  'not-dispatched': 'it was never handed to the provider',
  'connection-unavailable': 'the channel connection is disabled or removed',
  // Twilio's codes, as older messages carry them (63016 now arrives as outside-reply-window).
  '63016': 'outside the 24-hour reply window: only a template can be sent',
  '63003': 'the number is not on WhatsApp',
  '63024': 'the recipient cannot receive this message',
  '63018': 'sending too fast: rate limited by WhatsApp',
  '63032': 'the customer has not opted in to messages',
  '63049': 'WhatsApp chose not to deliver it (marketing limit)',
  '21211': 'the phone number is not valid',
  '21408': 'the account cannot send to that region',
  '21610': 'the customer unsubscribed (replied STOP)',
  '21614': 'the number cannot receive messages',
  '20003': "Twilio refused the connection's credentials",
  '30003': "the customer's phone is unreachable",
  '30004': 'the customer blocked the business',
  '30005': 'the number is unknown or no longer in service',
  '30006': 'the number is a landline or cannot receive messages',
  '30007': 'the carrier filtered it as spam',
  '30008': 'delivery failed for an unknown reason',
};

export function failureReason(errorCode: string | null | undefined): string {
  if (!errorCode) return 'no reason given';
  return (Object.hasOwn(Failures, errorCode) ? Failures[errorCode] : undefined) ?? `provider error ${errorCode}`;
}

/** A reply's status in words, e.g. "Delivered", "Failed: the number is not on WhatsApp". */
export function statusWords(message: Pick<TimelineMessage, 'status' | 'errorCode'>): string {
  switch (message.status) {
    case 'pending': return 'Sending';
    case 'retrying': return 'Retrying';
    case 'queued': return 'Queued';
    case 'sent': return 'Sent';
    case 'delivered': return 'Delivered';
    case 'read': return 'Read';
    case 'failed': return `Failed: ${failureReason(message.errorCode)}`;
    case 'undelivered': return message.errorCode ? `Not delivered: ${failureReason(message.errorCode)}` : 'Not delivered';
    case 'unknown-outcome': return 'Outcome unknown';
    default: return message.status;
  }
}

/** Statuses a reply can be sent again from (once). */
export const ResendableStatuses = ['failed', 'undelivered', 'unknown-outcome'];

export function canResend(message: TimelineMessage, all: readonly TimelineMessage[]): boolean {
  return message.direction === 'outbound' && ResendableStatuses.includes(message.status) && !all.some(other => other.resendOf === message.id);
}

const Reasons: Record<string, string> = {
  'agent-offline': 'agent offline',
  'agent-deactivated': 'agent deactivated',
  'no-reply': 'no reply in time',
};

const StatusVerbs: Record<string, string> = {
  open: 'reopened the conversation',
  resolved: 'resolved the conversation',
  pending: 'marked the conversation pending',
  snoozed: 'snoozed the conversation',
};

/** An activity entry as a sentence: "Assigned to ann", "ann resolved the conversation". */
export function activitySentence(message: Pick<TimelineMessage, 'activity' | 'agent'>): string {
  const activity = message.activity;
  if (!activity) return '';
  const actor = message.agent;
  const by = actor ? ` by ${actor}` : '';
  switch (activity.kind) {
    case 'assigned':
      return actor && actor === activity.to ? `Assigned to ${activity.to} (took it)` : `Assigned to ${activity.to ?? 'someone'}${by}`;
    case 'transferred':
      return `Transferred from ${activity.from ?? 'nobody'} to ${activity.to ?? 'nobody'}${by}`;
    case 'unassigned':
      if (activity.reason) return `Returned to the queue: ${Reasons[activity.reason] ?? activity.reason}${activity.from ? ` (was ${activity.from})` : ''}`;
      return `Returned to the queue${by}`;
    case 'team-changed':
      return `Moved to ${activity.to ? `team ${activity.to}` : 'the workspace'}'s queue${by}`;
    case 'status-changed': {
      const verb = StatusVerbs[activity.to ?? ''] ?? `set the status to ${activity.to ?? 'unknown'}`;
      if (actor) return `${actor} ${verb}`;
      return activity.to === 'open' ? 'The conversation reopened' : `Status changed to ${activity.to ?? 'unknown'}`;
    }
    case 'priority-changed':
      return activity.to && activity.to !== 'none'
        ? `${actor ?? 'Crm'} set the priority to ${activity.to}`
        : `${actor ?? 'Crm'} removed the priority`;
    case 'label-added':
      return `${actor ?? 'Crm'} added the label ${activity.to ?? ''}`.trimEnd();
    case 'label-removed':
      return `${actor ?? 'Crm'} removed the label ${activity.from ?? ''}`.trimEnd();
    default:
      return `${activity.kind}${activity.to ? `: ${activity.to}` : ''}${by}`;
  }
}

/**
 * Something the customer did, as a sentence: "Followed the account", "Tapped menu SALES", "Reacted 👍 to a message".
 * Keys and details come from outside: they stay text.
 */
export function eventSentence(event: NonNullable<TimelineMessage['event']>): string {
  const key = event.key?.trim() || null;
  const detail = event.detail?.trim() || null;
  switch (event.kind) {
    case 'subscribed': return key ? `Followed the account (scanned code ${key})` : 'Followed the account';
    case 'unsubscribed': return 'Unfollowed the account';
    case 'scanned': return key ? `Scanned code ${key}` : 'Scanned a code';
    case 'menu-clicked': return key ? `Tapped menu ${key}` : 'Tapped a menu item';
    case 'link-opened': return key ? `Opened ${key}` : 'Opened a link';
    case 'referral': {
      const from = detail ?? key;
      return from ? `Came from ${from}${detail && key ? ` (${key})` : ''}` : 'Came through a link or an ad';
    }
    case 'reaction': return key ? `Reacted ${key} to a message` : 'Removed a reaction';
    default: return `${event.kind}${key ? `: ${key}` : ''}`;
  }
}
