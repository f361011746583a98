import type { Gauge } from 'prom-client';
import { Semaphore } from '../semaphore.js';

/**
 * The connection's in-flight requests (received, not yet answered), at most --max-inflight.
 * With every slot taken the read task waits here, so it stops taking frames and the input is
 * paused: backpressure to the peer instead of buffering.
 */
export class RequestSlots {
  readonly #slots: Semaphore;
  #count = 0;

  constructor(
    max: number,
    private readonly gauge: Gauge,
  ) {
    this.#slots = new Semaphore(max);
  }

  /** Requests holding a slot. */
  get count(): number {
    return this.#count;
  }

  /** Waits for a slot; rejects if `signal` aborts first. */
  async acquire(signal: AbortSignal): Promise<void> {
    await this.#slots.acquire(signal);
    this.#count++;
    this.gauge.inc();
  }

  /** A request was answered (or shed after all: the drain began meanwhile): its slot is free. */
  release(): void {
    this.#count--;
    this.gauge.dec();
    this.#slots.release();
  }

  /** The job ended: the requests still in flight are dropped with it. */
  close(): void {
    if (this.#count > 0) this.gauge.dec(this.#count);
    this.#count = 0;
  }
}
