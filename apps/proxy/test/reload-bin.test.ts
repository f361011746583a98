/**
 * Hot reload through the bin: SIGHUP under load (zero failed connections, no established
 * connection dropped — both counted), an invalid file refused with one line, --watch-config,
 * and --workers (the primary re-reads and tells the workers).
 */
import { writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { RunningApp } from '@tcpbalancer/test-kit';
import { sleep, waitFor } from '@tcpbalancer/test-kit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { connectTo } from './helpers/clients.js';
import { configDir, startNamedServer, whoAnswers, writeConfig } from './helpers/config-files.js';
import { startEchoServer, type TestServer } from './helpers/servers.js';
import { killAll, spawnProxy } from './helpers/spawn.js';

afterEach(() => killAll());
const servers: TestServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});
const dir = configDir();

function doc(upstreams: string[], extra: object[] = []) {
  return {
    drainTimeout: 3000,
    listeners: [{ name: 'web', address: '127.0.0.1', port: 0, pool: 'p' }, ...extra],
    pools: [{ name: 'p', upstreams, health: { interval: 0 } }],
  };
}

/** One short connection: connect, send 64 bytes, read them back, close. Rejects on anything else. */
function shortExchange(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    connectTo(port).then((s) => {
      const payload = Buffer.alloc(64, 7);
      let got = 0;
      s.on('data', (c: Buffer) => {
        got += c.length;
        if (got === 64) s.end();
      });
      s.on('error', reject);
      s.on('close', () => (got === 64 ? resolve() : reject(new Error(`short read ${got}`))));
      s.write(payload);
    }, reject);
  });
}

/** Writes a line and waits for its echo; false if the connection failed or closed instead. */
function ping(s: Socket, text: string): Promise<boolean> {
  return new Promise((resolve) => {
    let got = '';
    const done = (ok: boolean) => {
      s.off('data', onData);
      s.off('close', onClose);
      resolve(ok);
    };
    const onData = (c: Buffer) => {
      got += c.toString();
      if (got.endsWith(text)) done(true);
    };
    const onClose = () => done(false);
    s.on('data', onData);
    s.once('close', onClose);
    s.write(text);
  });
}

const reloads = (p: RunningApp, msg: string) => p.logs.filter((l) => l.msg === msg).length;

describe('the bin: hot reload', () => {
  it('SIGHUP under load: zero failed connections, every established connection survives', async () => {
    const echoes = await Promise.all([startEchoServer(), startEchoServer(), startEchoServer()]);
    servers.push(...echoes);
    const [e1, e2, e3] = echoes.map((e) => `127.0.0.1:${e.port}`) as [string, string, string];
    const file = writeConfig(dir, 'load.yaml', doc([e1, e2]));
    const p = await spawnProxy(['--config', file]);

    // Long-lived connections, established before any reload, spread over every upstream.
    const long = await Promise.all(Array.from({ length: 12 }, () => connectTo(p.port)));
    for (const [i, s] of long.entries()) expect(await ping(s, `hello ${i}\n`)).toBe(true);

    let ok = 0;
    let failed = 0;
    let stop = false;
    const loops = Array.from({ length: 8 }, async () => {
      while (!stop) {
        await shortExchange(p.port).then(
          () => ok++,
          () => failed++,
        );
      }
    });
    // Reload six times, alternating upstream sets and weights (e1 leaves and comes back).
    const versions = [doc([`${e2}@3`, e3]), doc([e1, `${e3}@2`]), doc([e1, e2, e3])];
    for (let i = 0; i < 6; i++) {
      await sleep(250);
      writeConfig(dir, 'load.yaml', versions[i % 3]);
      p.signal('SIGHUP');
      await waitFor(
        () => reloads(p, 'config reloaded') === i + 1 || reloads(p, 'config reload refused') > 0,
        'reload',
        10_000,
      );
    }
    await sleep(250);
    stop = true;
    await Promise.all(loops);
    // Every established connection still carries bytes both ways.
    let alive = 0;
    for (const [i, s] of long.entries()) if (await ping(s, `still ${i}\n`)) alive++;
    for (const s of long) s.destroy();

    expect(reloads(p, 'config reload refused')).toBe(0);
    expect(reloads(p, 'config reloaded')).toBe(6);
    expect(ok).toBeGreaterThan(50);
    expect(failed).toBe(0);
    expect(alive).toBe(long.length);
  });

  it('an invalid new file is refused with one error line; the running config stays', async () => {
    const a = await startNamedServer('a');
    servers.push(a);
    const file = writeConfig(dir, 'invalid.yaml', doc([`127.0.0.1:${a.port}`]));
    const p = await spawnProxy(['--config', file]);
    writeFileSync(file, 'listeners:\n  - name: web\n    port: 99999\npools: []\n');
    p.signal('SIGHUP');
    await waitFor(() => reloads(p, 'config reload refused') === 1, 'refused line');
    const line = p.logs.find((l) => l.msg === 'config reload refused');
    expect(line).toMatchObject({ level: 50, trigger: 'SIGHUP', file });
    expect(String(line?.err)).toContain('listeners[0].port: must be ≤ 65535');
    expect(await whoAnswers(p.port)).toBe('a');
    expect(reloads(p, 'config reloaded')).toBe(0);
  });

  it('--watch-config reloads when the file changes: a new listener starts', async () => {
    const a = await startNamedServer('a');
    servers.push(a);
    const up = `127.0.0.1:${a.port}`;
    const file = writeConfig(dir, 'watched.yaml', doc([up]));
    const p = await spawnProxy(['--config', file, '--watch-config']);
    await sleep(100);
    writeConfig(
      dir,
      'watched.yaml',
      doc([up], [{ name: 'extra', address: '127.0.0.1', port: 0, pool: 'p' }]),
    );
    await waitFor(() => reloads(p, 'config reloaded') >= 1, 'reload on change', 10_000);
    const line = p.logs.find((l) => l.msg === 'config reloaded') as {
      trigger: string;
      bound: { name: string; port: number }[];
    };
    expect(line.trigger).toBe('watch');
    expect(line.bound[0]?.name).toBe('extra');
    expect(await whoAnswers(line.bound[0]?.port as number)).toBe('a');
  });

  it('--workers 2: the primary re-reads the file and every worker applies it', async () => {
    const [a, b] = [await startNamedServer('a'), await startNamedServer('b')];
    servers.push(a, b);
    const file = writeConfig(dir, 'workers.yaml', doc([`127.0.0.1:${a.port}`]));
    const p = await spawnProxy(['--config', file, '--workers', '2'], {}, 20_000);
    expect(await whoAnswers(p.port)).toBe('a');
    writeConfig(dir, 'workers.yaml', doc([`127.0.0.1:${b.port}`]));
    p.signal('SIGHUP');
    await waitFor(() => reloads(p, 'config reloaded') >= 3, 'primary + 2 workers reloaded', 10_000);
    const primary = p.logs.find((l) => l.msg === 'config reloaded' && l.workers === 2);
    expect(primary).toBeDefined();
    // Round-robin over the workers: several connections reach both, all on the new pool.
    for (let i = 0; i < 6; i++) expect(await whoAnswers(p.port)).toBe('b');
    p.signal('SIGTERM');
    expect(await p.exited).toBe(0);
  });
});
