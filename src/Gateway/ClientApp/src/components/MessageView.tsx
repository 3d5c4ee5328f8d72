import { useState } from 'react';
import { api } from '../api/client';
import type { MediaAttachment, TimelineMessage } from '../api/types';
import { fullTime, mapLink, mediaKind, safeHttpUrl, shortTime } from '../logic/format';
import { activitySentence, canResend, statusWords } from '../logic/status';

// One timeline entry. Everything in it came from outside (customers, providers, agents): React renders it as text.

export function MessageView({ message, all, conversationId, onSent }: {
  message: TimelineMessage; all: TimelineMessage[]; conversationId: string; onSent: (message: TimelineMessage) => void;
}) {
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
      {message.text && <p className="text">{message.text}</p>}
      {message.media.map((media, index) => <Media key={index} media={media} />)}
      {message.location && <Location location={message.location} />}
      {message.button && <p className="button-reply"><span className="button-chip">{message.button.text}</span> <span className="hint">(tapped a button)</span></p>}
      <footer className="meta">
        {message.direction === 'outbound' && message.agent && <span>{message.agent}</span>}
        <time dateTime={message.createdAt} title={fullTime(message.createdAt)}>{shortTime(message.createdAt)}</time>
        {message.direction === 'outbound' && <Status message={message} />}
        {message.resendOf && <span className="hint">resent</span>}
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
      {message.status === 'unknown-outcome' && <span className="hint"> Twilio may have sent it: check with the customer first.</span>}
      {error && <span role="alert" className="error"> {error}</span>}
    </div>
  );
}

function Media({ media }: { media: MediaAttachment }) {
  const url = safeHttpUrl(media.url);
  const type = media.contentType ?? 'attachment';
  if (!url) return <p className="media hint">Attachment ({type}) with an address that cannot be opened safely</p>;
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

function Location({ location }: { location: NonNullable<TimelineMessage['location']> }) {
  const href = mapLink(location.latitude, location.longitude);
  const text = [location.label, location.address].filter(Boolean).join(', ') || `${location.latitude}, ${location.longitude}`;
  return (
    <p className="location">
      📍 {href ? <a href={href} target="_blank" rel="noopener noreferrer">{text} (open map)</a> : text}
    </p>
  );
}
