import { ConfigError, ListenError } from './errors.js';

/** Node's listen() failures worth one line: the user's address or port, not a bug. */
const LISTEN_REASONS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the port is in use',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'no such address on this machine',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name does not resolve',
};

interface NodeNetError {
  code?: unknown;
  syscall?: unknown;
  address?: unknown;
  port?: unknown;
  hostname?: unknown;
}

/** The first error in `err`'s cause chain that is a listen() failure of a known kind. */
function listenFailure(err: unknown): (Error & NodeNetError) | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const n = e as Error & NodeNetError;
    const known = typeof n.code === 'string' && n.code in LISTEN_REASONS;
    if (known && (n.syscall === 'listen' || n.syscall === 'getaddrinfo' || n.syscall === 'bind')) {
      return n;
    }
  }
  return undefined;
}

/**
 * A failure at start that is the user's to fix (a bad configuration, a port in use) as a
 * ConfigError or ListenError with a one-line message; undefined for anything else (a bug: logged
 * with its stack). `cannot listen on 0.0.0.0:7000: the port is in use (EADDRINUSE)`.
 */
export function asStartupError(err: unknown): ConfigError | ListenError | undefined {
  if (err instanceof ConfigError || err instanceof ListenError) return err;
  const n = listenFailure(err);
  if (n === undefined) return undefined;
  const host = typeof n.address === 'string' ? n.address : (n.hostname as string | undefined);
  const where =
    host !== undefined && n.port !== undefined
      ? `${host.includes(':') ? `[${host}]` : host}:${n.port}`
      : (host ?? (n.port !== undefined ? `port ${n.port}` : 'the address'));
  const code = n.code as string;
  return new ListenError(`cannot listen on ${where}: ${LISTEN_REASONS[code]} (${code})`, {
    cause: err,
  });
}
