import { HubConnectionBuilder, HubConnectionState, LogLevel, type HubConnection } from '@microsoft/signalr';
import { createContext, useContext, useEffect, useRef } from 'react';

// The live hub (/hubs/inbox): one connection per signed-in tab; components subscribe to the pushes they show.

export function connectHub(token: string, onState: (live: boolean) => void, onReconnected: () => void): HubConnection {
  const connection = new HubConnectionBuilder()
    .withUrl('/hubs/inbox', { accessTokenFactory: () => token })
    .withAutomaticReconnect({ nextRetryDelayInMilliseconds: context => Math.min(30_000, 1000 * 2 ** context.previousRetryCount) })
    .configureLogging(LogLevel.Warning)
    .build();
  connection.onreconnecting(() => onState(false));
  connection.onreconnected(() => {
    onState(true);
    onReconnected();
  });
  connection.onclose(() => onState(false));
  const start = (attempt: number) => {
    connection.start().then(() => onState(true), () => {
      if (connection.state === HubConnectionState.Disconnected) setTimeout(() => start(attempt + 1), Math.min(30_000, 1000 * 2 ** attempt));
    });
  };
  start(0);
  return connection;
}

export const HubContext = createContext<HubConnection | null>(null);

export function useHub(): HubConnection | null {
  return useContext(HubContext);
}

/** Calls handler for every push of that name while the component is mounted (the latest handler, without resubscribing). */
export function usePush<T>(name: string, handler: (payload: T) => void): void {
  const hub = useHub();
  const latest = useRef(handler);
  useEffect(() => {
    latest.current = handler;
  });
  useEffect(() => {
    if (!hub) return;
    const listener = (payload: T) => latest.current(payload);
    hub.on(name, listener);
    return () => hub.off(name, listener);
  }, [hub, name]);
}

/** Invokes a hub method when connected; presence is best effort, never an error for the agent. */
export function send(hub: HubConnection | null, method: string, ...args: unknown[]): void {
  if (hub?.state === HubConnectionState.Connected) hub.send(method, ...args).catch(() => {});
}
