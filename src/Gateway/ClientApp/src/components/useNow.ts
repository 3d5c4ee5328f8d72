import { useEffect, useState } from 'react';

/** The time, refreshed every `interval` ms: for "waiting 5 min" and the reply window. */
export function useNow(interval: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), interval);
    return () => clearInterval(timer);
  }, [interval]);
  return now;
}
