/** The proxy bin through the shared test kit: env limited to PATH plus what a test gives. */
import { type AppRun, type RunningApp, runApp, startApp } from '@tcpbalancer/test-kit';

export { killAll } from '@tcpbalancer/test-kit';

/** Runs the built bin and waits for its `listening` line (and `metrics listening` when asked). */
export function spawnProxy(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
  timeoutMs = 10_000,
): Promise<RunningApp> {
  return startApp('proxy', args, { env, inheritEnv: false, timeoutMs });
}

/** Runs the bin to completion (for flags that make it exit). */
export function runProxy(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<AppRun> {
  return runApp('proxy', args, { env, inheritEnv: false, timeoutMs: 10_000 });
}

/** The bin's arguments for a proxy on 127.0.0.1, an ephemeral port, in front of `upstream`. */
export function inFrontOf(upstream: string, ...args: string[]): string[] {
  return ['-p', '0', '--host', '127.0.0.1', '-u', upstream, ...args];
}
