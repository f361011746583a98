import { describe, expect, it } from 'vitest';
import { BufferBudget } from './buffer-budget.js';

describe('BufferBudget', () => {
  it('is over at the limit, and wakes every waiter once it drops under it', async () => {
    const b = new BufferBudget(100);
    const woken: string[] = [];
    b.add(60);
    expect(b.over).toBe(false);
    b.add(40);
    expect(b.over).toBe(true);
    const ac = new AbortController();
    const a = b.whenBelow(new AbortController().signal).then(() => woken.push('a'));
    const cancelled = b.whenBelow(ac.signal).then(
      () => woken.push('b'),
      () => woken.push('b aborted'),
    );
    const c = b.whenBelow(new AbortController().signal).then(() => woken.push('c'));
    ac.abort();
    await cancelled;
    b.add(10);
    b.sub(5); // 105: still over
    await new Promise((r) => setImmediate(r));
    expect(woken).toEqual(['b aborted']);
    b.sub(6); // 99
    await Promise.all([a, c]);
    expect(woken).toEqual(['b aborted', 'a', 'c']);
    expect(b.below.waiting).toBe(0);
    b.sub(99);
    expect(b.used).toBe(0);
  });

  it('does not wait when under the limit', async () => {
    const b = new BufferBudget(100);
    await b.whenBelow(new AbortController().signal);
    expect(b.below.waiting).toBe(0);
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => new BufferBudget(0)).toThrow(RangeError);
    expect(() => new BufferBudget(1.5)).toThrow(RangeError);
  });
});
