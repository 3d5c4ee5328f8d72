// Formatting helpers: every outside string stays text; only http(s) URLs may become links or sources.

/** The URL when it is an absolute http(s) URL, else null: never javascript:, data: or relative ones. */
export function safeHttpUrl(value: string | null | undefined): string | null {
  if (!value) return null;
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return null;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
}

export function mapLink(latitude: number, longitude: number): string | null {
  if (!Number.isFinite(latitude) || !Number.isFinite(longitude) || Math.abs(latitude) > 90 || Math.abs(longitude) > 180) return null;
  return `https://www.openstreetmap.org/?mlat=${latitude}&mlon=${longitude}#map=16/${latitude}/${longitude}`;
}

export type MediaKind = 'image' | 'audio' | 'video' | 'document';

/** How to show an attachment, from its (outside-supplied) content type. */
export function mediaKind(contentType: string | null | undefined): MediaKind {
  const type = (contentType ?? '').toLowerCase().trim();
  if (/^image\/(png|jpe?g|gif|webp)$/.test(type)) return 'image';
  if (type.startsWith('audio/')) return 'audio';
  if (type.startsWith('video/')) return 'video';
  return 'document';
}

/** "45 s", "12 min", "3 h", "2 h 5 min", "4 d". */
export function duration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 && hours < 3 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  return `${Math.floor(hours / 24)} d`;
}

export function waited(since: string | null | undefined, now: number): string | null {
  if (!since) return null;
  const at = Date.parse(since);
  return Number.isNaN(at) ? null : `waiting ${duration(now - at)}`;
}

/** A list's time: the hour today, the date otherwise. */
export function shortTime(iso: string, now: Date = new Date()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return date.toDateString() === now.toDateString()
    ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleDateString([], { day: 'numeric', month: 'short' });
}

export function fullTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleString();
}

/** Customer's name, else their identity (a number), without WhatsApp's "whatsapp:" prefix. */
export function customerTitle(name: string | null | undefined, identity: string): string {
  const trimmed = name?.trim();
  return trimmed ? trimmed : identity.replace(/^whatsapp:/i, '');
}

/** Where an attachment's bytes come from: straight from an http(s) URL, or from Crm's media API with the agent's token. */
export type MediaSource = { kind: 'direct'; url: string } | { kind: 'authorized'; path: string };

/**
 * Provider-kept media (WhatsApp Cloud, WeChat) comes as `/api/media/{connection}/{media}`: fetched with the agent's
 * token and shown from a blob. Any other relative path, a `..` or a backslash is refused; absolute URLs must be http(s).
 */
export function mediaSource(value: string | null | undefined): MediaSource | null {
  const text = value?.trim() ?? '';
  if (text.startsWith('/api/media/')) {
    if (/\.\.|\\|[\s?#]/.test(text) || text.startsWith('/api/media//')) return null;
    // The URL parser also takes %2e%2e for "..": the path must stay itself once parsed.
    const parsed = new URL(text, 'http://crm.invalid');
    return parsed.pathname === text && parsed.pathname.startsWith('/api/media/') ? { kind: 'authorized', path: text } : null;
  }
  const url = safeHttpUrl(text);
  return url ? { kind: 'direct', url } : null;
}
