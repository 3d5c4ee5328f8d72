// The public API's shapes, as the Gateway serialises them (camelCase JSON).

export type Role = 'owner' | 'admin' | 'agent';
export type Availability = 'online' | 'away' | 'offline';
export type ConversationStatus = 'open' | 'pending' | 'snoozed' | 'resolved';
export type Priority = 'none' | 'low' | 'medium' | 'high' | 'urgent';

export interface Agent {
  id: string;
  name: string;
  email: string;
  role: Role;
  workspaceId: string;
  isActive?: boolean;
  createdAt?: string;
}

export interface SignedIn {
  token: string;
  expiresAt: string;
  agent: Agent;
}

export interface Conversation {
  id: string;
  customerId: string;
  channel: string;
  customerIdentity: string;
  customerName: string | null;
  status: ConversationStatus;
  assigneeId: string | null;
  createdAt: string;
  lastMessageAt: string;
  lastMessagePreview: string | null;
  businessIdentity?: string | null;
  workspaceId?: string;
  connectionId?: string | null;
  priority: Priority;
  snoozedUntil?: string | null;
  waitingSince?: string | null;
  labels: string[];
  teamId?: string | null;
  assignedAt?: string | null;
  queuedAt?: string | null;
}

export interface ConversationPage {
  items: Conversation[];
  nextCursor: string | null;
  unread?: Record<string, number>;
}

export interface MediaAttachment {
  url: string;
  contentType: string | null;
}

export interface SharedLocation {
  latitude: number;
  longitude: number;
  label: string | null;
  address: string | null;
}

export interface ActivityEntry {
  kind: string;
  from: string | null;
  to: string | null;
  reason?: string | null;
}

export type Direction = 'inbound' | 'outbound' | 'activity' | 'note';

export interface TimelineMessage {
  id: string;
  conversationId: string;
  customerId: string;
  channel: string;
  direction: Direction;
  channelMessageId: string | null;
  text: string | null;
  media: MediaAttachment[];
  location: SharedLocation | null;
  button: { text: string; payload: string | null } | null;
  status: string;
  errorCode: string | null;
  agent: string | null;
  createdAt: string;
  statusUpdatedAt: string;
  resendOf?: string | null;
  activity?: ActivityEntry | null;
  mentions?: string[];
  /** Something the customer did rather than wrote (followed, scanned a code, tapped a menu, reacted…). */
  event?: CustomerEvent | null;
  /** The approved template a reply was sent as (outside the reply window). */
  template?: SentTemplate | null;
  /** The message tag a reply went with: Messenger's HUMAN_AGENT past the standard window. */
  tag?: string | null;
  /** A reply the business sent from outside Crm (e.g. the Facebook page's own inbox). */
  sentOutsideCrm?: boolean;
}

export interface CustomerEvent {
  kind: string;
  key: string | null;
  detail: string | null;
}

export interface SentTemplate {
  templateId: string;
  language: string | null;
  variables: Record<string, string>;
}

/** A template of a connection's catalog: `{{name}}` (or WeChat's `{{name.DATA}}`) placeholders in body, one per variable. */
export interface MessageTemplate {
  id: string;
  name: string;
  language: string | null;
  body: string;
  variables: string[];
  category?: string | null;
}

export interface TemplateCatalog {
  templates: MessageTemplate[];
}

export interface TemplateSyncResult extends TemplateCatalog {
  ok: boolean;
  message: string;
}

/** What the conversation's channel lets an agent send now (the server decides; the app only counts down). */
export interface ReplyWindowView {
  channel: string;
  canSendFreeText: boolean;
  until: string | null;
  /** "HUMAN_AGENT": only a human agent's tagged reply is allowed (Messenger, 24 h to 7 days). */
  tag: string | null;
  refusal: string | null;
  /** WeChat: replies left until the customer writes again. */
  repliesLeft: number | null;
  /** "WhatsApp's 24-hour reply window"; null on a channel without one. */
  windowName: string | null;
  lastCustomerTurnAt?: string | null;
}

export interface MessagePage {
  items: TimelineMessage[];
  olderCursor: string | null;
}

export interface MessagesAddedPush {
  messages: TimelineMessage[];
  conversations: Conversation[];
}

export interface ConversationReadPush {
  conversationId: string;
  readUpTo: string;
}

export interface PresencePush {
  conversationId: string;
  agentId: string;
  agentName: string;
  active: boolean;
}

export interface MentionPush {
  conversationId: string;
  note: TimelineMessage;
}

export interface AvailabilityView {
  agentId: string;
  name: string;
  chosen: Availability;
  availability: Availability;
  openConversations: number;
  lastSeenAt: string | null;
}

export interface Label {
  id: string;
  name: string;
  color: string;
}

export interface Team {
  id: string;
  name: string;
  policy: 'round-robin' | 'least-loaded' | 'manual';
  maxOpenPerAgent: number;
  reassignAfterMinutes: number | null;
  members: string[];
}

export interface CannedReply {
  id: string;
  shortcut: string;
  content: string;
}

export interface SearchHit {
  conversationId: string;
  customerName: string | null;
  channel: string;
  messageId: string | null;
  snippet: string | null;
  at: string;
}

export interface SearchPage {
  items: SearchHit[];
  nextCursor: string | null;
}

export interface InvitationCreated {
  invitationId: string;
  token: string;
  acceptUrl: string;
  expiresAt: string;
}

export type ConnectionType = 'twilio-whatsapp' | 'whatsapp-cloud' | 'wechat' | 'messenger';

/** A type's settings as the API shows them: plain fields, and `xxxSet` booleans in place of secrets. */
export type ConnectionSettingsView = Record<string, unknown>;

export interface ChannelConnection {
  id: string;
  type: string;
  channel?: string;
  displayName: string;
  enabled: boolean;
  routingTeamId: string | null;
  createdAt: string;
  updatedAt: string;
  /** The URLs to paste into the provider's console, by name (messages, status, events…). */
  webhooks: Record<string, string>;
  /** How many templates its catalog holds. */
  templates?: number;
  twilio?: ConnectionSettingsView | null;
  whatsappCloud?: ConnectionSettingsView | null;
  wechat?: ConnectionSettingsView | null;
  messenger?: ConnectionSettingsView | null;
}

export interface ConnectionTestResult {
  ok: boolean;
  message: string;
}
