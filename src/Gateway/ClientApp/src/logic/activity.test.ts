import { describe, expect, it } from 'vitest';
import { throttle, watchActivity } from './activity';

describe('activity reports', () => {
  it('let the first event through, then one per interval', () => {
    let now = 0;
    const due = throttle(60_000, () => now);
    const seen = [0, 1_000, 59_999, 60_000, 61_000, 130_000].map(at => {
      now = at;
      return due();
    });
    expect(seen).toEqual([true, false, false, true, false, true]);
  });

  it('report keys and clicks on the window and stop when told', () => {
    const target = new EventTarget();
    let reports = 0;
    const stop = watchActivity(target as unknown as Window, () => reports++, 0);
    target.dispatchEvent(new Event('keydown'));
    target.dispatchEvent(new Event('pointerdown'));
    stop();
    target.dispatchEvent(new Event('keydown'));
    expect(reports).toBe(2);
  });
});
