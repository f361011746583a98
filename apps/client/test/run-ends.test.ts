import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, type RunningApp, runApp } from '@tcpbalancer/test-kit';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastJson, runCli } from './helpers.js';

/**
 * How a run ends, with the real client spawned: a run that completed nothing fails whatever its
 * length, an unusable --output is refused at start, SIGINT/SIGTERM stop every loop, logs stay
 * off stdout.
 */
describe('how a run ends', () => {
  let work: string;
  let input: string;
  let deadPort: number;
  let silent: net.Server;
  let silentPort: number;
  const sockets = new Set<net.Socket>();
  /** `--proxy 127.0.0.1:<port> -i <the two images>`, then `args`. */
  const against = (port: number, ...args: string[]) => [
    '--proxy',
    `127.0.0.1:${port}`,
    '-i',
    input,
    ...args,
  ];

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'tcpb-ends-'));
    input = path.join(work, 'in');
    await mkdir(input);
    const jpeg = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#123' } })
      .jpeg()
      .toBuffer();
    for (const n of ['a.jpg', 'b.jpg']) await writeFile(path.join(input, n), jpeg);
    // A port nobody listens on: bound then closed.
    deadPort = await freePort();
    // A server that accepts and never answers.
    silent = net.createServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentPort = (silent.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => silent?.close(() => r()));
    if (work) await rm(work, { recursive: true, force: true });
  });

  it.each(['1s', '300ms'])(
    '--duration %s against a dead port fails with an error line',
    async (d) => {
      const r = await runCli(against(deadPort, '--duration', d, '--json'));
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^error: cannot connect to 127\.0\.0\.1:\d+: .*ECONNREFUSED/m);
      expect(lastJson(r.stdout).aborted).toMatch(/cannot connect/);
    },
  );

  it('the human table shows no rate when nothing succeeded, and logs stay off stdout', async () => {
    const r = await runCli(against(deadPort, '-o', path.join(work, 'o'), '--retries', '0'));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/images\/s\s+0\.0\n/);
    // Not one pino line on stdout: they are on stderr.
    expect(r.stdout.split('\n').filter((l) => l.startsWith('{'))).toEqual([]);
    expect(r.stderr).toContain('"msg":"starting"');
  });

  it.each(['/proc/nope', '/proc/nope/deeper', '/dev/null/x'])(
    '--output %s is a clear error at start',
    async (out) => {
      const t = performance.now();
      const r = await runCli(against(deadPort, '-o', out), {}, 20_000);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^tcpbalancer-client: --output ${out}`, 'm'));
      expect(performance.now() - t).toBeLessThan(15_000);
    },
  );

  it.each(['--out', '--report'])(
    '%s in a folder that cannot be written is a clear error at start',
    async (flag) => {
      const r = await runCli(against(deadPort, '--dry-run', flag, '/proc/nope/run.x'));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^tcpbalancer-client: ${flag} /proc/nope/run.x`, 'm'));
    },
  );

  it('--output naming a file is a clear error at start', async () => {
    const file = path.join(work, 'a-file');
    await writeFile(file, 'x');
    const r = await runCli(against(deadPort, '-o', path.join(file, 'sub')));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not a directory');
  });

  /** Spawns the client, sends `signal` once it has logged `starting`, resolves with how it ended. */
  async function stopWith(
    signal: NodeJS.Signals,
    args: string[],
  ): Promise<{ code: number | string; stdout: string; ms: number }> {
    let sentAt = 0;
    let app: RunningApp | undefined;
    const r = await runApp('client', args, {
      timeoutMs: 25_000,
      onStart: (a) => {
        app = a;
      },
      onLine: (line, stream) => {
        if (stream !== 'stderr' || sentAt !== 0 || !line.includes('"msg":"starting"')) return;
        sentAt = -1;
        // Let it get into its loop (connecting, retrying, waiting) first.
        setTimeout(() => {
          sentAt = performance.now();
          app?.proc.kill(signal);
        }, 700);
      },
    });
    if (r.code === 'SIGKILL') throw new Error(`the client ignored ${signal}`);
    return { code: r.code, stdout: r.stdout, ms: performance.now() - sentAt };
  }

  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s stops a load run waiting on a silent server',
    async (sig) => {
      const r = await stopWith(
        sig,
        against(silentPort, '--duration', '60s', '--timeout', '60s', '--json'),
      );
      expect(r.code).toBe(0);
      expect(r.ms).toBeLessThan(10_000);
      expect(lastJson(r.stdout).requests).toBe(0);
    },
  );

  it.each(['SIGINT', 'SIGTERM'] as const)('%s stops a run retrying a dead port', async (sig) => {
    const r = await stopWith(
      sig,
      against(deadPort, '-o', path.join(work, 'o2'), '--retries', '1000', '--json'),
    );
    expect(r.ms).toBeLessThan(10_000);
    expect(lastJson(r.stdout).failed).toBe(2);
  });
});
