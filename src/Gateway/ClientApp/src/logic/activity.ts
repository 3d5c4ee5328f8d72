// The agent at the screen: a key or a click now and then tells the server they are at work, so they are not marked away
// after the idle timeout (15 min by default). API calls count too, but may be served by a process that does not hold
// this tab's hub connection; the hub call always reaches the one that does.

/** At most one report per interval, however busy the agent: the server only needs to hear within its idle timeout. */
export const ActivityReportInterval = 60_000;

/** A gate that lets the first event through and then one per interval. */
export function throttle(interval: number, now: () => number = Date.now): () => boolean {
  let last = -Infinity;
  return () => {
    const at = now();
    if (at - last < interval) return false;
    last = at;
    return true;
  };
}

/** Calls report on the agent's keys, clicks and touches, throttled; returns the function that stops listening. */
export function watchActivity(target: Pick<Window, 'addEventListener' | 'removeEventListener'>, report: () => void,
  interval = ActivityReportInterval): () => void {
  const due = throttle(interval);
  const onInput = () => {
    if (due()) report();
  };
  const events = ['keydown', 'pointerdown', 'focus'] as const;
  for (const event of events) target.addEventListener(event, onInput, { passive: true });
  return () => {
    for (const event of events) target.removeEventListener(event, onInput);
  };
}
