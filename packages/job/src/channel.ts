import { ChannelAbortedError, ChannelClosedError } from './errors.js';
import { Queue } from './queue.js';

/** A `send` or `receive` waiting for the other side, `close()` or its signal. */
interface Waiter {
  reject(err: unknown): void;
  /** Stops listening to the signal, once the waiter has left the queue. */
  detach(): void;
}

interface Receiver<T> extends Waiter {
  resolve(value: T): void;
}

interface Sender<T> extends Waiter {
  value: T;
  resolve(): void;
}

const noop = (): void => {};

/**
 * Queues `waiter` until the other side (or `close()`) takes it out; if `signal` aborts first, it
 * leaves the queue and rejects with `ChannelAbortedError`. Without a signal, no listener at all.
 */
function enqueue<W extends Waiter>(queue: Queue<W>, waiter: W, signal?: AbortSignal): void {
  if (signal !== undefined) {
    const onAbort = (): void => {
      if (queue.remove(waiter)) waiter.reject(new ChannelAbortedError(signal.reason));
    };
    waiter.detach = () => signal.removeEventListener('abort', onAbort);
    signal.addEventListener('abort', onAbort, { once: true });
  }
  queue.push(waiter);
}

/**
 * A handoff between tasks with backpressure (go-work's "ping/pong", Go's `chan T`).
 * Unbuffered by default: `send` resolves once a receiver has taken the value. With a capacity,
 * `send` resolves as soon as the value is buffered. After `close()`, buffered values can still be
 * received; then `receive` rejects with `ChannelClosedError` and iteration ends. An aborted or
 * rejected `send` did not deliver its value, so nothing is lost silently.
 *
 * @example
 * ```ts
 * const lines = new Channel<string>(16); // up to 16 buffered, then send waits
 * // producer task
 * await lines.send(line, task.signal);
 * // consumer task: ends when the channel is closed and drained
 * for await (const line of lines.values(task.signal)) handle(line);
 * ```
 */
export class Channel<T> implements AsyncIterable<T> {
  /** How many values are buffered before `send` waits for a receiver (0: unbuffered). */
  readonly capacity: number;
  readonly #buffer = new Queue<T>();
  readonly #receivers = new Queue<Receiver<T>>();
  readonly #senders = new Queue<Sender<T>>();
  #closed = false;

  /** @param capacity buffered values before `send` waits; an integer >= 0, default 0. */
  constructor(capacity = 0) {
    if (!Number.isInteger(capacity) || capacity < 0) {
      throw new RangeError('Channel capacity must be an integer >= 0');
    }
    this.capacity = capacity;
  }

  /** `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Values buffered and not yet received. */
  get size(): number {
    return this.#buffer.length;
  }

  /**
   * Resolves once `value` is taken by a receiver (unbuffered) or buffered. Rejects with
   * `ChannelClosedError` on a closed channel, `ChannelAbortedError` if `signal` aborts first; a
   * rejected send did not deliver its value.
   */
  send(value: T, signal?: AbortSignal): Promise<void> {
    if (this.#closed) return Promise.reject(new ChannelClosedError('send on a closed channel'));
    if (signal?.aborted) return Promise.reject(new ChannelAbortedError(signal.reason));
    const receiver = this.#receivers.shift();
    if (receiver !== undefined) {
      receiver.detach();
      receiver.resolve(value);
      return Promise.resolve();
    }
    if (this.#buffer.length < this.capacity) {
      this.#buffer.push(value);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      enqueue(this.#senders, { value, resolve, reject, detach: noop }, signal);
    });
  }

  /**
   * The next value, FIFO. Rejects with `ChannelClosedError` once the channel is closed and
   * drained, `ChannelAbortedError` if `signal` aborts first (no value is taken then).
   */
  receive(signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(new ChannelAbortedError(signal.reason));
    if (this.#buffer.length > 0) {
      const value = this.#buffer.shift() as T;
      // A waiting sender's value moves into the freed slot: its send has now succeeded.
      const sender = this.#senders.shift();
      if (sender !== undefined) {
        sender.detach();
        this.#buffer.push(sender.value);
        sender.resolve();
      }
      return Promise.resolve(value);
    }
    const sender = this.#senders.shift();
    if (sender !== undefined) {
      sender.detach();
      sender.resolve();
      return Promise.resolve(sender.value);
    }
    if (this.#closed) return Promise.reject(new ChannelClosedError('receive on a closed channel'));
    return new Promise<T>((resolve, reject) => {
      enqueue(this.#receivers, { resolve, reject, detach: noop }, signal);
    });
  }

  /**
   * Closes the channel; idempotent. Buffered values stay receivable. Waiting receivers (there are
   * only some when the buffer is empty) and waiting senders (their values were never delivered)
   * reject with `ChannelClosedError`.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const receiver of this.#receivers.drain()) {
      receiver.detach();
      receiver.reject(new ChannelClosedError('channel closed while receiving'));
    }
    for (const sender of this.#senders.drain()) {
      sender.detach();
      sender.reject(new ChannelClosedError('channel closed before the value was received'));
    }
  }

  /** Iterates until the channel is closed and drained; rejects if `signal` aborts. */
  async *values(signal?: AbortSignal): AsyncGenerator<T, void, undefined> {
    for (;;) {
      let value: T;
      try {
        value = await this.receive(signal);
      } catch (err) {
        if (err instanceof ChannelClosedError) return;
        throw err;
      }
      yield value;
    }
  }

  /** `for await (const v of channel)`: `values()` without a signal. */
  [Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    return this.values();
  }
}
