// Channel<T>: the go-work "ping/pong" handoff with backpressure.
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  Channel,
  ChannelAbortedError,
  ChannelClosedError,
  Job,
  JobError,
  type Task,
} from '../src/index.js';
import { abortWhileWaiting, settledWithin, sleep } from './helpers.js';

describe('Channel', () => {
  it('unbuffered: send waits until a receiver has taken the value', async () => {
    const ch = new Channel<number>();
    let sent = false;
    const s = ch.send(1).then(() => {
      sent = true;
    });
    await sleep(5);
    expect(sent).toBe(false);
    expect(await ch.receive()).toBe(1);
    await s;
    expect(sent).toBe(true);
  });

  it('unbuffered: a waiting receiver gets the value and send resolves', async () => {
    const ch = new Channel<string>();
    const r = ch.receive();
    await ch.send('a');
    expect(await r).toBe('a');
  });

  it('keeps FIFO order among senders and among receivers', async () => {
    const ch = new Channel<number>();
    const sends = [1, 2, 3].map((v) => ch.send(v));
    expect([await ch.receive(), await ch.receive(), await ch.receive()]).toEqual([1, 2, 3]);
    await Promise.all(sends);
    const rs = [ch.receive(), ch.receive()];
    await ch.send(10);
    await ch.send(20);
    expect(await Promise.all(rs)).toEqual([10, 20]);
  });

  it('buffered: send resolves at once up to the capacity, then waits', async () => {
    const ch = new Channel<number>(2);
    expect(ch.capacity).toBe(2);
    await ch.send(1);
    await ch.send(2);
    expect(ch.size).toBe(2);
    const third = ch.send(3);
    expect(await settledWithin(third, 10)).toBe('pending');
    expect(await ch.receive()).toBe(1);
    await third;
    expect(ch.size).toBe(2);
    expect([await ch.receive(), await ch.receive()]).toEqual([2, 3]);
    expect(ch.size).toBe(0);
  });

  it('rejects a bad capacity', () => {
    expect(() => new Channel(-1)).toThrow(RangeError);
    expect(() => new Channel(1.5)).toThrow(RangeError);
  });

  it('close ends async iteration after the buffered values', async () => {
    const ch = new Channel<number>(3);
    await ch.send(1);
    await ch.send(2);
    ch.close();
    const got: number[] = [];
    for await (const v of ch) got.push(v);
    expect(got).toEqual([1, 2]);
    expect(ch.closed).toBe(true);
  });

  it('close ends an iteration that is waiting', async () => {
    const ch = new Channel<number>();
    const got: number[] = [];
    const consumer = (async () => {
      for await (const v of ch) got.push(v);
      return 'ended';
    })();
    await ch.send(1);
    await ch.send(2);
    ch.close();
    expect(await settledWithin(consumer, 1000)).toBe('ended');
    expect(got).toEqual([1, 2]);
  });

  it('send on a closed channel rejects with ChannelClosedError', async () => {
    const ch = new Channel<number>(1);
    ch.close();
    const err = await ch.send(1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelClosedError);
    expect(err).toBeInstanceOf(JobError);
    expect((err as ChannelClosedError).code).toBe('ERR_CHANNEL_CLOSED');
  });

  it('receive on a closed, drained channel rejects with ChannelClosedError', async () => {
    const ch = new Channel<number>(1);
    await ch.send(7);
    ch.close();
    expect(await ch.receive()).toBe(7);
    await expect(ch.receive()).rejects.toBeInstanceOf(ChannelClosedError);
  });

  it('close rejects waiting receivers and waiting senders (their values were not delivered)', async () => {
    const ch = new Channel<number>();
    const r = ch.receive();
    ch.close();
    await expect(r).rejects.toBeInstanceOf(ChannelClosedError);

    const ch2 = new Channel<number>();
    const s = ch2.send(1);
    ch2.close();
    await expect(s).rejects.toBeInstanceOf(ChannelClosedError);
    ch2.close(); // idempotent
  });

  it('an aborted receive rejects typed and does not swallow a later value', async () => {
    const ch = new Channel<number>();
    const { err, reason } = await abortWhileWaiting((signal) => ch.receive(signal));
    expect(err).toBeInstanceOf(ChannelAbortedError);
    expect((err as ChannelAbortedError).code).toBe('ERR_CHANNEL_ABORTED');
    expect((err as ChannelAbortedError).cause).toBe(reason);
    const r2 = ch.receive();
    await ch.send(42);
    expect(await r2).toBe(42);
  });

  it('an aborted send rejects typed and delivers nothing', async () => {
    const ch = new Channel<number>();
    const ac = new AbortController();
    const s = ch.send(1, ac.signal);
    ac.abort();
    await expect(s).rejects.toBeInstanceOf(ChannelAbortedError);
    const s2 = ch.send(2);
    expect(await ch.receive()).toBe(2);
    await s2;
  });

  it('an already-aborted signal rejects at once and takes nothing from the buffer', async () => {
    const ch = new Channel<number>(1);
    await ch.send(5);
    const ac = new AbortController();
    ac.abort();
    await expect(ch.receive(ac.signal)).rejects.toBeInstanceOf(ChannelAbortedError);
    await expect(ch.send(6, ac.signal)).rejects.toBeInstanceOf(ChannelAbortedError);
    expect(ch.size).toBe(1);
    expect(await ch.receive()).toBe(5);
  });

  it('a buffered channel under an aborted iteration loses nothing', async () => {
    const ch = new Channel<number>(10);
    for (let i = 0; i < 5; i++) await ch.send(i);
    const ac = new AbortController();
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const v of ch.values(ac.signal)) {
          got.push(v);
          if (v === 1) ac.abort();
        }
      })(),
    ).rejects.toBeInstanceOf(ChannelAbortedError);
    ch.close();
    const rest: number[] = [];
    for await (const v of ch) rest.push(v);
    expect([...got, ...rest]).toEqual([0, 1, 2, 3, 4]);
  });

  it('removes its abort listeners once an operation completes', async () => {
    const ch = new Channel<number>();
    const ac = new AbortController();
    for (let i = 0; i < 20; i++) {
      const r = ch.receive(ac.signal);
      await ch.send(i, ac.signal);
      await r;
      const s = ch.send(i, ac.signal);
      await ch.receive(ac.signal);
      await s;
    }
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  it('ping/pong between two tasks of a job, ended by the job signal', async () => {
    const ping = new Channel<number>();
    const pong = new Channel<number>();
    const job = new Job();
    let rounds = 0;
    job.addTask(() => ({
      async run(t: Task) {
        await ping.send(rounds, t.signal);
        const back = await pong.receive(t.signal);
        t.assertTrue(back === rounds + 1);
        if (++rounds === 100) t.finishJob();
      },
    }));
    job.addTask(() => ({
      async run(t) {
        const v = await ping.receive(t.signal);
        await pong.send(v + 1, t.signal);
      },
    }));
    expect(await job.run()).toBe('done');
    expect(rounds).toBe(100);
  });
});
