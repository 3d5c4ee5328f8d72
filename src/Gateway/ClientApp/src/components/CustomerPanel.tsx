import { useEffect, useState } from 'react';
import { api, qs } from '../api/client';
import type { Conversation, ConversationPage } from '../api/types';
import { channelName, identityText } from '../logic/channels';
import { customerTitle, shortTime } from '../logic/format';
import { ChannelBadge } from './ChannelBadge';
import { conversationHref } from '../logic/route';
import type { Directory } from './Inbox';

export function CustomerPanel({ conversation, directory, shown, act }: {
  conversation: Conversation; directory: Directory; shown: boolean; act: (path: string, body?: unknown, method?: string) => Promise<void>;
}) {
  const [others, setOthers] = useState<Conversation[] | null>(null);
  const [othersError, setOthersError] = useState<string | null>(null);
  const [labelError, setLabelError] = useState<string | null>(null);
  // What the agent just ticked, shown at once while the API confirms it.
  const [pending, setPending] = useState<Record<string, boolean>>({});
  const customerId = conversation.customerId;

  useEffect(() => {
    const abort = new AbortController();
    api<ConversationPage>(`/api/conversations${qs({ customer: customerId, limit: 20 })}`, { signal: abort.signal })
      .then(page => { setOthers(page.items); setOthersError(null); }, failure => {
        if (abort.signal.aborted) return;
        // An older server does not filter by customer: say so rather than list everyone's.
        setOthers(null);
        setOthersError((failure as { status?: number }).status === 400 ? 'Not available on this server.' : 'Could not load them.');
      });
    return () => abort.abort();
  }, [customerId]);

  const toggleLabel = async (labelId: string, on: boolean) => {
    setLabelError(null);
    setPending(p => ({ ...p, [labelId]: on }));
    try {
      if (on) await act('labels', { labelId });
      else await act(`labels/${labelId}`, undefined, 'DELETE');
    } catch (failure) {
      setLabelError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setPending(p => Object.fromEntries(Object.entries(p).filter(([id]) => id !== labelId)));
    }
  };

  const team = directory.teams.find(t => t.id === conversation.teamId);
  const connection = directory.connections?.find(c => c.id === conversation.connectionId);
  return (
    <aside className={`customer-pane ${shown ? 'shown' : ''}`} aria-label="Customer">
      <h2>{customerTitle(conversation.customerName, conversation.customerIdentity)}</h2>
      <dl>
        <dt>Identity</dt>
        <dd>{identityText(conversation.customerIdentity)}</dd>
        <dt>Channel</dt>
        <dd><ChannelBadge channel={conversation.channel} />{connection ? ` · ${connection.displayName}` : ''}</dd>
        {conversation.businessIdentity && (<><dt>{conversation.channel === 'whatsapp' ? 'To our number' : 'To our account'}</dt><dd>{identityText(conversation.businessIdentity)}</dd></>)}
        <dt>Team</dt>
        <dd>{team?.name ?? 'Whole workspace'}</dd>
        <dt>Status</dt>
        <dd>{conversation.status}{conversation.snoozedUntil ? ` until ${new Date(conversation.snoozedUntil).toLocaleString()}` : ''}</dd>
      </dl>
      <fieldset className="labels">
        <legend>Labels</legend>
        {directory.labels.length === 0 && <p className="hint">No labels yet: admins add them under Admin › Labels.</p>}
        {directory.labels.map(label => (
          <label key={label.id} className="label-choice">
            <input type="checkbox" checked={pending[label.id] ?? conversation.labels.includes(label.id)} onChange={e => void toggleLabel(label.id, e.target.checked)} />
            <span className="swatch" style={{ backgroundColor: /^#[0-9a-f]{6}$/i.test(label.color) ? label.color : undefined }} aria-hidden="true" />
            {label.name}
          </label>
        ))}
        {labelError && <p role="alert" className="error">{labelError}</p>}
      </fieldset>
      <h3>Conversations</h3>
      {othersError && <p className="hint">{othersError}</p>}
      {others && (
        <ul className="others">
          {others.map(listed => listed.id === conversation.id ? conversation : listed).map(other => (
            <li key={other.id}>
              <a href={conversationHref(other.id)} aria-current={other.id === conversation.id ? 'true' : undefined}>
                {channelName(other.channel)}{other.businessIdentity ? ` to ${identityText(other.businessIdentity)}` : ''}
                {' · '}{other.status} · {shortTime(other.lastMessageAt)}
              </a>
            </li>
          ))}
        </ul>
      )}
    </aside>
  );
}
