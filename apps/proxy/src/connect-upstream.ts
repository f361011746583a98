import { connect, type OnReadOpts, type Socket } from 'node:net';
import { UpstreamConnectError } from './errors.js';
import type { Upstream } from './upstream.js';

/**
 * Where a connect attempt leaves its cancel function while it is pending. Cheaper than a
 * listener on an AbortSignal (an EventTarget): the connection's finalizer calls it directly,
 * as a method of the slot (`slot.cancel?.(reason)`).
 */
export interface CancelSlot {
  cancel: ((reason: unknown) => void) | undefined;
}

/**
 * The attempt's socket carries its attempt under this key, so that the 'error' and 'connect'
 * listeners are shared module-level functions (`this` is the socket) and the timeout a shared
 * function given the attempt as its argument: no closures per attempt (five, and their context,
 * before — a visible share of the allocations per new connection in the profile, see README).
 */
const kAttempt = Symbol('tcpb.connectAttempt');
type Tagged = Socket & { [kAttempt]: ConnectAttempt | undefined };
type TaggedSlot = CancelSlot & { [kAttempt]?: ConnectAttempt | undefined };

/** The slot's cancel: one shared function, called as `slot.cancel(reason)` (`this` is the slot). */
function cancelAttempt(this: TaggedSlot, reason: unknown): void {
  this[kAttempt]?.fail(reason);
}

function onAttemptError(this: Socket, err: Error): void {
  (this as Tagged)[kAttempt]?.fail(err);
}
function onAttemptConnect(this: Socket): void {
  (this as Tagged)[kAttempt]?.succeed();
}
function onAttemptTimeout(attempt: ConnectAttempt): void {
  attempt.fail(new Error(`timed out after ${attempt.timeoutMs} ms`));
}

class ConnectAttempt {
  readonly #timer: NodeJS.Timeout;
  #settled = false;
  /** Only with a signal (health checks, which share one signal among attempts): a closure. */
  #onAbort: (() => void) | undefined = undefined;

  constructor(
    readonly socket: Socket,
    readonly up: Upstream,
    readonly timeoutMs: number,
    readonly signal: AbortSignal | undefined,
    readonly slot: CancelSlot | undefined,
    readonly resolve: (s: Socket) => void,
    readonly reject: (e: unknown) => void,
  ) {
    (socket as Tagged)[kAttempt] = this;
    socket.on('error', onAttemptError);
    socket.once('connect', onAttemptConnect);
    this.#timer = setTimeout(onAttemptTimeout, timeoutMs, this);
    if (slot) {
      (slot as TaggedSlot)[kAttempt] = this;
      slot.cancel = cancelAttempt;
    }
    if (signal) {
      if (signal.aborted) {
        this.fail(signal.reason);
        return;
      }
      this.#onAbort = () => this.fail(signal.reason);
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  fail(err: unknown): void {
    if (!this.#cleanup()) return;
    this.socket.destroy();
    this.reject(new UpstreamConnectError(`connect to ${this.up.key} failed`, { cause: err }));
  }

  succeed(): void {
    if (this.#cleanup()) this.resolve(this.socket);
  }

  /** Leaves the socket with no listener of ours; false when already settled. */
  #cleanup(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    clearTimeout(this.#timer);
    const { socket, slot, signal } = this;
    (socket as Tagged)[kAttempt] = undefined;
    if (slot && (slot as TaggedSlot)[kAttempt] === this) {
      (slot as TaggedSlot)[kAttempt] = undefined;
      slot.cancel = undefined;
    }
    socket.removeListener('error', onAttemptError);
    socket.removeListener('connect', onAttemptConnect);
    if (signal && this.#onAbort) signal.removeEventListener('abort', this.#onAbort);
    return true;
  }
}

/**
 * Opens a TCP connection to `up`, settled by the first of: connected, socket error, `timeoutMs`,
 * `signal` aborting (or `slot.cancel` being called). On failure the socket is destroyed
 * and the promise rejects with an UpstreamConnectError; on success the caller owns the socket,
 * which has no listener left: it must attach its own 'error' listener in the same tick (it does,
 * in the connect task).
 *
 * With `onread` (the relay's UpstreamReader) the socket reads into the reader's buffers and starts
 * paused: nothing is read before the relay is wired and resumes it.
 */
export function connectUpstream(
  up: Upstream,
  timeoutMs: number,
  signal?: AbortSignal,
  slot?: CancelSlot,
  onread?: OnReadOpts,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: up.address,
      port: up.port,
      family: up.family,
      noDelay: true,
      allowHalfOpen: true,
      onread,
    });
    if (onread !== undefined) socket.pause();
    new ConnectAttempt(socket, up, timeoutMs, signal, slot, resolve, reject);
  });
}
