/** IPC between the cluster primary and its workers (plain JSON over the cluster channel). */
export type ToWorker = { type: 'tcpb:shutdown' } | { type: 'tcpb:stats'; id: number };

export type ToPrimary =
  | { type: 'tcpb:listening'; port: number }
  | { type: 'tcpb:stats-reply'; id: number; stats: unknown; healthy: boolean };

export function isMessage<T extends { type: string }>(m: unknown): m is T {
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof (m as { type?: unknown }).type === 'string' &&
    (m as { type: string }).type.startsWith('tcpb:')
  );
}
