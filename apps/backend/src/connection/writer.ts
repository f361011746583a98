import { once } from 'node:events';
import type { Socket } from 'node:net';
import { Notifier } from '@tcpbalancer/job';
import { encodeFrame, type Frame } from '@tcpbalancer/protocol';
import type { BufferBudget } from '../buffer-budget.js';
import type { BackendMetrics } from '../metrics.js';

/** One frame for the write task. */
export interface OutItem {
  frame: Frame;
  /** It answers a request that holds an in-flight slot. */
  slot: boolean;
  /** For the requests counter; absent for pongs and connection errors. */
  outcome?: string;
  /** Bytes charged to the budget for this answer (released once written). */
  bytes?: number;
}

/**
 * The socket's output side: writes frames with backpressure, and knows whether the peer is
 * keeping up. An answer is "unsent" from the moment it is made until it is written out; its
 * payload is charged to the process-wide budget meanwhile.
 *
 * A peer that does not read its answers gets no more work done for it: while the socket pushes
 * back (`writableNeedDrain`) or an answer of ours is not written yet, `whenWritable` parks the
 * dispatch and the resize-slot queue. So at most about one unsent answer per resize slot is held.
 */
export class Writer {
  /** Notified whenever an answer has been written out (the peer may be keeping up again). */
  readonly writable = new Notifier();
  #unsent = 0;
  #held = 0;
  #accounting = true;

  constructor(
    private readonly socket: Socket,
    private readonly budget: BufferBudget,
    private readonly metrics: BackendMetrics,
  ) {}

  /** The socket pushes back, or an answer of ours is not written yet: start no more work. */
  get pushingBack(): boolean {
    return this.#accounting && (this.socket.writableNeedDrain || this.#unsent > 0);
  }

  /**
   * Resolves once the socket no longer pushes back; rejects if `signal` aborts first. Undefined
   * when it does not push back now (no promise for the common case).
   */
  whenWritable(signal: AbortSignal): Promise<void> | undefined {
    return this.pushingBack ? this.#parkWhilePushingBack(signal) : undefined;
  }

  async #parkWhilePushingBack(signal: AbortSignal): Promise<void> {
    while (this.pushingBack) await this.writable.wait(signal);
  }

  /** An answer is made: it is held (and charged) until written. */
  made(item: OutItem): void {
    if (!this.#accounting) return;
    const bytes = item.frame.payload.length;
    item.bytes = bytes;
    this.#unsent++;
    this.#held += bytes;
    this.budget.add(bytes);
  }

  /**
   * Writes one frame. Returns a promise only when the socket pushes back (it resolves on
   * 'drain'): a promise per frame for nothing cost ~5 % of a ping's CPU (bench/frames.ts).
   */
  write(item: OutItem, signal: AbortSignal): Promise<void> | undefined {
    const socket = this.socket;
    const parts = encodeFrame(item.frame);
    socket.cork();
    let ok = true;
    for (const part of parts) if (part.length > 0) ok = socket.write(part);
    socket.uncork();
    this.metrics.bytesOut.inc(parts[0]!.length + parts[1]!.length);
    if (ok) {
      this.#written(item);
      return undefined;
    }
    return once(socket, 'drain', { signal }).then(() => this.#written(item));
  }

  /** Flushed (or handed to the kernel): the answer is no longer ours to hold. */
  #written(item: OutItem): void {
    if (item.outcome !== undefined) this.metrics.requests.inc({ outcome: item.outcome });
    if (item.bytes !== undefined && this.#accounting) {
      this.#unsent--;
      this.#held -= item.bytes;
      this.budget.sub(item.bytes);
    }
    if (this.writable.waiting > 0 && !this.pushingBack) this.writable.notifyAll();
  }

  /** The job ended: what is still held is dropped with it; waiters go. */
  close(): void {
    if (!this.#accounting) return;
    this.#accounting = false;
    this.budget.sub(this.#held);
    this.#held = 0;
    this.#unsent = 0;
    this.writable.notifyAll();
  }
}
