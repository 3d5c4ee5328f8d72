import type { HubConnection } from '@microsoft/signalr';
import { useCallback, useEffect, useState } from 'react';
import { session } from './api/client';
import { connectHub, HubContext, send } from './api/hub';
import { watchActivity } from './logic/activity';
import type { SignedIn } from './api/types';
import { Admin } from './components/Admin';
import { Customers } from './components/Customers';
import { Header } from './components/Header';
import { Inbox } from './components/Inbox';
import { AcceptInvitation, SignIn } from './components/SignIn';
import { parseRoute, type Route } from './logic/route';

const StorageKey = 'crm.session';

function storedSession(): SignedIn | null {
  try {
    const stored = JSON.parse(sessionStorage.getItem(StorageKey) ?? 'null') as SignedIn | null;
    return stored && Date.parse(stored.expiresAt) > Date.now() ? stored : null;
  } catch {
    return null;
  }
}

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}

export function App() {
  const [signedIn, setSignedIn] = useState<SignedIn | null>(() => {
    const stored = storedSession();
    session.token = stored?.token ?? null;
    return stored;
  });
  const [notice, setNotice] = useState<string | null>(null);
  const [hub, setHub] = useState<HubConnection | null>(null);
  const [live, setLive] = useState(false);
  const [reconnects, setReconnects] = useState(0);
  const [invitation] = useState(() => new URLSearchParams(location.search).get('invitation'));
  const route = useRoute();

  const signOut = useCallback((message: string | null) => {
    sessionStorage.removeItem(StorageKey);
    session.token = null;
    setSignedIn(null);
    setNotice(message);
  }, []);

  const accept = useCallback((issued: SignedIn) => {
    sessionStorage.setItem(StorageKey, JSON.stringify(issued));
    session.token = issued.token;
    setNotice(null);
    setSignedIn(issued);
    if (location.search) history.replaceState(null, '', location.pathname + location.hash);
  }, []);

  useEffect(() => {
    session.onUnauthorized = () => signOut('Your session has ended: please sign in again.');
  }, [signOut]);

  // The token lasts until expiresAt: sign out then, with a word, instead of failing call by call.
  useEffect(() => {
    if (!signedIn) return;
    const left = Date.parse(signedIn.expiresAt) - Date.now();
    const timer = setTimeout(() => signOut('Your session expired: please sign in again.'), Math.max(0, Math.min(left, 2 ** 31 - 1)));
    return () => clearTimeout(timer);
  }, [signedIn, signOut]);

  useEffect(() => {
    if (!signedIn) return;
    const connection = connectHub(signedIn.token, setLive, () => setReconnects(n => n + 1));
    connection.on('SessionEnded', () => signOut('Your session was ended by an administrator.'));
    const stopWatching = watchActivity(window, () => send(connection, 'Active'));
    // The connection is the external system here: components subscribe to it through the context.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    setHub(connection);
    return () => {
      stopWatching();
      setHub(null);
      void connection.stop();
    };
  }, [signedIn, signOut]);

  useEffect(() => {
    document.title = route.page === 'admin' ? 'Admin · Crm' : route.page === 'customers' ? 'Customers · Crm' : 'Inbox · Crm';
  }, [route.page]);

  if (!signedIn) {
    return invitation
      ? <AcceptInvitation token={invitation} onSignedIn={accept} />
      : <SignIn notice={notice} onSignedIn={accept} />;
  }
  return (
    <HubContext.Provider value={hub}>
      <div className="app">
        <Header agent={signedIn.agent} live={live} page={route.page} onSignOut={() => signOut('You signed out.')} />
        {route.page === 'admin' && <Admin me={signedIn.agent} tab={route.tab} />}
        {route.page === 'customers' && <Customers me={signedIn.agent} route={route} reconnects={reconnects} />}
        {route.page === 'inbox' && <Inbox me={signedIn.agent} conversationId={route.conversationId} reconnects={reconnects} />}
      </div>
    </HubContext.Provider>
  );
}
