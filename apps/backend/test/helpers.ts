/** The backend's tests on the shared test kit: the built bin on 127.0.0.1:0, real sockets. */
import { BINS, fetchMetrics, metricValue, type RunningApp, startApp } from '@tcpbalancer/test-kit';
import { expect } from 'vitest';

export {
  FramePeer,
  killAll,
  noiseImage as noise,
  pngBomb,
  type RunningApp as Spawned,
  rawPrefix,
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

/** startBackend with its metrics server on an ephemeral port (`--metrics-port 0`), for scrape(). */
export function startMeteredBackend(
  args: readonly string[] = [],
  env: Readonly<Record<string, string>> = {},
): Promise<RunningApp> {
  return startBackend([...args, '--metrics-port', '0'], env);
}

/**
 * One scrape of a backend's /metrics (startMeteredBackend): `metric(name, label?)`
 * reads a sample from it (summed over the lines that include `label`); `metric.text` is the page.
 */
export interface Metrics {
  (name: string, label?: string): number;
  readonly text: string;
}

export async function scrape(app: RunningApp): Promise<Metrics> {
  const text = await fetchMetrics(app.metricsPort!);
  return Object.assign((name: string, label?: string) => metricValue(text, name, label), { text });
}

/** Scrapes every 100 ms until `done` holds, failing after `withinMs`; returns the last scrape. */
export async function scrapeUntil(
  app: RunningApp,
  done: (metric: Metrics) => boolean,
  withinMs: number,
): Promise<Metrics> {
  const t0 = performance.now();
  for (;;) {
    const metric = await scrape(app);
    if (done(metric)) return metric;
    expect(performance.now() - t0).toBeLessThan(withinMs);
    await new Promise((r) => setTimeout(r, 100));
  }
}
