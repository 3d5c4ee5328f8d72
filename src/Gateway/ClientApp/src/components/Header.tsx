import { useEffect, useState } from 'react';
import { api } from '../api/client';
import { usePush } from '../api/hub';
import type { Agent, Availability, AvailabilityView } from '../api/types';
import { askPermission, needsPermission } from '../logic/notify';

export function Header({ agent, live, page, onSignOut }: { agent: Agent; live: boolean; page: 'inbox' | 'admin'; onSignOut: () => void }) {
  const [availability, setAvailability] = useState<Availability>('online');
  const [error, setError] = useState<string | null>(null);
  const [askNotifications, setAskNotifications] = useState(needsPermission);
  const canAdmin = agent.role === 'owner' || agent.role === 'admin';

  useEffect(() => {
    api<AvailabilityView[]>('/api/agents/availability').then(all => {
      const mine = all.find(a => a.agentId === agent.id);
      if (mine) setAvailability(mine.chosen);
    }, () => {});
  }, [agent.id]);

  usePush<AvailabilityView>('AvailabilityChanged', view => {
    if (view.agentId === agent.id) setAvailability(view.chosen);
  });

  const choose = async (value: Availability) => {
    const before = availability;
    setAvailability(value);
    setError(null);
    try {
      await api('/api/agents/me/availability', { method: 'PUT', body: { availability: value } });
    } catch (failure) {
      setAvailability(before);
      setError(failure instanceof Error ? failure.message : 'Could not change availability.');
    }
  };

  return (
    <header className="top">
      {/* Not a #main link: the hash is the app's route. */}
      <button type="button" className="skip" onClick={() => document.getElementById('main')?.focus()}>Skip to content</button>
      <span className="brand">Crm</span>
      <nav aria-label="Main" className="top-nav">
        <a href="#/" aria-current={page === 'inbox' ? 'page' : undefined}>Inbox</a>
        {canAdmin && <a href="#/admin/agents" aria-current={page === 'admin' ? 'page' : undefined}>Admin</a>}
      </nav>
      <span className={`live ${live ? 'on' : ''}`} role="status" aria-label={live ? 'Live updates on' : 'Live updates off'} title={live ? 'Live' : 'Reconnecting'} />
      <div className="top-right">
        {askNotifications && (
          <button type="button" className="notify-button" onClick={() => { void askPermission().finally(() => setAskNotifications(needsPermission())); }}>
            <span className="long">Enable </span>notifications
          </button>
        )}
        <label className="availability">
          <span className={`dot ${availability}`} aria-hidden="true" />
          <span className="visually-hidden">Availability</span>
          <select aria-label="Availability" value={availability} onChange={e => void choose(e.target.value as Availability)}>
            <option value="online">Online</option>
            <option value="away">Away</option>
            <option value="offline">Offline</option>
          </select>
        </label>
        <span className="whoami" title={agent.email}>{agent.name}</span>
        <button type="button" onClick={onSignOut}>Sign out</button>
      </div>
      {error && <p role="alert" className="error banner">{error}</p>}
    </header>
  );
}
