/**
 * The app shell as the backend's users meet it, over the real bin: a port in use, --version, the
 * listening line, the per-program env names and the old ones, time units.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { occupiedPort } from '@tcpbalancer/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, killAll, startBackend } from './helpers.js';

afterEach(() => killAll());

const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/** Runs the bin to its exit, without any TCPB_* of the caller's environment. */
function run(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    timeout: 15_000,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
}

describe('the shell (backend)', () => {
  it('a port in use is one line on stderr and exit 2, no error JSON line, no stack', async () => {
    const busy = await occupiedPort();
    try {
      const { port } = busy;
      const r = run(['--port', String(port), '--host', '127.0.0.1']);
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(
        `tcpbalancer-backend: cannot listen on 127.0.0.1:${port}: the port is in use (EADDRINUSE)\n`,
      );
      expect(r.stdout).not.toMatch(/"level":(50|60)|stack/);
    } finally {
      await busy.close();
    }
  });

  it('--version prints the name and the package version, exit 0', () => {
    const r = run(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`tcpbalancer-backend ${VERSION}\n`);
  });

  it('logs one listening line, named after the program, with the port', async () => {
    const b = await startBackend(['--name', 'b1', '--concurrency', '1']);
    const lines = b.logs.filter((l) => l.msg === 'listening');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      port: b.port,
      host: '127.0.0.1',
      backend: 'b1',
      concurrency: 1,
      name: 'tcpbalancer-backend',
    });
  });

  it('reads TCPB_BACKEND_*; an old name works with one deprecation line; times take units', async () => {
    const b = await startBackend(['--shutdown-timeout', '2s'], {
      TCPB_BACKEND_NAME: 'from-env',
      TCPB_CONCURRENCY: '1',
    });
    expect(b.logs.find((l) => l.msg === 'listening')).toMatchObject({
      backend: 'from-env',
      concurrency: 1,
    });
    expect(b.stderr).toBe(
      'tcpbalancer-backend: warning: TCPB_CONCURRENCY is deprecated: use TCPB_BACKEND_CONCURRENCY\n',
    );
    b.signal('SIGTERM');
    expect(await b.exited).toBe(0);
  });

  it('--resize-timeout below a second is refused, naming the flag', () => {
    const r = run(['--resize-timeout', '500ms']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^tcpbalancer-backend: option '--resize-timeout <duration>'/);
  });
});
