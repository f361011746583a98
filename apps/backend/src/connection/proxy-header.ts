import type { Socket } from 'node:net';
import {
  type ProxyHeader,
  ProxyHeaderParser,
  ProxyProtocolError,
  TruncatedHeaderError,
} from '@tcpbalancer/proxy-protocol';
import { BACKEND_ERROR_CODES, ProxyHeaderError } from '../errors.js';

export interface ProxyHeaderResult {
  readonly header: ProxyHeader;
  /** Bytes after the header: the start of the frames. */
  readonly rest: Buffer;
}

/**
 * --proxy-protocol: reads the PROXY v1/v2 header that must open the connection. Bounded: at most
 * the parser's 1024 bytes are held (a v1 header is ≤ 107 bytes, our proxy's v2 ones ≤ 232), and
 * timed: `timeoutMs` from the accept. Anything else rejects with ProxyHeaderError and the caller
 * closes the connection. The socket is left paused, its 'data' listener removed.
 */
export function readProxyHeader(socket: Socket, timeoutMs: number): Promise<ProxyHeaderResult> {
  const parser = new ProxyHeaderParser({ accept: 'any' });
  return new Promise<ProxyHeaderResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      fail(
        new ProxyHeaderError(
          BACKEND_ERROR_CODES.proxyProtocolTimeout,
          `no PROXY protocol header within ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    timer.unref();
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.pause();
    };
    const fail = (err: unknown) => {
      cleanup();
      reject(
        err instanceof ProxyProtocolError
          ? new ProxyHeaderError(err.code, err.message, { cause: err })
          : err,
      );
    };
    function onData(chunk: Buffer): void {
      let result: ReturnType<ProxyHeaderParser['push']>;
      try {
        result = parser.push(chunk);
      } catch (err) {
        fail(err);
        return;
      }
      if (result === undefined) return;
      cleanup();
      resolve({ header: result.header, rest: result.rest });
    }
    /** 'end' or 'close' before a whole header: the parser says how much it had. */
    function onEnd(): void {
      try {
        parser.end();
      } catch (err) {
        fail(err);
        return;
      }
      fail(new TruncatedHeaderError(0));
    }
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.resume();
  });
}
