// The channels a conversation can be on, by name, and the connection types an admin can add (with their fields).

import type { ChannelConnection, ConnectionSettingsView, ConnectionType } from '../api/types';

// 'wechat-unionid' is an identity kind, not a channel (no conversations): named on a profile's identities only.
const ChannelNames: Record<string, string> = { whatsapp: 'WhatsApp', wechat: 'WeChat', messenger: 'Messenger', 'wechat-unionid': 'WeChat UnionID' };

/** "WhatsApp", "WeChat", "Messenger"; an unknown channel as the server names it. */
export function channelName(channel: string | null | undefined): string {
  if (!channel) return 'Unknown channel';
  return ChannelNames[channel.toLowerCase()] ?? channel;
}

/** The badge's class suffix: one of the known channels, else "other" (the class never carries outside text). */
export function channelKey(channel: string | null | undefined): 'whatsapp' | 'wechat' | 'messenger' | 'other' {
  const key = (channel ?? '').toLowerCase();
  return key === 'whatsapp' || key === 'wechat' || key === 'messenger' ? key : 'other';
}

/** A customer's or business's identity as people read it: WhatsApp's "whatsapp:" prefix dropped. */
export function identityText(identity: string): string {
  return identity.replace(/^whatsapp:/i, '');
}

export type FieldKind = 'text' | 'secret' | 'list' | 'url';

export interface ConnectionField {
  /** The property in the API's settings object. */
  name: string;
  label: string;
  kind: FieldKind;
  /** Required when adding (a secret on edit is never required: left empty keeps the stored one). */
  required?: boolean;
  hint?: string;
}

export interface ConnectionTypeSpec {
  type: ConnectionType;
  /** What the admin picks: "WhatsApp (Twilio)". */
  label: string;
  channel: string;
  /** The API's settings property: `twilio`, `whatsappCloud`, `wechat`, `messenger`. */
  property: 'twilio' | 'whatsappCloud' | 'wechat' | 'messenger';
  defaultName: string;
  fields: ConnectionField[];
  /** What the view says beyond the fields (e.g. WeChat's plain or safe mode). */
  shown?: { name: string; label: string }[];
}

const apiBaseUrl: ConnectionField = { name: 'apiBaseUrl', label: 'API base URL (optional, for testing)', kind: 'url' };
const graphVersion: ConnectionField = { name: 'graphVersion', label: 'Graph API version (optional, e.g. v21.0)', kind: 'text' };

const twilioWhatsApp: ConnectionTypeSpec = {
  type: 'twilio-whatsapp', label: 'WhatsApp (Twilio)', channel: 'whatsapp', property: 'twilio', defaultName: 'Twilio WhatsApp',
  fields: [
    { name: 'accountSid', label: 'Account SID', kind: 'text', required: true },
    { name: 'authToken', label: 'Auth token', kind: 'secret', required: true },
    { name: 'numbers', label: 'WhatsApp numbers (E.164, comma separated)', kind: 'list', required: true },
    apiBaseUrl,
  ],
};

export const ConnectionTypes: ConnectionTypeSpec[] = [
  twilioWhatsApp,
  {
    type: 'whatsapp-cloud', label: 'WhatsApp (Cloud API)', channel: 'whatsapp', property: 'whatsappCloud', defaultName: 'WhatsApp (Cloud API)',
    fields: [
      { name: 'phoneNumberId', label: 'Phone number ID', kind: 'text', required: true },
      { name: 'wabaId', label: 'WhatsApp Business Account ID', kind: 'text', required: true },
      { name: 'displayPhoneNumber', label: 'Display phone number (E.164)', kind: 'text' },
      { name: 'accessToken', label: 'Access token', kind: 'secret', required: true },
      { name: 'appSecret', label: 'App secret', kind: 'secret', required: true },
      { name: 'verifyToken', label: 'Verify token', kind: 'secret', required: true, hint: 'A word you choose (no spaces): type the same one into Meta\'s webhook settings.' },
      apiBaseUrl, graphVersion,
    ],
  },
  {
    type: 'wechat', label: 'WeChat Official Account', channel: 'wechat', property: 'wechat', defaultName: 'WeChat Official Account',
    shown: [{ name: 'mode', label: 'Message encryption' }],
    fields: [
      { name: 'appId', label: 'AppID', kind: 'text', required: true },
      { name: 'originalId', label: 'Original ID (gh_…)', kind: 'text', required: true },
      { name: 'appSecret', label: 'AppSecret', kind: 'secret', required: true },
      { name: 'token', label: 'Token', kind: 'secret', required: true, hint: 'The server configuration\'s Token (3 to 32 letters or digits), as in WeChat\'s console.' },
      { name: 'encodingAesKey', label: 'EncodingAESKey', kind: 'secret', hint: 'For safe (encrypted) mode: the 43 letters or digits WeChat\'s console shows. Empty: plain mode.' },
      apiBaseUrl,
    ],
  },
  {
    type: 'messenger', label: 'Facebook Messenger', channel: 'messenger', property: 'messenger', defaultName: 'Messenger',
    fields: [
      { name: 'pageId', label: 'Page ID', kind: 'text', required: true },
      { name: 'pageAccessToken', label: 'Page access token', kind: 'secret', required: true },
      { name: 'appSecret', label: 'App secret', kind: 'secret', required: true },
      { name: 'verifyToken', label: 'Verify token', kind: 'secret', required: true, hint: 'A word you choose (no spaces): type the same one into Meta\'s webhook settings.' },
      apiBaseUrl, graphVersion,
    ],
  },
];

export function connectionTypeOf(type: string): ConnectionTypeSpec | null {
  return ConnectionTypes.find(t => t.type === type) ?? null;
}

/** The form's type: the one chosen, or Twilio's. */
export function formType(type: ConnectionType): ConnectionTypeSpec {
  return connectionTypeOf(type) ?? twilioWhatsApp;
}

/** The connection's settings as the API shows them (under its type's property). */
export function settingsOf(connection: ChannelConnection): ConnectionSettingsView {
  const spec = connectionTypeOf(connection.type);
  const found = spec ? connection[spec.property] : null;
  return found && typeof found === 'object' ? found : {};
}

/** Whether the view says a secret is stored: the API shows `<name>Set: true`, never the value. */
export function secretIsSet(view: ConnectionSettingsView, field: string): boolean {
  return view[`${field}Set`] === true;
}

/** A plain field of the view as text (lists comma separated); a secret is never read from here. */
export function fieldText(view: ConnectionSettingsView, field: ConnectionField): string {
  if (field.kind === 'secret') return '';
  const value = view[field.name];
  if (Array.isArray(value)) return value.map(String).join(', ');
  return value === null || value === undefined ? '' : String(value);
}

/**
 * The settings object to send from what the admin typed. Adding sends every field given; editing sends what has a
 * value (the API changes only given fields), and a secret only when typed: left empty keeps the stored one.
 */
export function settingsBody(spec: ConnectionTypeSpec, values: Record<string, string>, editing: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const field of spec.fields) {
    const raw = values[field.name] ?? '';
    if (field.kind === 'secret') {
      if (raw) body[field.name] = raw;
    } else if (field.kind === 'list') {
      const items = raw.split(/[\s,]+/).filter(Boolean);
      if (items.length || !editing) body[field.name] = items;
    } else {
      const text = raw.trim();
      if (text) body[field.name] = text;
      else if (!editing) body[field.name] = null;
    }
  }
  return body;
}

/** The webhook URLs' names in words: what the admin pastes where. */
export function webhookLabel(name: string): string {
  switch (name) {
    case 'messages': return 'Incoming messages webhook';
    case 'status': return 'Status callback';
    case 'events': return 'Events webhook';
    case 'webhook': return 'Webhook (callback URL)';
    default: return `${name.charAt(0).toUpperCase()}${name.slice(1)} webhook`;
  }
}
