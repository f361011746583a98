import type { ServiceConfig } from './service-config.js';

/** IPC between the cluster primary and its workers (plain JSON over the cluster channel). */
export type ToWorker =
  | { type: 'tcpb:shutdown' }
  | { type: 'tcpb:stats'; id: number }
  /** The config file's listeners and pools, read by the primary: at start, and on each reload. */
  | { type: 'tcpb:config'; id: number; config: ServiceConfig };

export type ToPrimary =
  | {
      type: 'tcpb:listening';
      port: number;
      listeners?: { name: string; host: string; port: number }[];
    }
  | { type: 'tcpb:stats-reply'; id: number; stats: unknown; healthy: boolean }
  | { type: 'tcpb:config-applied'; id: number; ok: boolean; error?: string };

export function isMessage<T extends { type: string }>(m: unknown): m is T {
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof (m as { type?: unknown }).type === 'string' &&
    (m as { type: string }).type.startsWith('tcpb:')
  );
}
