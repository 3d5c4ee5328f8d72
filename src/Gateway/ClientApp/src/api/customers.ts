// Customer profiles, segments, merges and imports as the API serialises them (issue 9). Fields a server may not have
// yet (behaviour, consent, attributes, labels) are optional: a screen shows what is there.

import type { TimelineMessage } from './types';

export interface ContactPhone { number: string; verified: boolean }
export interface ContactEmail { address: string; verified: boolean }

/** A custom attribute's value: text/url/choice a string, number a number, date "yyyy-MM-dd", boolean, multi-choice strings. */
export type AttributeValue = string | number | boolean | string[] | null;

export interface CustomerFields {
  name: string | null;
  language: string | null;
  timeZone: string | null;
  birthday: string | null;
  company: string | null;
  notes: string | null;
  phones: ContactPhone[];
  emails: ContactEmail[];
  lifecycleStage: string | null;
  ownerAgentId: string | null;
  valueTier: string | null;
  attributes?: Record<string, AttributeValue> | null;
}

export interface CustomerIdentity {
  channel: string;
  value: string;
  connectionId?: string | null;
  /** Why Crm stopped trying this identity (e.g. `recipient-unavailable`); null while reachable. */
  unreachableReason?: string | null;
  unreachableAt?: string | null;
}

export type ConsentState = 'opted-in' | 'opted-out';

export interface CustomerConsent {
  channel: string;
  state: ConsentState;
  changedAt: string;
  source: 'keyword' | 'channel-event' | 'agent' | 'import' | string;
  detail?: string | null;
  changedBy?: string | null;
}

/** When the customer and the business last wrote, overall or on one channel. */
export interface Activity {
  firstSeenAt?: string | null;
  lastInboundAt?: string | null;
  lastOutboundAgentAt?: string | null;
  lastOutboundAutomationAt?: string | null;
  inboundCount?: number;
  outboundCount?: number;
}

export interface ChannelActivity extends Activity { channel: string }

export interface CustomerBehaviour extends Activity {
  lastChannel?: string | null;
  channels?: ChannelActivity[];
}

export interface CustomerProfile {
  id: string;
  workspaceId?: string;
  fields: CustomerFields;
  identities: CustomerIdentity[];
  createdAt: string;
  version: number;
  labelIds?: string[];
  consents?: CustomerConsent[];
  behaviour?: CustomerBehaviour | null;
  /** The identities with their connection and reachability (on the single-profile read). */
  identityDetails?: (CustomerIdentity & { reachable?: boolean })[];
  mergedInto?: string | null;
}

export interface CustomerDetails { profile: CustomerProfile; age: number | null }
export interface CustomerPage { items: CustomerProfile[]; nextCursor: string | null }

export interface ProfileChange {
  id: string;
  customerId: string;
  version: number;
  field: string;
  from: string | null;
  to: string | null;
  changedBy: string | null;
  at: string;
}

export interface HistoryPage { items: ProfileChange[]; nextCursor?: string | null }

/** The hub's push after an agent changed a profile, a consent or a reachability. */
export interface CustomerChangedPush { customerId: string; version: number; profile: CustomerProfile }

export type AttributeType = 'text' | 'number' | 'date' | 'boolean' | 'choice' | 'multi-choice' | 'url';

export interface AttributeDefinition {
  id: string;
  key: string;
  label: string;
  type: AttributeType;
  options: string[];
  position: number;
}

// Segments -----------------------------------------------------------------------------------------------------------

export interface FilterCondition { field: string; operator: string; value?: unknown }
export interface FilterGroup { op: 'and' | 'or'; conditions: (FilterGroup | FilterCondition)[] }

export interface Segment {
  id: string;
  name: string;
  filter: FilterGroup;
  builtIn: boolean;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A count of every match and a page of them (keyset: pass nextCursor as `after`). */
export interface SegmentPage { count: number; customers: CustomerProfile[]; nextCursor: string | null }

export type BulkAction =
  | { action: 'addLabel'; labelId: string }
  | { action: 'removeLabel'; labelId: string }
  | { action: 'setOwner'; ownerAgentId: string | null }
  | { action: 'setAttribute'; key: string; value: AttributeValue };

export interface BulkJob {
  id: string;
  segmentId: string | null;
  action: string;
  status: 'running' | 'completed' | 'failed';
  matched: number;
  processed: number;
  changed: number;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

// Merge --------------------------------------------------------------------------------------------------------------

export interface MergeConflict { field: string; survivor: string | null; merged: string | null }

export interface MergePreview {
  survivor: CustomerProfile;
  merged: CustomerProfile;
  survivorVersion: number;
  mergedVersion: number;
  conflicts: MergeConflict[];
  sharedThreads: { channel: string; businessIdentity: string | null }[];
}

export type MergeSide = 'survivor' | 'merged';

export interface MergeDone {
  mergeId: string;
  survivorId: string;
  mergedId: string;
  undoUntil: string;
  movedConversationIds: string[];
  customer: CustomerDetails;
}

export interface MergeRecord {
  id: string;
  survivorId: string;
  mergedId: string;
  mergedBy: string | null;
  automatic: boolean;
  mergedAt: string;
  undoUntil: string;
  undoneAt: string | null;
}

export interface MergeReason { kind: 'verified-phone' | 'verified-email' | 'whatsapp-variant' | string; value: string; otherValue?: string | null }
export interface MergeSuggestion { customer: CustomerProfile; reasons: MergeReason[] }

export interface TimelineItem {
  conversationId: string;
  channel: string;
  businessIdentity: string | null;
  message: TimelineMessage;
}
export interface TimelinePage { items: TimelineItem[]; nextCursor: string | null }

// Import -------------------------------------------------------------------------------------------------------------

export type ImportStatus = 'mapping' | 'queued' | 'running' | 'completed' | 'cancelled' | 'failed';

export interface ImportCounts {
  processed: number;
  total: number;
  created: number;
  updated: number;
  skipped: number;
  rejected: number;
}

export interface ImportMapping {
  columns: Record<string, string | null>;
  dedupe: { on: DedupeKey; whenFound: 'update' | 'skip' };
  defaultCountry?: string | null;
}

export type DedupeKey = 'phone' | 'email' | 'identity';

export interface CustomerImport extends ImportCounts {
  id: string;
  status: ImportStatus;
  fileName: string;
  sizeBytes: number;
  delimiter: string;
  headers: string[];
  preview: string[][];
  suggestedMapping: Record<string, string | null>;
  mapping: ImportMapping | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  failure: string | null;
}

export interface ImportProgressPush extends ImportCounts { id: string; status: ImportStatus }
