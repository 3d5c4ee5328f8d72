import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { api } from '../api/client';

// What every admin screen shares: a titled section with its error, a loaded list, and a change that reloads it.

export const message = (failure: unknown) => failure instanceof Error ? failure.message : String(failure);

/** Loads a list, and says what failed in words. */
export function useList<T>(path: string): [T[] | null, () => void, string | null] {
  const [items, setItems] = useState<T[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    api<T[]>(path).then(found => { setItems(found); setError(null); }, failure => setError(message(failure)));
  }, [path]);
  useEffect(load, [load]);
  return [items, load, error];
}

/**
 * Runs an admin change: clears the last error, reloads the list when it worked, says what failed in words when it did
 * not. Resolves to whether it worked (a form clears itself only then).
 */
export function useAction(reload: () => void): [(change: () => Promise<unknown>) => Promise<boolean>, string | null] {
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(async (change: () => Promise<unknown>) => {
    setError(null);
    try {
      await change();
      reload();
      return true;
    } catch (failure) {
      setError(message(failure));
      return false;
    }
  }, [reload]);
  return [run, error];
}

export function Section({ title, error, children }: { title: string; error: string | null; children: ReactNode }) {
  return (
    <section aria-labelledby={`admin-${title}`}>
      <h1 id={`admin-${title}`}>{title}</h1>
      {error && <p role="alert" className="error">{error}</p>}
      {children}
    </section>
  );
}

