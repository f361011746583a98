/**
 * The app shell as the proxy's users meet it, over the real bin: a port in use, --version, the
 * per-program env names and the old ones, time units, signals, colours.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BINS, occupiedPort, sleep } from '@tcpbalancer/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { connectTo } from './helpers/clients.js';
import { startSinkServer } from './helpers/servers.js';
import { inFrontOf, killAll, runProxy, spawnProxy } from './helpers/spawn.js';

afterEach(() => killAll());

const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

describe('the shell: start-up errors', () => {
  it('a port in use is one line on stderr and exit 2, no fatal JSON line, no stack', async () => {
    const busy = await occupiedPort();
    try {
      const { port } = busy;
      const r = await runProxy(['-p', String(port), '--host', '127.0.0.1', '-u', '127.0.0.1:1']);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        `tcpbalancer-proxy: cannot listen on 127.0.0.1:${port}: the port is in use (EADDRINUSE)\n`,
      );
      expect(r.stdout).not.toMatch(/"level":60|stack/);
    } finally {
      await busy.close();
    }
  });

  it('a metrics port in use says which port', async () => {
    const busy = await occupiedPort();
    try {
      const { port } = busy;
      const r = await runProxy(inFrontOf('127.0.0.1:1', '--metrics-port', String(port)));
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`cannot listen on 127.0.0.1:${port}: the port is in use`);
    } finally {
      await busy.close();
    }
  });

  it('--version prints the name and the package version, exit 0', async () => {
    const r = await runProxy(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`tcpbalancer-proxy ${VERSION}`);
    expect(r.stderr).toBe('');
  });
});

describe('the shell: env names', () => {
  it('TCPB_PROXY_* are the documented names and are read', async () => {
    const p = await spawnProxy([], {
      TCPB_PROXY_PORT: '0',
      TCPB_PROXY_HOST: '127.0.0.1',
      TCPB_PROXY_UPSTREAM: '127.0.0.1:1',
      TCPB_PROXY_STRATEGY: 'random',
    });
    const listening = p.logs.find((l) => l.msg === 'listening');
    expect(listening).toMatchObject({ strategy: 'random', host: '127.0.0.1' });
    expect(p.stderr).toBe('');
  });

  it('an old TCPB_* name still works, with one deprecation line on stderr', async () => {
    const p = await spawnProxy(['-p', '0', '--host', '127.0.0.1'], {
      TCPB_UPSTREAM: '127.0.0.1:1',
    });
    expect(p.logs.find((l) => l.msg === 'listening')).toMatchObject({
      upstreams: ['127.0.0.1:1'],
    });
    expect(p.stderr).toBe(
      'tcpbalancer-proxy: warning: TCPB_UPSTREAM is deprecated: use TCPB_PROXY_UPSTREAM\n',
    );
  });

  it('the old TCPB_MAX_CONNS and TCPB_RETRIES still reach the proxy (deprecated)', async () => {
    const r = await runProxy(['-u', '127.0.0.1:1'], { TCPB_RETRIES: 'many' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('TCPB_RETRIES (--retries): "many" is invalid');
    const p = await spawnProxy(['-p', '0', '--host', '127.0.0.1', '-u', '127.0.0.1:1'], {
      TCPB_MAX_CONNS: '7',
    });
    expect(p.stderr).toBe(
      'tcpbalancer-proxy: warning: TCPB_MAX_CONNS is deprecated: use TCPB_PROXY_MAX_CONNS\n',
    );
  });
});

describe('the shell: times and logs', () => {
  it('time flags take units; a suspicious unit-less time is warned about', async () => {
    const p = await spawnProxy(
      inFrontOf(
        '127.0.0.1:1',
        '--drain-timeout',
        '2s',
        '--idle-timeout',
        '5m',
        '--connect-timeout',
        '5',
      ),
    );
    expect(p.stderr).toBe(
      'tcpbalancer-proxy: warning: --connect-timeout 5 means 5 ms (a plain number is milliseconds): write 5ms to keep it, 5s if you meant seconds\n',
    );
    const r = await runProxy(['-u', '127.0.0.1:1', '--drain-timeout', '8 fortnights']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tcpbalancer-proxy: option '--drain-timeout <duration>' argument/);
  });

  it('--log-pretty writes no ANSI colour into a pipe', async () => {
    const child = spawn(
      process.execPath,
      [BINS.proxy, ...inFrontOf('127.0.0.1:1', '--log-pretty')],
      {
        env: { PATH: process.env.PATH ?? '' },
      },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('listening')) child.kill('SIGTERM');
    });
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    expect(out).toMatch(/INFO.*listening/);
    expect(out).not.toContain('\u001b[');
  });
});

describe('the shell: signals', () => {
  it('a second SIGTERM cuts the drain short and still exits 0', async () => {
    const sink = await startSinkServer({ reply: () => 'x' });
    try {
      const p = await spawnProxy(inFrontOf(`127.0.0.1:${sink.port}`, '--drain-timeout', '60s'));
      const socket = await connectTo(p.port);
      socket.on('error', () => {});
      await sleep(200);
      const t0 = Date.now();
      p.signal('SIGTERM');
      await sleep(300);
      expect(p.hasExited()).toBe(false); // draining: the open connection holds it
      p.signal('SIGTERM');
      expect(await p.exited).toBe(0);
      expect(Date.now() - t0).toBeLessThan(20_000);
      const msgs = p.logs.map((l) => l.msg);
      expect(msgs).toContain('shutting down');
      expect(msgs).toContain('second signal: stopping now');
      socket.destroy();
    } finally {
      await sink.close();
    }
  });
});
