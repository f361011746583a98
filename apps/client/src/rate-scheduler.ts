/**
 * The open-loop timetable (wrk2's idea): request i is due at start + i/rate, whatever happened
 * to the earlier ones. A sender takes the next slot and waits until it is due; when the server
 * stalls, slots fall due while all windows are full and go out late, and their latency still
 * counts from the slot's time, so the stall shows in the tail instead of hiding (coordinated
 * omission corrected).
 */
export class RateScheduler {
  readonly rate: number;
  readonly startMs: number;
  readonly endMs: number | undefined;
  #issued = 0;

  /** `endMs`: no slot at or after this time (duration mode). Times are performance.now() ms. */
  constructor(rate: number, startMs: number, endMs?: number) {
    if (!(rate > 0)) throw new RangeError('rate must be > 0');
    this.rate = rate;
    this.startMs = startMs;
    this.endMs = endMs;
  }

  /** The time the next request is due, or undefined when the timetable has ended. */
  next(): number | undefined {
    const t = this.startMs + (this.#issued * 1000) / this.rate;
    if (this.endMs !== undefined && t >= this.endMs) return undefined;
    this.#issued++;
    return t;
  }

  /** Slots handed out so far. */
  get issued(): number {
    return this.#issued;
  }
}
