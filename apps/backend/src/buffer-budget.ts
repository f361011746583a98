import { Notifier } from '@tcpbalancer/job';

/**
 * Process-wide count of the bytes held on behalf of peers: input received and not yet resized
 * (frames in progress, request payloads) and answers not yet written. Per connection these are
 * already bounded (--max-inflight, ~1 unsent answer), but many connections multiply that; over
 * --max-buffered-bytes no socket is read until the count drops (backpressure reaches every peer
 * through the kernel), so the sum stays near the limit.
 */
export class BufferBudget {
  #used = 0;
  /** Notified (all waiters) when the count drops under the limit. */
  readonly below = new Notifier();

  constructor(readonly limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 1)
      throw new RangeError(`limit must be ≥ 1, got ${limit}`);
  }

  get used(): number {
    return this.#used;
  }

  /** At or over the limit: no socket should be read. */
  get over(): boolean {
    return this.#used >= this.limit;
  }

  add(bytes: number): void {
    this.#used += bytes;
  }

  sub(bytes: number): void {
    this.#used -= bytes;
    if (this.#used < this.limit && this.below.waiting > 0) this.below.notifyAll();
  }

  /** Resolves once the count is under the limit; rejects if `signal` aborts first. */
  async whenBelow(signal: AbortSignal): Promise<void> {
    while (this.over) await this.below.wait(signal);
  }
}
