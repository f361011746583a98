/**
 * Issue 14 with real software: PostgreSQL behind the proxy goes away for 3 s while psql clients
 * keep connecting; every one of them must reach PostgreSQL once it is back (none closed by the
 * proxy). Skipped, with a message, where PostgreSQL (initdb, postgres, psql) is not installed.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from '@tcpbalancer/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { type RunningProxy, startProxy } from './helpers/proxy.js';
import { deadPort } from './helpers/servers.js';

function which(cmd: string): string | undefined {
  try {
    return (
      execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}

const bins = { initdb: which('initdb'), postgres: which('postgres'), psql: which('psql') };
const missing = Object.entries(bins)
  .filter(([, v]) => v === undefined)
  .map(([k]) => k);
/** PostgreSQL refuses to run as root: then it runs as the `postgres` user (or nobody). */
const asRoot = process.getuid?.() === 0;
const runAs = asRoot ? (which('runuser') ? ['runuser', '-u', userFor(), '--'] : undefined) : [];
function userFor(): string {
  try {
    execFileSync('id', ['postgres'], { stdio: 'ignore' });
    return 'postgres';
  } catch {
    return 'nobody';
  }
}
function uidGid(user: string): [number, number] {
  const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
  return [uid, gid];
}

let dir: string | undefined;
let server: ChildProcess | undefined;
let proxy: RunningProxy | undefined;
afterAll(async () => {
  if (dir) {
    try {
      const pid = Number(readFileSync(join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
      process.kill(pid, 'SIGQUIT'); // immediate shutdown
    } catch {
      // not running
    }
  }
  server?.kill('SIGKILL');
  await proxy?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function cmd(argv: string[]): [string, string[]] {
  const full = [...(runAs ?? []), ...argv];
  return [full[0] as string, full.slice(1)];
}

async function startPostgres(data: string, port: number): Promise<ChildProcess> {
  const [c, a] = cmd([
    bins.postgres as string,
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    data,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
    '-c',
    'max_connections=200',
  ]);
  const p = spawn(c, a, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  p.stderr?.on('data', (d) => (log += d));
  const deadline = Date.now() + 20_000;
  while (!(await psql(port)).ok) {
    if (Date.now() > deadline || p.exitCode !== null)
      throw new Error(`postgres did not start: ${log}`);
    await sleep(100);
  }
  return p;
}

/** One psql session: `select 1`; ok when it printed 1 and exited 0 ('close': output read to the end). */
function psql(port: number, timeoutS = 15): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(
      bins.psql as string,
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        '-U',
        'postgres',
        '-d',
        'postgres',
        '-tAc',
        'select 1',
      ],
      {
        env: { PATH: process.env.PATH ?? '', PGCONNECT_TIMEOUT: String(timeoutS) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('error', () => resolve({ ok: false, out }));
    p.on('close', (code, signal) =>
      resolve({
        ok: code === 0 && out.trim() === '1',
        out: out.trim() || `exit ${code ?? signal}`,
      }),
    );
  });
}

describe('PostgreSQL behind the proxy', () => {
  it('a 3 s outage: every psql session opened during it reaches the server once it is back', async (ctx) => {
    if (missing.length > 0 || runAs === undefined) {
      console.warn(
        `skipped: PostgreSQL not installed here (missing: ${missing.join(', ') || 'runuser'})`,
      );
      return ctx.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'tcpb-pg-'));
    const data = join(dir, 'data');
    if (asRoot) {
      const [uid, gid] = uidGid(userFor());
      chownSync(dir, uid, gid);
      chmodSync(dir, 0o700);
    }
    const [c, a] = cmd([
      bins.initdb as string,
      '-D',
      data,
      '-A',
      'trust',
      '-U',
      'postgres',
      '--no-sync',
    ]);
    execFileSync(c, a, { stdio: 'ignore' });
    const port = await deadPort();
    server = await startPostgres(data, port);
    proxy = await startProxy([`127.0.0.1:${port}`], { queueTimeout: 10_000, healthInterval: 2000 });
    const p = proxy;
    expect((await psql(p.port)).ok).toBe(true);

    // Fast shutdown (SIGINT to the postmaster itself: runuser may inherit an ignored SIGINT
    // from the test runner and not pass it on): clients are disconnected, the port closes.
    const stopped = new Promise((r) => server?.once('exit', r));
    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(pid, 'SIGINT');
    await stopped;
    const sessions: Promise<{ ok: boolean; out: string }>[] = [];
    const t0 = Date.now();
    while (Date.now() - t0 < 3000) {
      sessions.push(psql(p.port));
      await sleep(300);
    }
    server = await startPostgres(data, port);
    const results = await Promise.all(sessions);
    expect(results.length).toBeGreaterThanOrEqual(9);
    // Every session reached PostgreSQL: none was closed or refused by the proxy. PostgreSQL
    // accepts TCP a moment before it takes sessions and answers those with its own
    // "the database system is starting up" — a layer-7 state an L4 proxy cannot see (a
    // protocol-aware check could; see README). Those are PostgreSQL's answers, not lost clients.
    const failed = results.filter((r) => !r.ok).map((r) => r.out);
    expect(failed.filter((out) => !/the database system is starting up/.test(out))).toEqual([]);
    expect(failed.length).toBeLessThan(results.length);
    expect(p.proxy.stats().connections.refused).toBe(0);
    expect(p.proxy.stats().pools[0]?.queue.entered).toBeGreaterThanOrEqual(results.length - 1);
  }, 60_000);
});
