import type { Socket } from 'node:net';

/**
 * After our last frame and `end()`, how long we keep discarding the peer's input before
 * destroying the socket. One second: enough for a peer on any sane network to read our last
 * frame and close; short enough that a peer that never closes holds nothing for long.
 */
export const LINGER_MS = 1000;

function discard(): void {}

/**
 * Ends our side (after `last`, if given) and lingers: the peer's input is read and dropped
 * until it closes, for at most LINGER_MS, then the socket is destroyed. Closing with unread
 * bytes in the kernel would send a reset, and a reset can destroy our last frame before the peer
 * reads it. Every caller that closes a connection politely uses this one helper: a graceful end,
 * a timeout's error frame, the ERR_BUSY refusal. Resolves once the socket is closed.
 */
export function linger(socket: Socket, last?: Buffer): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  socket.on('data', discard);
  socket.resume();
  if (last === undefined) socket.end();
  else socket.end(last);
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
