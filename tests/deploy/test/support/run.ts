import { type ChildProcess, spawn } from 'node:child_process';
import { ROOT } from './files.js';

const running = new Set<ChildProcess>();

/** Kills whatever `run` left running (the kit's killAll does the same for the apps). */
export function killRuns(): void {
  for (const p of running) p.kill('SIGKILL');
  running.clear();
}

function exited(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
}

/** Runs `argv` (node …) to completion; resolves with its exit code. */
export function run(
  argv: readonly string[],
  env: Record<string, string>,
  timeoutMs = 10_000,
): Promise<number | null> {
  const [cmd = '', ...args] = argv;
  const proc = spawn(cmd === 'node' ? process.execPath : cmd, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: 'ignore',
  });
  running.add(proc);
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  return exited(proc).finally(() => {
    clearTimeout(timer);
    running.delete(proc);
  });
}
