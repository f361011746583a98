import type { Connection } from './connection.js';
import {
  IdleTimeoutError,
  NoUpstreamError,
  PeerError,
  QueueFullError,
  QueueTimeoutError,
  ShutdownError,
} from './errors.js';

/** Why a connection ended, as logged and as the duration histogram's label. */
export function endReason(err: unknown): string {
  if (err === undefined) return 'closed';
  if (err instanceof IdleTimeoutError) return 'idle-timeout';
  if (err instanceof ShutdownError) return 'shutdown';
  if (err instanceof QueueTimeoutError) return 'queue-timeout';
  if (err instanceof QueueFullError) return 'queue-full';
  if (err instanceof NoUpstreamError) return 'no-upstream';
  if (err instanceof PeerError)
    return err.code === 'ERR_CLIENT_SOCKET' ? 'client-error' : 'upstream-error';
  return 'error';
}

/**
 * The fields of the per-connection `connection closed` line (named in the README: its field
 * names and their order are what log pipelines parse). `where` names the listener and pool;
 * `err` is the Error object (the logger serializes it), absent when the connection simply closed.
 */
export function connectionLine(
  conn: Connection,
  reason: string,
  durationMs: number,
  err: unknown,
  where: { listener: string; pool: string } | undefined,
): Record<string, unknown> {
  const line: Record<string, unknown> = {
    client: `${conn.clientAddress}:${conn.clientPort}`,
    upstream: conn.up?.key ?? null,
    bytesIn: conn.bytesIn,
    bytesOut: conn.bytesOut,
    durationMs: Math.round(durationMs * 10) / 10,
    reason,
    attempts: conn.attempts,
  };
  if (conn.queuedMs > 0) line.queuedMs = Math.round(conn.queuedMs * 10) / 10;
  if (where !== undefined) {
    line.listener = where.listener;
    line.pool = where.pool;
  }
  if (reason !== 'closed') line.err = err;
  return line;
}
