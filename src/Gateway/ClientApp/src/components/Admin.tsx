import { useState, type FormEvent } from 'react';
import { api } from '../api/client';
import type { Agent, CannedReply, InvitationCreated, Label, Role, Team } from '../api/types';
import { AdminTabs, adminHref, type AdminTab } from '../logic/route';
import { Channels } from './AdminChannels';
import { Section, useAction, useList } from './AdminParts';

export function Admin({ me, tab }: { me: Agent; tab: AdminTab }) {
  if (me.role === 'agent') {
    return <main id="main" tabIndex={-1} className="admin"><p role="alert" className="error">Only owners and admins manage the workspace.</p></main>;
  }
  return (
    <main id="main" tabIndex={-1} className="admin">
      <nav aria-label="Admin" className="admin-tabs">
        {AdminTabs.map(t => (
          <a key={t.tab} href={adminHref(t.tab)} aria-current={t.tab === tab ? 'page' : undefined}>{t.label}</a>
        ))}
      </nav>
      <div className="admin-body">
        {tab === 'agents' && <Agents me={me} />}
        {tab === 'teams' && <Teams />}
        {tab === 'channels' && <Channels />}
        {tab === 'labels' && <Labels />}
        {tab === 'canned-replies' && <CannedReplies />}
      </div>
    </main>
  );
}

function Agents({ me }: { me: Agent }) {
  const [agents, reload, loadError] = useList<Agent>('/api/agents');
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('agent');
  const [link, setLink] = useState<string | null>(null);
  const [run, error] = useAction(reload);

  const invite = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const created = await api<InvitationCreated>('/api/agents/invitations', { method: 'POST', body: { email: email.trim(), role } });
      setLink(created.acceptUrl);
      setEmail('');
    });
  };
  const change = (call: () => Promise<unknown>) => void run(call);

  return (
    <Section title="Agents" error={loadError ?? error}>
      <form className="row-form" onSubmit={invite} aria-label="Invite an agent">
        <label>Email <input type="email" required maxLength={254} value={email} onChange={e => setEmail(e.target.value)} /></label>
        <label>Role
          <select value={role} onChange={e => setRole(e.target.value as Role)}>
            <option value="agent">Agent</option><option value="admin">Admin</option>
            {me.role === 'owner' && <option value="owner">Owner</option>}
          </select>
        </label>
        <button type="submit" className="primary">Invite</button>
      </form>
      {link && (
        <div className="invitation">
          <label>Invitation link <input readOnly value={link} onFocus={e => e.target.select()} /></label>
          <p className="hint">Crm sends no mail: pass this link on yourself. It works once, for 7 days.</p>
        </div>
      )}
      <table>
        <thead><tr><th>Name</th><th>Email</th><th>Role</th><th>State</th><th><span className="visually-hidden">Actions</span></th></tr></thead>
        <tbody>
          {agents?.map(agent => (
            <tr key={agent.id}>
              <td id={`agent-${agent.id}`}>{agent.name}</td>
              <td>{agent.email}</td>
              <td>
                <select aria-label={`Access level of ${agent.name}`} value={agent.role}
                  disabled={agent.id === me.id || (agent.role === 'owner' && me.role !== 'owner')}
                  onChange={e => change(() => api(`/api/agents/${agent.id}`, { method: 'PATCH', body: { role: e.target.value } }))}>
                  <option value="agent">Agent</option><option value="admin">Admin</option>
                  {(me.role === 'owner' || agent.role === 'owner') && <option value="owner">Owner</option>}
                </select>
              </td>
              <td>{agent.isActive === false ? 'Deactivated' : 'Active'}</td>
              <td>
                {agent.id !== me.id && (agent.isActive === false
                  ? <button type="button" aria-describedby={`agent-${agent.id}`}
                    onClick={() => change(() => api(`/api/agents/${agent.id}/activate`, { method: 'POST' }))}>Activate</button>
                  : <button type="button" aria-describedby={`agent-${agent.id}`}
                    onClick={() => change(() => api(`/api/agents/${agent.id}/deactivate`, { method: 'POST' }))}>Deactivate</button>)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}

interface TeamDraft { id: string | null; name: string; policy: Team['policy']; maxOpenPerAgent: number; reassignAfterMinutes: string; members: string[] }
const NewTeam: TeamDraft = { id: null, name: '', policy: 'round-robin', maxOpenPerAgent: 10, reassignAfterMinutes: '', members: [] };

function Teams() {
  const [teams, reload, loadError] = useList<Team>('/api/teams');
  const [agents] = useList<Agent>('/api/agents');
  const [draft, setDraft] = useState<TeamDraft>(NewTeam);
  const [run, error] = useAction(reload);

  const save = (event: FormEvent) => {
    event.preventDefault();
    const body = {
      name: draft.name.trim(), policy: draft.policy, maxOpenPerAgent: draft.maxOpenPerAgent,
      reassignAfterMinutes: draft.reassignAfterMinutes ? Number(draft.reassignAfterMinutes) : null, members: draft.members,
    };
    void run(async () => {
      await api(draft.id ? `/api/teams/${draft.id}` : '/api/teams', { method: draft.id ? 'PUT' : 'POST', body });
      setDraft(NewTeam);
    });
  };
  const remove = (team: Team) => {
    if (!confirm(`Delete the team ${team.name}? Its conversations go to the whole workspace's queue.`)) return;
    void run(() => api(`/api/teams/${team.id}`, { method: 'DELETE' }));
  };

  return (
    <Section title="Teams" error={loadError ?? error}>
      <table>
        <thead><tr><th>Team</th><th>Policy</th><th>Capacity</th><th>Reassign after</th><th>Members</th><th><span className="visually-hidden">Actions</span></th></tr></thead>
        <tbody>
          {teams?.map(team => (
            <tr key={team.id}>
              <td id={`team-${team.id}`}>{team.name}</td><td>{team.policy}</td><td>{team.maxOpenPerAgent} per agent</td>
              <td>{team.reassignAfterMinutes ? `${team.reassignAfterMinutes} min` : 'never'}</td>
              <td>{team.members.map(id => agents?.find(a => a.id === id)?.name ?? '?').join(', ')}</td>
              <td>
                <button type="button" aria-describedby={`team-${team.id}`}
                  onClick={() => setDraft({ ...team, reassignAfterMinutes: team.reassignAfterMinutes?.toString() ?? '' })}>Edit</button>
                <button type="button" aria-describedby={`team-${team.id}`} onClick={() => remove(team)}>Delete</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="stack-form" onSubmit={save} aria-label={draft.id ? 'Edit team' : 'Add a team'}>
        <h2>{draft.id ? `Edit ${draft.name}` : 'Add a team'}</h2>
        <label>Name <input required maxLength={100} value={draft.name} onChange={e => setDraft({ ...draft, name: e.target.value })} /></label>
        <label>Assignment policy
          <select value={draft.policy} onChange={e => setDraft({ ...draft, policy: e.target.value as Team['policy'] })}>
            <option value="round-robin">Round robin</option><option value="least-loaded">Least loaded</option><option value="manual">Manual (agents take)</option>
          </select>
        </label>
        <label>Open conversations per agent
          <input type="number" min={1} max={1000} required value={draft.maxOpenPerAgent}
            onChange={e => setDraft({ ...draft, maxOpenPerAgent: Number(e.target.value) })} />
        </label>
        <label>Reassign after (minutes without reply; empty: never)
          <input type="number" min={1} value={draft.reassignAfterMinutes} onChange={e => setDraft({ ...draft, reassignAfterMinutes: e.target.value })} />
        </label>
        <fieldset>
          <legend>Members</legend>
          {agents?.filter(a => a.isActive !== false).map(agent => (
            <label key={agent.id} className="check">
              <input type="checkbox" checked={draft.members.includes(agent.id)}
                onChange={e => setDraft({ ...draft, members: e.target.checked ? [...draft.members, agent.id] : draft.members.filter(id => id !== agent.id) })} />
              {agent.name}
            </label>
          ))}
        </fieldset>
        <div className="buttons">
          <button type="submit" className="primary">{draft.id ? 'Save team' : 'Add team'}</button>
          {draft.id && <button type="button" onClick={() => setDraft(NewTeam)}>Cancel</button>}
        </div>
      </form>
    </Section>
  );
}

function Labels() {
  const [labels, reload, loadError] = useList<Label>('/api/labels');
  const [name, setName] = useState('');
  const [color, setColor] = useState('#2563eb');
  const [run, error] = useAction(reload);
  return (
    <Section title="Labels" error={loadError ?? error}>
      <ul className="plain">
        {labels?.map(label => (
          <li key={label.id}>
            <span className="swatch" style={{ backgroundColor: /^#[0-9a-f]{6}$/i.test(label.color) ? label.color : undefined }} aria-hidden="true" />
            {label.name}
            <button type="button" onClick={() => void run(() => api(`/api/labels/${label.id}`, { method: 'DELETE' }))}>Delete {label.name}</button>
          </li>
        ))}
      </ul>
      <form className="row-form" aria-label="Add a label" onSubmit={e => {
        e.preventDefault();
        void run(() => api('/api/labels', { method: 'POST', body: { name: name.trim(), color } })).then(ok => { if (ok) setName(''); });
      }}>
        <label>Label name <input required maxLength={50} value={name} onChange={e => setName(e.target.value)} /></label>
        <label>Color <input type="color" value={color} onChange={e => setColor(e.target.value)} /></label>
        <button type="submit" className="primary">Add label</button>
      </form>
    </Section>
  );
}

function CannedReplies() {
  const [replies, reload, loadError] = useList<CannedReply>('/api/canned-replies');
  const [shortcut, setShortcut] = useState('');
  const [content, setContent] = useState('');
  const [run, error] = useAction(reload);
  return (
    <Section title="Canned replies" error={loadError ?? error}>
      <ul className="plain">
        {replies?.map(reply => (
          <li key={reply.id}>
            <strong>/{reply.shortcut}</strong> <span className="pre">{reply.content}</span>
            <button type="button" onClick={() => void run(() => api(`/api/canned-replies/${reply.id}`, { method: 'DELETE' }))}>Delete /{reply.shortcut}</button>
          </li>
        ))}
      </ul>
      <form className="stack-form" aria-label="Add a canned reply" onSubmit={e => {
        e.preventDefault();
        void run(() => api('/api/canned-replies', { method: 'POST', body: { shortcut: shortcut.trim(), content } }))
          .then(ok => { if (ok) { setShortcut(''); setContent(''); } });
      }}>
        <label>Shortcut <input required maxLength={50} value={shortcut} onChange={e => setShortcut(e.target.value)} /></label>
        <label>Content
          <textarea required rows={3} maxLength={1600} value={content} onChange={e => setContent(e.target.value)} />
        </label>
        <p className="hint">Variables: {'{{ customer.name }}'}, {'{{ customer.identity }}'}, {'{{ agent.name }}'}, {'{{ agent.email }}'}, {'{{ business.number }}'}</p>
        <button type="submit" className="primary">Add canned reply</button>
      </form>
    </Section>
  );
}
