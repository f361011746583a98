import type { Connection } from './connection.js';
import { IdleTimeoutError } from './errors.js';

/**
 * A listener's idle timeout without a timer per connection or per chunk: one interval compares
 * each connection's byte count with the one it had at the last sweep. A connection is idle from
 * the sweep that first saw its count unchanged, so it ends at most one period late; the period
 * is a quarter of the timeout, clamped to 25 ms – 1 s (a 30 s timeout: one sweep a second).
 */
export class IdleSweep {
  #timer: NodeJS.Timeout | undefined;
  #idleMs = 0;

  constructor(private readonly conns: Iterable<Connection>) {}

  /** (Re)starts sweeping for `idleMs` (0: no idle timeout). */
  start(idleMs: number): void {
    this.stop();
    this.#idleMs = idleMs;
    if (idleMs <= 0) return;
    this.#timer = setInterval(
      () => this.#sweep(),
      Math.min(1000, Math.max(25, Math.floor(idleMs / 4))),
    );
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #sweep(): void {
    const now = Date.now();
    const idle = this.#idleMs;
    for (const conn of this.conns) {
      const moved = conn.bytesIn + conn.bytesOut;
      if (moved !== conn.idleMark) {
        conn.idleMark = moved;
        conn.idleSince = now;
      } else if (now - conn.idleSince >= idle) {
        conn.job.cancel(new IdleTimeoutError(`no traffic for ${idle} ms`));
      }
    }
  }
}
