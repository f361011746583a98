/** The client's tests on the shared test kit: real processes on 127.0.0.1:0, real sockets. */
import {
  type AppRun,
  type ClientSummary,
  type Cluster,
  runApp,
  startCluster as startKitCluster,
} from '@tcpbalancer/test-kit';

export {
  type Cluster,
  clientArgs,
  type FakeBackend,
  listFiles,
  type MixedImage as TestImage,
  makeMixedDir as makeImageDir,
  startFakeBackend,
  startProxy,
} from '@tcpbalancer/test-kit';

/** The exit code (or the signal name when it was killed), stdout and stderr. */
export type CliResult = Pick<AppRun, 'code' | 'stdout' | 'stderr'>;

/** Runs the client bin to completion (bounded), env limited to what is given plus PATH. */
export async function runCli(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
  timeoutMs = 60_000,
): Promise<CliResult> {
  const r = await runApp('client', args, { env, inheritEnv: false, timeoutMs });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

/** The last line of stdout as JSON (the --json summary): a test fails if it is not. */
export function lastJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? '') as Record<string, unknown>;
}

/** `n` real backends (backend-1…n) and the real proxy in front of them, quick to notice faults. */
export function startCluster(n: number): Promise<Cluster> {
  return startKitCluster({
    backends: n,
    proxyExtra: ['--health-interval', '200', '--connect-timeout', '500'],
  });
}

/**
 * An open-loop dry run: 100 requests/s for 2 s on 4 connections. Every slot of the timetable
 * goes out, late if need be: exactly 200 requests.
 */
export const OPEN_LOOP_RUN: readonly string[] = [
  '--dry-run',
  '--duration',
  '2s',
  '--rate',
  '100',
  '--conns',
  '4',
];

/** The client's --json summary: the promised fields and the ones the client adds. */
export interface Summary extends ClientSummary {
  retries: number;
  failures: { path: string; code: string; round: number }[];
  skipped: { path: string; reason: string }[];
  errors: Record<string, number>;
  aborted?: string;
}
