/** The backend's tests on the shared test kit: the built bin on 127.0.0.1:0, real sockets. */
import { BINS, type RunningApp, startApp } from '@tcpbalancer/test-kit';

export {
  FramePeer,
  fetchMetrics as metricsText,
  killAll,
  metricValue,
  noiseImage as noise,
  type RunningApp as Spawned,
  solidImage as solid,
} from '@tcpbalancer/test-kit';

export const BIN = BINS.backend;

/** `tcpbalancer-backend --port 0 --host 127.0.0.1 …args`, once it has logged `listening`. */
export function startBackend(
  args: readonly string[] = [],
  env: Readonly<Record<string, string>> = {},
): Promise<RunningApp> {
  return startApp('backend', ['--port', '0', '--host', '127.0.0.1', ...args], { env });
}
