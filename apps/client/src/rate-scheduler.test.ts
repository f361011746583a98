import { describe, expect, it } from 'vitest';
import { RateScheduler } from './rate-scheduler.js';

describe('RateScheduler', () => {
  it('hands out slots on a fixed timetable, whatever the caller does', () => {
    const s = new RateScheduler(200, 1000);
    const times = Array.from({ length: 5 }, () => s.next());
    expect(times).toEqual([1000, 1005, 1010, 1015, 1020]);
  });
  it('stops at the end time (count = rate × duration)', () => {
    const s = new RateScheduler(100, 0, 2000);
    let n = 0;
    while (s.next() !== undefined) n++;
    expect(n).toBe(200);
    expect(s.next()).toBeUndefined();
  });
  it('fractional rates', () => {
    const s = new RateScheduler(0.5, 0);
    s.next();
    expect(s.next()).toBe(2000);
  });
  it('rejects a non-positive rate', () => {
    expect(() => new RateScheduler(0, 0)).toThrow(RangeError);
  });
});
