import { QueueFullError, QueueTimeoutError } from './errors.js';

/** Why a held connection left the queue without an upstream (the metrics' `reason` label). */
export type QueueDropReason = 'queue-timeout' | 'queue-full' | 'draining';

export interface WaitQueueOptions {
  /** How long a connection may wait for an upstream (ms). */
  readonly timeout: number;
  /** How many connections may wait at once. */
  readonly max: number;
  /**
   * While anyone waits, called every `probeInterval` ms: try the upstreams that cannot take
   * connections now; resolve true when one took a connect (the waiters are then woken).
   */
  readonly probe?: () => Promise<boolean>;
  readonly probeInterval: number;
  /** A connection left the queue without an upstream. */
  onDrop?(reason: QueueDropReason): void;
}

/**
 * One connection's place in the queue, from its first failed pick until it is connected or gives
 * up. It stays counted (and keeps its deadline) while it retries after a wake, so the bound is
 * the number of connections held, not of pending promises.
 */
export class QueueTicket {
  readonly enteredAt = performance.now();
  #resolve: (() => void) | undefined = undefined;
  #reject: ((err: unknown) => void) | undefined = undefined;
  /** Woken while not waiting (mid-retry): the next wait returns at once. */
  #woken = false;
  #failed: unknown = undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly queue: WaitQueue,
    timeoutMs: number,
  ) {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.fail(new QueueTimeoutError(`no upstream became available within ${timeoutMs} ms`));
    }, timeoutMs);
  }

  get waiting(): boolean {
    return this.#resolve !== undefined;
  }

  /**
   * Resolves when an upstream may be usable (try again), rejects on timeout, drain or `cancel`.
   * `slot.cancel` is set while waiting, so the connection's finalizer can end the wait.
   */
  wait(slot: { cancel: ((reason: unknown) => void) | undefined }): Promise<void> {
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    if (this.#woken) {
      this.#woken = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
      slot.cancel = (reason) => {
        slot.cancel = undefined;
        this.#settle(reason);
      };
    });
  }

  /** @internal an upstream may be usable: retry. */
  wake(): void {
    const resolve = this.#resolve;
    if (resolve === undefined) {
      this.#woken = true;
      return;
    }
    this.#resolve = undefined;
    this.#reject = undefined;
    resolve();
  }

  /** @internal gives up: timeout or drain. */
  fail(err: unknown): void {
    if (this.#failed !== undefined) return;
    this.#failed = err;
    this.#settle(err);
  }

  /** Out of the queue (connected, failed, or cancelled). Idempotent. */
  leave(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.queue.remove(this);
  }

  #settle(err: unknown): void {
    const reject = this.#reject;
    this.#resolve = undefined;
    this.#reject = undefined;
    reject?.(err);
  }
}

/**
 * A pool's wait queue (HAProxy's `timeout queue` and a bounded queue): connections for which no
 * upstream can take a new connection — all down, all at their limits, or every attempt failed —
 * wait here, in arrival order, up to `timeout` ms, and are woken the moment an upstream may be
 * usable: it came up, a slot was freed, the operator enabled one, or a probe got through. Nothing
 * here runs while the queue is empty: the fast path (an upstream available) never touches it.
 */
export class WaitQueue {
  readonly #tickets: QueueTicket[] = [];
  #probeTimer: NodeJS.Timeout | undefined;
  #probing = false;
  #closed: unknown = undefined;
  /** Connections that ever entered, and that left without an upstream, by reason. */
  entered = 0;
  readonly dropped: Record<QueueDropReason, number> = {
    'queue-timeout': 0,
    'queue-full': 0,
    draining: 0,
  };

  constructor(readonly opts: WaitQueueOptions) {}

  get length(): number {
    return this.#tickets.length;
  }

  /** A place in the queue, or QueueFullError / the drain error when none is given. */
  enter(): QueueTicket {
    if (this.#closed !== undefined) {
      this.drop('draining');
      throw this.#closed;
    }
    if (this.#tickets.length >= this.opts.max) {
      this.drop('queue-full');
      throw new QueueFullError(`no upstream available and the queue is full (${this.opts.max})`);
    }
    const ticket = new QueueTicket(this, this.opts.timeout);
    this.#tickets.push(ticket);
    this.entered++;
    this.#startProbing();
    return ticket;
  }

  /** @internal */
  remove(ticket: QueueTicket): void {
    const i = this.#tickets.indexOf(ticket);
    if (i === -1) return;
    this.#tickets.splice(i, 1);
    if (this.#tickets.length === 0) this.#stopProbing();
  }

  /** Counts a connection that left without an upstream (called by the connection, which knows why). */
  drop(reason: QueueDropReason): void {
    this.dropped[reason]++;
    this.opts.onDrop?.(reason);
  }

  /** Every waiter retries: an upstream came up, was enabled or re-weighted, or a probe got through. */
  wakeAll(): void {
    for (const t of this.#tickets) t.wake();
  }

  /** One slot was freed: the longest waiter retries first. */
  wakeOne(): void {
    for (const t of this.#tickets) {
      if (t.waiting) {
        t.wake();
        return;
      }
    }
  }

  /** Drain: every waiter fails with `err` and nobody enters from now on. */
  close(err: unknown): void {
    this.#closed ??= err;
    for (const t of [...this.#tickets]) t.fail(err);
    this.#stopProbing();
  }

  #startProbing(): void {
    if (this.#probeTimer || this.opts.probe === undefined) return;
    this.#probeTimer = setInterval(() => this.#probeOnce(), this.opts.probeInterval);
    this.#probeTimer.unref();
  }

  #stopProbing(): void {
    if (this.#probeTimer) clearInterval(this.#probeTimer);
    this.#probeTimer = undefined;
  }

  #probeOnce(): void {
    const probe = this.opts.probe;
    if (this.#probing || probe === undefined) return;
    this.#probing = true;
    probe()
      .then((ok) => {
        if (ok) this.wakeAll();
      })
      .catch(() => {})
      .finally(() => {
        this.#probing = false;
      });
  }
}
