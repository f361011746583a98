import { setTimeout as sleep } from 'node:timers/promises';
import type { Task, TaskRoutines } from '@tcpbalancer/job';
import {
  encodeFrame,
  MAX_NAME_LENGTH,
  type ResizeRequestHeader,
  requestFrame,
} from '@tcpbalancer/protocol';
import { RequestTimeoutError } from '../errors.js';
import type { WorkItem } from '../work-queue.js';
import type { ClientConnection } from './client-connection.js';

/**
 * Work from the round's shared queue onto this connection, at most --window in flight. Retries
 * first, each sent alone; in open loop each new item is taken with its timetable slot and waits
 * until it is due. Each request gets its --timeout timer (a timeout ends the connection).
 */
export class FeederTask implements TaskRoutines<ClientConnection> {
  constructor(private readonly conn: ClientConnection) {}

  async run(task: Task<ClientConnection>): Promise<void> {
    const { conn } = this;
    const { ctx } = conn;
    // A retried request goes out alone (nothing else in flight, nothing sent beside it): if it
    // is what breaks connections (a poison request), it cannot take innocent requests down with it.
    const isolating = conn.pending.size > 0 && (ctx.queue.hasRetry || conn.isolated);
    if (conn.pending.size >= ctx.window || isolating) {
      await conn.feederWake.wait(task.signal);
      return;
    }
    const taken = await this.#take(task);
    if (taken === undefined) return;
    const { item, startMs } = taken;
    conn.held.add(item);
    let payload: Buffer;
    try {
      payload = await ctx.loadImage(item);
    } catch (err) {
      conn.held.delete(item);
      ctx.fail(item, err);
      return;
    }
    if (task.signal.aborted) return;
    const parts = this.#send(item, payload, startMs);
    await conn.outbox.send(parts, task.signal);
    conn.saverWake.notifyAll();
  }

  /** The next item and when its latency starts counting; undefined when this feeder is done. */
  async #take(
    task: Task<ClientConnection>,
  ): Promise<{ item: WorkItem; startMs: number | undefined } | undefined> {
    const { conn } = this;
    const { ctx } = conn;
    const retry = ctx.queue.takeRetry();
    conn.isolated = retry !== undefined;
    if (retry) return { item: retry, startMs: ctx.scheduler ? retry.scheduledAt : undefined };
    const due = ctx.scheduler ? ctx.scheduler.next() : undefined;
    if (ctx.scheduler && due === undefined) {
      // The timetable is over: no new work for any connection (retries still go out).
      ctx.queue.close();
      this.#stop(task);
      return undefined;
    }
    // The item is taken with its slot, before the wait: a slot once issued always goes out
    // (another connection closing the queue meanwhile must not drop it). Held, not sent: a
    // broken connection gives it back uncharged.
    const item = ctx.queue.takeNew();
    if (!item) {
      this.#stop(task);
      return undefined;
    }
    conn.held.add(item);
    item.scheduledAt = due;
    if (due !== undefined) ctx.stats.scheduled++;
    if (due !== undefined) {
      const delay = due - performance.now();
      if (delay >= 1) await sleep(delay, undefined, { signal: task.signal });
    }
    return { item, startMs: due };
  }

  /** Encodes the request, starts its timer, records it in flight; returns the frame's parts. */
  #send(item: WorkItem, payload: Buffer, startMs: number | undefined): Buffer[] {
    const { conn } = this;
    const { ctx } = conn;
    const id = conn.nextId;
    conn.nextId = id >= 0xffff_ffff ? 1 : id + 1;
    const header: ResizeRequestHeader = {
      ...ctx.request,
      name: item.image.relPath.slice(0, MAX_NAME_LENGTH),
    };
    const parts = encodeFrame(requestFrame(id, header, payload));
    const timer = setTimeout(
      () => conn.job.cancel(new RequestTimeoutError(ctx.timeoutMs)),
      ctx.timeoutMs,
    );
    const now = performance.now();
    conn.pending.set(id, { item, startMs: startMs ?? now, sentMs: now, timer });
    conn.sent.add(item);
    ctx.stats.sent++;
    if (startMs !== undefined) ctx.stats.recordLateness(now - startMs);
    return parts;
  }

  #stop(task: Task<ClientConnection>): void {
    const { conn } = this;
    conn.feederDone = true;
    conn.outbox.close();
    task.done();
    conn.wakeAll();
  }
}
