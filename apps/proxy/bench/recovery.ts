/**
 * Recovery after an outage of the only upstream (issue 14): the time from the server being back
 * to the first client served through the proxy, and how many clients failed meanwhile.
 *
 *   npm run bench:recovery -w @tcpbalancer/proxy [-- --trials 5 --outage 3000 --base /path/to/old/dist/main.js]
 *
 * Per trial: the echo backend (bench/backend.ts) runs; a client opens a new connection every
 * 20 ms (send, await the echo, close); the backend is SIGKILLed, stays away `--outage` ms, and is
 * started again on the same port. "Back" is the moment the new backend process says it listens;
 * "served" is the first client whose echo came back after that. Scenarios: the defaults (queue
 * on, checks every 2 s / 500 ms while down), checks off, and the queue off (close at once, as
 * before issue 14). With `--base`, the same defaults on an older build, as the baseline.
 * Prints a table and one JSON line; ratios are against the baseline (the last scenario).
 */

import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, median, waitForPort } from '@tcpbalancer/test-kit';
import { type Child, killChildren, proxyArgs, spawnPinned } from './lib/proc.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const args = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? undefined : args[i + 1];
};
const TRIALS = Number(arg('trials') ?? 5);
const OUTAGE = Number(arg('outage') ?? 3000);
const BASE = arg('base');
const CLIENT_EVERY_MS = 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startBackend(port: number): Promise<{ child: Child; at: number }> {
  const child = spawnPinned(1, process.execPath, [
    '--import',
    'tsx',
    join(here, 'backend.ts'),
    String(port),
  ]);
  await child.line((o) => typeof o.port === 'number');
  return { child, at: performance.now() };
}

async function startProxy(main: string, port: number, up: number, extra: string[]): Promise<Child> {
  const child = spawnPinned(0, process.execPath, [
    ...proxyArgs(main, port, up),
    '--log-level',
    'warn',
    ...extra,
  ]);
  await waitForPort(port);
  return child;
}

/** One client: resolves with the time its echo came back, or undefined when it failed. */
function client(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1', noDelay: true });
    let got = 0;
    const timer = setTimeout(() => s.destroy(), 15_000);
    s.on('error', () => {});
    s.on('connect', () => s.write('Eping'));
    s.on('data', (c: Buffer) => {
      got += c.length;
      if (got >= 4) s.end();
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve(got >= 4 ? performance.now() : undefined);
    });
  });
}

interface Trial {
  /** From the SIGKILL to the new backend listening: OUTAGE plus the backend's start. */
  outageMs: number;
  recoveryMs: number;
  failed: number;
  clients: number;
}

async function trial(main: string, extra: string[]): Promise<Trial> {
  const upPort = await freePort();
  const proxyPort = await freePort();
  let backend = await startBackend(upPort);
  const proxy = await startProxy(main, proxyPort, upPort, extra);
  const results: Promise<number | undefined>[] = [];
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      results.push(client(proxyPort));
      await sleep(CLIENT_EVERY_MS);
    }
  })();
  await sleep(300);
  const killedAt = performance.now();
  backend.child.proc.kill('SIGKILL');
  await new Promise((r) => backend.child.proc.once('exit', r));
  await sleep(OUTAGE);
  backend = await startBackend(upPort);
  const backAt = backend.at;
  // Long enough for the slowest scenario (rise 2 checks after a 2 s period) to see it back.
  await sleep(6000);
  stop = true;
  await loop;
  const done = await Promise.all(results);
  await proxy.stop();
  await backend.child.stop();
  const after = done.filter((t): t is number => t !== undefined && t >= backAt);
  return {
    outageMs: backAt - killedAt,
    recoveryMs: after.length > 0 ? Math.min(...after) - backAt : Number.NaN,
    failed: done.filter((t) => t === undefined).length,
    clients: done.length,
  };
}

async function main(): Promise<void> {
  const current = join(here, '..', 'dist', 'main.js');
  const scenarios: { name: string; main: string; extra: string[] }[] = [
    { name: 'queue on, checks 2000/500 ms (defaults)', main: current, extra: [] },
    {
      name: 'queue on, --queue-timeout 8000 (covers it)',
      main: current,
      extra: ['--queue-timeout', '8000'],
    },
    { name: 'queue on, checks off', main: current, extra: ['--health-interval', '0'] },
    { name: 'queue off (--queue-timeout 0)', main: current, extra: ['--queue-timeout', '0'] },
  ];
  if (BASE) scenarios.push({ name: 'before issue 14 (--base, defaults)', main: BASE, extra: [] });
  const rows: {
    name: string;
    outageMs: number;
    recoveryMs: number;
    failed: number;
    clients: number;
  }[] = [];
  for (const s of scenarios) {
    const trials: Trial[] = [];
    for (let i = 0; i < TRIALS; i++) trials.push(await trial(s.main, s.extra));
    rows.push({
      name: s.name,
      outageMs: Math.round(median(trials.map((t) => t.outageMs))),
      recoveryMs: Math.round(median(trials.map((t) => t.recoveryMs)) * 10) / 10,
      failed: median(trials.map((t) => t.failed)),
      clients: median(trials.map((t) => t.clients)),
    });
  }
  const baseline = rows[rows.length - 1] as (typeof rows)[number];
  console.log(
    `recovery after a ${OUTAGE} ms outage (+ the backend's start) of the only upstream; a new client every ${CLIENT_EVERY_MS} ms; median of ${TRIALS} trials`,
  );
  console.log(
    'scenario'.padEnd(44),
    'back→first served'.padStart(18),
    'failed clients'.padStart(15),
    'vs baseline'.padStart(12),
  );
  for (const r of rows) {
    console.log(
      r.name.padEnd(44),
      `outage ${r.outageMs} ms`.padStart(16),
      `${r.recoveryMs} ms`.padStart(18),
      `${r.failed}/${r.clients}`.padStart(15),
      `${(r.recoveryMs / baseline.recoveryMs).toFixed(2)}x`.padStart(12),
    );
  }
  console.log(JSON.stringify({ bench: 'recovery', outageMs: OUTAGE, trials: TRIALS, rows }));
}

process.on('exit', killChildren);
main().catch((err) => {
  console.error(err);
  killChildren();
  process.exit(1);
});
