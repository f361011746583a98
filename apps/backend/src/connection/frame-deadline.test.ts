import { describe, expect, it } from 'vitest';
import { FrameDeadline } from './frame-deadline.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('FrameDeadline', () => {
  it('expires once a frame has been in progress for the timeout, and says so once', async () => {
    let fired = 0;
    const d = new FrameDeadline(40, () => fired++);
    d.update(true, false);
    await sleep(10);
    d.update(true, false); // the same frame, more bytes: the clock is not reset
    await sleep(80);
    expect(d.expired).toBe(true);
    expect(fired).toBe(1);
  });

  it('a completed frame stops the clock; a new frame in the same read starts a new one', async () => {
    let fired = 0;
    const d = new FrameDeadline(60, () => fired++);
    d.update(true, false);
    await sleep(40);
    d.update(true, true); // one frame done, the next begun: a fresh 60 ms
    await sleep(40);
    expect(d.expired).toBe(false);
    d.update(false, true); // nothing in progress
    await sleep(80);
    expect(fired).toBe(0);
  });

  it('0 means no deadline', async () => {
    const d = new FrameDeadline(0, () => {
      throw new Error('must not fire');
    });
    d.update(true, false);
    await sleep(20);
    expect(d.expired).toBe(false);
  });
});
