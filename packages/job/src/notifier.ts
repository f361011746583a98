import { onAbort } from './abort-link.js';
import { JobError, NotifierAbortedError } from './errors.js';

/** One parked `wait`: a node of the notifier's doubly linked list, so that leaving it is O(1). */
interface Waiter {
  prev: Waiter | undefined;
  next: Waiter | undefined;
  /** Still in the list: the first of notify, abort and timeout to unlink it settles it. */
  linked: boolean;
  resolve: (notified: boolean) => void;
  reject: (err: unknown) => void;
  /** Removes this waiter's callback from its signal (one shared listener per signal). */
  unsubscribe: (() => void) | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * "Park until notified", abort-aware: Go's `sync.Cond` without the lock (JavaScript runs one
 * thing at a time, so checking a condition and parking cannot race), or Effection's
 * `createSignal` as a promise. A task that has nothing to do checks its condition and, while it
 * does not hold, parks in `wait(task.signal)`; whoever changes what the condition reads calls
 * `notify()` (one waiter) or `notifyAll()` (every waiter).
 *
 * A notification nobody waits for is not remembered (like `sync.Cond.Signal`): always re-check
 * the condition after waking, in a loop. Each waiter costs O(1) to park, to wake and to abort,
 * and however many waiters share a signal, the notifier adds one `'abort'` listener to it, so
 * thousands of waiters print no `MaxListenersExceededWarning` and leave no listener behind.
 *
 * @example
 * ```ts
 * const changed = new Notifier();
 * const queue: string[] = [];
 * // consumer, in a task's run: park until there is something to take
 * while (queue.length === 0) await changed.wait(task.signal);
 * const item = queue.shift();
 * // producer
 * queue.push('work');
 * changed.notify();
 * ```
 */
export class Notifier {
  #head: Waiter | undefined;
  #tail: Waiter | undefined;
  #size = 0;

  /** How many `wait`s are parked now. */
  get waiting(): number {
    return this.#size;
  }

  /**
   * Parks until the next `notify()`/`notifyAll()` reaches this waiter, and resolves `true`.
   * With `timeoutMs`, resolves `false` if that long passes first (a nap that a notification cuts
   * short). If `signal` aborts first (or already has), rejects with a `NotifierAbortedError`
   * whose `cause` is the signal's reason; the waiter is gone either way.
   */
  wait(signal?: AbortSignal, timeoutMs?: number): Promise<boolean> {
    if (timeoutMs !== undefined && !(timeoutMs >= 0 && timeoutMs !== Number.POSITIVE_INFINITY)) {
      return Promise.reject(new JobError('wait timeoutMs must be a finite number >= 0'));
    }
    if (signal?.aborted) return Promise.reject(new NotifierAbortedError(signal.reason));
    return new Promise<boolean>((resolve, reject) => {
      const waiter: Waiter = {
        prev: this.#tail,
        next: undefined,
        linked: true,
        resolve,
        reject,
        unsubscribe: undefined,
        timer: undefined,
      };
      if (this.#tail === undefined) this.#head = waiter;
      else this.#tail.next = waiter;
      this.#tail = waiter;
      this.#size++;
      if (signal !== undefined) {
        waiter.unsubscribe = onAbort(signal, () => {
          waiter.unsubscribe = undefined; // the shared listener has already let go of it
          if (this.#leave(waiter)) reject(new NotifierAbortedError(signal.reason));
        });
      }
      if (timeoutMs !== undefined) {
        waiter.timer = setTimeout(() => {
          waiter.timer = undefined;
          if (this.#leave(waiter)) resolve(false);
        }, timeoutMs);
      }
    });
  }

  /** Wakes the longest-parked waiter, if any; returns whether there was one. */
  notify(): boolean {
    const waiter = this.#head;
    if (waiter === undefined) return false;
    this.#leave(waiter);
    waiter.resolve(true);
    return true;
  }

  /**
   * Wakes every waiter parked now (a `wait` that starts during the wake-ups is not woken by this
   * call); returns how many.
   */
  notifyAll(): number {
    let woken = 0;
    let waiter = this.#head;
    // Detach the whole list first: the waiters' own code runs later (promise callbacks), but a
    // synchronous listener of something they resolve must not see a half-emptied list.
    this.#head = undefined;
    this.#tail = undefined;
    this.#size = 0;
    while (waiter !== undefined) {
      const next = waiter.next;
      waiter.prev = undefined;
      waiter.next = undefined;
      waiter.linked = false;
      this.#release(waiter);
      waiter.resolve(true);
      woken++;
      waiter = next;
    }
    return woken;
  }

  /** Unlinks `waiter` and releases its listener and timer; false if it had already left. */
  #leave(waiter: Waiter): boolean {
    if (!waiter.linked) return false;
    waiter.linked = false;
    const { prev, next } = waiter;
    if (prev === undefined) this.#head = next;
    else prev.next = next;
    if (next === undefined) this.#tail = prev;
    else next.prev = prev;
    waiter.prev = undefined;
    waiter.next = undefined;
    this.#size--;
    this.#release(waiter);
    return true;
  }

  #release(waiter: Waiter): void {
    if (waiter.unsubscribe !== undefined) {
      waiter.unsubscribe();
      waiter.unsubscribe = undefined;
    }
    if (waiter.timer !== undefined) {
      clearTimeout(waiter.timer);
      waiter.timer = undefined;
    }
  }
}
