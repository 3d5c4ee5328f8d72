import { useEffect, useState } from 'react';
import { api } from '../api/client';
import { usePush } from '../api/hub';
import type { Agent, Availability, AvailabilityView } from '../api/types';
import { askPermission, needsPermission } from '../logic/notify';

export function Header({ agent, live, page, onSignOut }: { agent: Agent; live: boolean; page: 'inbox' | 'admin' | 'customers'; onSignOut: () => void }) {
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
        <a href="#/customers" aria-current={page === 'customers' ? 'page' : undefined}>Customers</a>
        {canAdmin && <a href="#/admin/agents" aria-current={page === 'admin' ? 'page' : undefined}>Admin</a>}
      </nav>
      <span className={`live ${live ? 'on' : ''}`} role="status" aria-label={live ? 'Live updates on' : 'Live updates off'} title={live ? 'Live' : 'Reconnecting'} />
      <div className="top-right">
        {askNotifications && (
          // One name on every screen; phones show the bell alone, where the words do not fit beside the other controls.
          <button type="button" className="notify-button" aria-label="Enable notifications" title="Enable notifications"
            onClick={() => { void askPermission().finally(() => setAskNotifications(needsPermission())); }}>
            <svg className="bell" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false">
              <path fill="currentColor" d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z" />
            </svg>
            <span className="long">Enable notifications</span>
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
