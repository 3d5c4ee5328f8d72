import { useEffect, useState } from 'react';
import { api, apiBlob } from '../api/client';
import type { MediaAttachment, TimelineMessage } from '../api/types';
import { fullTime, mapLink, mediaKind, mediaSource, shortTime } from '../logic/format';
import { activitySentence, canResend, eventSentence, statusWords } from '../logic/status';

// One timeline entry. Everything in it came from outside (customers, providers, agents): React renders it as text.

export function MessageView({ message, all, conversationId, onSent, templateName }: {
  message: TimelineMessage; all: TimelineMessage[]; conversationId: string; onSent: (message: TimelineMessage) => void;
  /** The catalog's name for a template id, when known. */
  templateName?: (templateId: string) => string | null;
}) {
  if (message.direction === 'inbound' && message.event) {
    return (
      <article className="entry activity customer-event" aria-label="Customer activity">
        <p>{eventSentence(message.event)}</p>
        <time dateTime={message.createdAt} title={fullTime(message.createdAt)}>{shortTime(message.createdAt)}</time>
      </article>
    );
  }
  if (message.direction === 'activity') {
    return (
      <article className="entry activity" aria-label="Activity">
        <p>{activitySentence(message)}</p>
        <time dateTime={message.createdAt} title={fullTime(message.createdAt)}>{shortTime(message.createdAt)}</time>
      </article>
    );
  }
  const note = message.direction === 'note';
  return (
    <article className={`entry message ${message.direction}`} aria-label={note ? 'Private note' : message.direction === 'inbound' ? 'Customer message' : 'Reply'}>
      {note && <p className="note-label">Private note{message.agent ? ` · ${message.agent}` : ''}</p>}
      {message.direction === 'outbound' && message.sentOutsideCrm && <p className="outside-label">Sent from outside Crm</p>}
      {message.text && <p className="text">{message.text}</p>}
      {message.media.map((media, index) => <Media key={index} media={media} />)}
      {message.location && <Location location={message.location} />}
      {message.button && <p className="button-reply"><span className="button-chip">{message.button.text}</span> <span className="hint">(tapped a button)</span></p>}
      <footer className="meta">
        {message.direction === 'outbound' && message.agent && <span>{message.agent}</span>}
        <time dateTime={message.createdAt} title={fullTime(message.createdAt)}>{shortTime(message.createdAt)}</time>
        {message.direction === 'outbound' && <Status message={message} />}
        {message.resendOf && <span className="hint">resent</span>}
        {message.direction === 'outbound' && message.tag === 'HUMAN_AGENT' && <span className="tag">as human agent</span>}
        {message.direction === 'outbound' && message.template && (
          <span className="tag template-tag">Template: {templateName?.(message.template.templateId) ?? message.template.templateId}</span>
        )}
      </footer>
      {canResend(message, all) && <Resend message={message} conversationId={conversationId} onSent={onSent} />}
    </article>
  );
}

function Status({ message }: { message: TimelineMessage }) {
  const ticks = { pending: '…', retrying: '…', queued: '✓', sent: '✓', delivered: '✓✓', read: '✓✓' }[message.status] ?? '!';
  return (
    <span className={`status status-${message.status}`}>
      <span aria-hidden="true">{ticks} </span>{statusWords(message)}
    </span>
  );
}

function Resend({ message, conversationId, onSent }: { message: TimelineMessage; conversationId: string; onSent: (m: TimelineMessage) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const resend = async () => {
    setBusy(true);
    setError(null);
    try {
      onSent(await api<TimelineMessage>(`/api/conversations/${conversationId}/messages/${message.id}/resend`, { method: 'POST' }));
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
      setBusy(false);
    }
  };
  return (
    <div className="resend">
      <button type="button" onClick={() => void resend()} disabled={busy}>Resend</button>
      {message.status === 'unknown-outcome' && <span className="hint"> The provider may have sent it: check with the customer first.</span>}
      {error && <span role="alert" className="error"> {error}</span>}
    </div>
  );
}

function Media({ media }: { media: MediaAttachment }) {
  const source = mediaSource(media.url);
  const type = media.contentType ?? 'attachment';
  if (!source) return <p className="media hint">Attachment ({type}) with an address that cannot be opened safely</p>;
  if (source.kind === 'authorized') return <AuthorizedMedia path={source.path} media={media} />;
  const url = source.url;
  switch (mediaKind(media.contentType)) {
    case 'image':
      return (
        <a className="media" href={url} target="_blank" rel="noopener noreferrer">
          <img src={url} alt={`Image (${type})`} loading="lazy" referrerPolicy="no-referrer" />
        </a>
      );
    case 'audio':
      return <audio className="media" controls preload="none" src={url} aria-label={`Audio (${type})`} />;
    case 'video':
      return <video className="media" controls preload="none" src={url} aria-label={`Video (${type})`} />;
    default:
      return <a className="media document" href={url} target="_blank" rel="noopener noreferrer">📄 Document ({type})</a>;
  }
}

/**
 * Media Crm streams from the provider (`/api/media/…`) needs the agent's token, which an element's src cannot send:
 * images, audio and video are fetched once shown and played from a blob URL; a document downloads on click.
 */
function AuthorizedMedia({ path, media }: { path: string; media: MediaAttachment }) {
  const kind = mediaKind(media.contentType);
  const type = media.contentType ?? 'attachment';
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (kind === 'document') return;
    const abort = new AbortController();
    let made: string | null = null;
    apiBlob(path, abort.signal).then(blob => {
      made = URL.createObjectURL(blob);
      setUrl(made);
    }, failure => { if (!abort.signal.aborted) setError(failure instanceof Error ? failure.message : String(failure)); });
    return () => {
      abort.abort();
      if (made) URL.revokeObjectURL(made);
    };
  }, [path, kind]);

  if (kind === 'document') {
    const download = async () => {
      setBusy(true);
      setError(null);
      try {
        const blob = await apiBlob(path);
        const link = document.createElement('a');
        link.href = URL.createObjectURL(blob);
        link.download = path.split('/').pop() ?? 'attachment';
        link.rel = 'noopener';
        document.body.appendChild(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
      } catch (failure) {
        setError(failure instanceof Error ? failure.message : String(failure));
      } finally {
        setBusy(false);
      }
    };
    return (
      <p className="media document">
        <button type="button" onClick={() => void download()} disabled={busy}>📄 Download document ({type})</button>
        {error && <span role="alert" className="error"> {error}</span>}
      </p>
    );
  }
  if (error) return <p className="media hint">Attachment ({type}) could not be loaded: {error}</p>;
  if (!url) return <p className="media hint">Loading {kind} ({type})…</p>;
  switch (kind) {
    case 'image': return <img className="media" src={url} alt={`Image (${type})`} />;
    case 'audio': return <audio className="media" controls src={url} aria-label={`Audio (${type})`} />;
    default: return <video className="media" controls src={url} aria-label={`Video (${type})`} />;
  }
}

function Location({ location }: { location: NonNullable<TimelineMessage['location']> }) {
  const href = mapLink(location.latitude, location.longitude);
  const text = [location.label, location.address].filter(Boolean).join(', ') || `${location.latitude}, ${location.longitude}`;
  return (
    <p className="location">
      📍 {href ? <a href={href} target="_blank" rel="noopener noreferrer">{text} (open map)</a> : text}
    </p>
  );
}
