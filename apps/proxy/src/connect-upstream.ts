import { connect, type Socket } from 'node:net';
import { UpstreamConnectError } from './errors.js';
import type { Upstream } from './upstream.js';

/**
 * Where a connect attempt leaves its cancel function while it is pending. Cheaper than a
 * listener on an AbortSignal (an EventTarget): the connection's finalizer calls it directly.
 */
export interface CancelSlot {
  cancel: ((reason: unknown) => void) | undefined;
}

/**
 * Opens a TCP connection to `up`, settled by the first of: connected, socket error, `timeoutMs`,
 * `signal` aborting (or `slot.cancel` being called). On failure the socket is destroyed and the promise rejects with an
 * UpstreamConnectError; on success the caller owns the socket, which has no listener left: it
 * must attach its own 'error' listener in the same tick (it does, in the connect task).
 */
export function connectUpstream(
  up: Upstream,
  timeoutMs: number,
  signal?: AbortSignal,
  slot?: CancelSlot,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: up.address,
      port: up.port,
      family: up.family,
      noDelay: true,
      allowHalfOpen: true,
    });
    const fail = (err: unknown) => {
      cleanup();
      socket.destroy();
      reject(new UpstreamConnectError(`connect to ${up.key} failed`, { cause: err }));
    };
    const onTimeout = () => fail(new Error(`timed out after ${timeoutMs} ms`));
    const onAbort = () => fail(signal?.reason);
    const onConnect = () => {
      cleanup();
      resolve(socket);
    };
    const timer = setTimeout(onTimeout, timeoutMs);
    function cleanup() {
      clearTimeout(timer);
      if (slot) slot.cancel = undefined;
      socket.removeListener('error', fail);
      socket.removeListener('connect', onConnect);
      signal?.removeEventListener('abort', onAbort);
    }
    socket.on('error', fail);
    socket.once('connect', onConnect);
    if (slot) slot.cancel = fail;
    if (signal) {
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
  });
}
