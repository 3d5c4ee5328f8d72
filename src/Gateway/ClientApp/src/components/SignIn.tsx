import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api } from '../api/client';
import type { SignedIn } from '../api/types';

export function SignIn({ notice, onSignedIn }: { notice: string | null; onSignedIn: (issued: SignedIn) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const emailInput = useRef<HTMLInputElement>(null);
  useEffect(() => emailInput.current?.focus(), []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await api<SignedIn>('/api/auth/sign-in', { method: 'POST', body: { email: email.trim(), password } }));
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : 'Sign-in failed.');
      setPassword('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="auth">
      <form className="auth-card" onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in to Crm</h1>
        {notice && !error && <p className="notice" role="status">{notice}</p>}
        <label htmlFor="sign-in-email">Email</label>
        <input id="sign-in-email" ref={emailInput} type="email" autoComplete="username" required maxLength={254}
          value={email} onChange={e => setEmail(e.target.value)} />
        <label htmlFor="sign-in-password">Password</label>
        <input id="sign-in-password" type="password" autoComplete="current-password" required maxLength={200}
          value={password} onChange={e => setPassword(e.target.value)} />
        <button type="submit" className="primary" disabled={busy}>Sign in</button>
        <div role="alert" className="error">{error}</div>
      </form>
    </main>
  );
}

export function AcceptInvitation({ token, onSignedIn }: { token: string; onSignedIn: (issued: SignedIn) => void }) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await api<SignedIn>('/api/auth/accept-invitation', { method: 'POST', body: { token, name: name.trim(), password } }));
    } catch (failure) {
      const status = (failure as { status?: number }).status;
      setError(status === 410 ? 'This invitation was used already or has expired: ask for a new one.'
        : status === 404 ? 'This invitation link is not valid: check it was copied whole.'
        : failure instanceof Error ? failure.message : 'Could not accept the invitation.');
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="auth">
      <form className="auth-card" onSubmit={submit} aria-labelledby="invitation-title">
        <h1 id="invitation-title">Join your team on Crm</h1>
        <p className="hint">Choose your name and a password (at least 10 characters).</p>
        <label htmlFor="invitation-name">Your name</label>
        <input id="invitation-name" autoComplete="name" required maxLength={100} autoFocus
          value={name} onChange={e => setName(e.target.value)} />
        <label htmlFor="invitation-password">Password</label>
        <input id="invitation-password" type="password" autoComplete="new-password" required minLength={10} maxLength={200}
          value={password} onChange={e => setPassword(e.target.value)} />
        <button type="submit" className="primary" disabled={busy}>Set password and sign in</button>
        <div role="alert" className="error">{error}</div>
      </form>
    </main>
  );
}
