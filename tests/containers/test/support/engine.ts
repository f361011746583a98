import { execFileSync } from 'node:child_process';

export interface Engine {
  /** Empty when a Docker engine and Compose v2 answer; else why the tests cannot run. */
  readonly missing: string;
  readonly server: string;
  readonly compose: string;
}

function ask(args: string[]): { out: string; err: string } {
  try {
    const out = execFileSync('docker', args, {
      encoding: 'utf8',
      timeout: 20_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { out: out.trim(), err: '' };
  } catch (err) {
    const e = err as { code?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT') return { out: '', err: 'no docker command on PATH' };
    return { out: '', err: (e.stderr ?? e.message).trim().split('\n')[0] ?? e.message };
  }
}

/** Asked once per test file: is there an engine, and Compose v2 to drive it? */
export function probeEngine(): Engine {
  const server = ask(['info', '--format', '{{.ServerVersion}}']);
  if (!server.out) {
    return { missing: `no Docker engine answers (${server.err})`, server: '', compose: '' };
  }
  const compose = ask(['compose', 'version', '--short']);
  if (!compose.out) {
    return {
      missing: `Docker ${server.out} answers, but Compose v2 does not (${compose.err})`,
      server: server.out,
      compose: '',
    };
  }
  return { missing: '', server: server.out, compose: compose.out };
}

export const engine = probeEngine();

/** How to get an engine on the machines of this project. */
export const HOW =
  'start one with `bash ../shared/tools/docker-here/setup.sh` (dockerd, Compose v2 and the ' +
  'node:20-bookworm-slim base image), or use any Docker engine with Compose v2';
