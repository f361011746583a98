/** IPC between the cluster primary and its workers (plain JSON over the cluster channel). */
import type { AdminAction, AdminOutcome } from './admin.js';
import type { AdminState } from './admin-state.js';
import type { ServiceConfig } from './service-config.js';

export type ToWorker =
  | { type: 'tcpb:shutdown' }
  | { type: 'tcpb:stats'; id: number }
  /** The config file's listeners and pools, read by the primary: at start, and on each reload. */
  | { type: 'tcpb:config'; id: number; config: ServiceConfig }
  /** The runtime API (issue 18): apply one action, or report the admin view. */
  | { type: 'tcpb:admin'; id: number; action: AdminAction }
  | { type: 'tcpb:admin-state'; id: number };

export type ToPrimary =
  | {
      type: 'tcpb:listening';
      port: number;
      listeners?: { name: string; host: string; port: number }[];
    }
  | { type: 'tcpb:stats-reply'; id: number; stats: unknown; healthy: boolean }
  /** A worker started with --config is ready for the current listeners and pools. */
  | { type: 'tcpb:config-request' }
  | { type: 'tcpb:config-applied'; id: number; ok: boolean; error?: string }
  | {
      type: 'tcpb:admin-reply';
      id: number;
      outcome?: AdminOutcome;
      error?: { code: string; message: string };
    }
  | { type: 'tcpb:admin-state-reply'; id: number; state: AdminState };

export function isMessage<T extends { type: string }>(m: unknown): m is T {
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof (m as { type?: unknown }).type === 'string' &&
    (m as { type: string }).type.startsWith('tcpb:')
  );
}
