import { describe, expect, it } from 'vitest';
import { type WorkItem, WorkQueue } from './work-queue.js';

const item = (seq: number): WorkItem => ({
  seq,
  image: { relPath: `${seq}`, absPath: `/${seq}`, data: undefined, plan: undefined },
  round: 1,
  attempts: 0,
  scheduledAt: undefined,
  lastError: undefined,
  settled: false,
});

describe('WorkQueue', () => {
  it('hands out each item once; requeued ones go first; finished when all settled', () => {
    const q = WorkQueue.of([item(1), item(2), item(3)]);
    const a = q.take()!;
    const b = q.take()!;
    expect([a.seq, b.seq]).toEqual([1, 2]);
    q.requeue(a);
    expect(q.take()?.seq).toBe(1);
    expect(q.take()?.seq).toBe(3);
    expect(q.take()).toBeUndefined();
    expect(q.hasWork).toBe(false);
    expect(q.finished).toBe(false);
    q.settle(a);
    q.settle(b);
    expect(q.finished).toBe(false);
    q.settle(item(3));
    expect(q.finished).toBe(true);
  });
  it('close stops new items but not retries', () => {
    let n = 0;
    const q = new WorkQueue(() => item(n++));
    const a = q.take()!;
    q.close();
    expect(q.takeNew()).toBeUndefined();
    q.requeue(a);
    expect(q.hasWork).toBe(true);
    expect(q.take()).toBe(a);
  });
});
