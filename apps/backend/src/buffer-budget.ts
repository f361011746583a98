/**
 * Process-wide count of the bytes held on behalf of peers: input received and not yet resized
 * (undecoded chunks, frames in progress, request payloads) and answers not yet written. Per
 * connection these are already bounded (--max-inflight, ~1 unsent answer), but many connections
 * multiply that; over --max-buffered-bytes no socket is read until the count drops
 * (backpressure reaches every peer through the kernel), so the sum stays near the limit.
 */
export class BufferBudget {
  #used = 0;
  readonly #waiters = new Set<() => void>();

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
    if (this.#used < this.limit && this.#waiters.size > 0) {
      const waiters = [...this.#waiters];
      this.#waiters.clear();
      for (const w of waiters) w();
    }
  }

  /** Calls `fn` once, when the count drops under the limit. Returns a canceller. */
  onBelow(fn: () => void): () => void {
    this.#waiters.add(fn);
    return () => {
      this.#waiters.delete(fn);
    };
  }
}
