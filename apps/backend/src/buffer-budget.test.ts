import { describe, expect, it } from 'vitest';
import { BufferBudget } from './buffer-budget.js';

describe('BufferBudget', () => {
  it('is over at the limit, and wakes each waiter once when it drops under it', () => {
    const b = new BufferBudget(100);
    const woken: string[] = [];
    b.add(60);
    expect(b.over).toBe(false);
    b.add(40);
    expect(b.over).toBe(true);
    b.onBelow(() => woken.push('a'));
    const cancel = b.onBelow(() => woken.push('b'));
    b.onBelow(() => woken.push('c'));
    cancel();
    b.add(10);
    b.sub(5); // 105: still over
    expect(woken).toEqual([]);
    b.sub(6); // 99
    expect(woken).toEqual(['a', 'c']);
    b.sub(99);
    expect(woken).toEqual(['a', 'c']); // once each
    expect(b.used).toBe(0);
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => new BufferBudget(0)).toThrow(RangeError);
    expect(() => new BufferBudget(1.5)).toThrow(RangeError);
  });
});
