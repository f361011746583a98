/**
 * Events vs channels for the relay (see relay-variant-server.ts): keep-alive request/response
 * (64 connections, 1 KiB each way) and bulk, alternating slices, relay pinned to CPU 0, backend
 * and load generator to CPU 1. `node --import tsx bench/relay-variants.ts [--slices 4]`
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from '@tcpbalancer/test-kit';
import { cpuSeconds, runBench, spawnPinned } from './lib/proc.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const node = process.execPath;
const tsx = ['--import', 'tsx'];
const i = process.argv.indexOf('--slices');
const SLICES = i === -1 ? 4 : Number(process.argv[i + 1]);

async function main(): Promise<void> {
  execFileSync('taskset', ['-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  const backend = spawnPinned(1, node, [...tsx, join(here, 'backend.ts'), '0']);
  const { port: up } = (await backend.line((o) => 'port' in o)) as { port: number };
  const load = spawnPinned(1, node, [...tsx, join(here, 'load.ts')], { stdin: true });
  await load.line((o) => o.ready === true);
  const run = async (scenario: string, port: number, opts: object) => {
    const answer = load.line((o) => 'result' in o, 60_000);
    load.proc.stdin?.write(`${JSON.stringify({ scenario, port, opts })}\n`);
    return (await answer).result as Record<string, number>;
  };
  const variants = [];
  for (const mode of ['events', 'channel']) {
    const child = spawnPinned(0, node, [
      ...tsx,
      join(here, 'relay-variant-server.ts'),
      mode,
      '0',
      String(up),
    ]);
    const { port } = (await child.line((o) => o.msg === 'listening')) as { port: number };
    variants.push({ mode, child, port, rps: [] as number[], cpu: 0, ops: 0, mbs: [] as number[] });
  }
  try {
    for (let s = 0; s < SLICES; s++) {
      for (const v of s % 2 ? [...variants].reverse() : variants) {
        const c0 = cpuSeconds(v.child.pid);
        const r = await run('request-rate', v.port, {
          conns: 64,
          size: 1024,
          durationMs: 1500,
          warmupMs: 200,
        });
        v.cpu += cpuSeconds(v.child.pid) - c0;
        v.ops += (r.rps as number) * ((r.seconds as number) + 0.2);
        v.rps.push(r.rps as number);
        const b = await run('bulk', v.port, { durationMs: 1000, warmupMs: 300 });
        v.mbs.push(b.mbPerSec as number);
      }
    }
    console.log('relay    req/s   CPU us/req   bulk MB/s   (per slice req/s)');
    for (const v of variants) {
      console.log(
        `${v.mode.padEnd(8)} ${median(v.rps).toFixed(0).padStart(6)} ${((v.cpu / v.ops) * 1e6).toFixed(1).padStart(11)} ${median(v.mbs).toFixed(0).padStart(11)}   ${v.rps.map((r) => Math.round(r)).join(' ')}`,
      );
    }
  } finally {
    for (const v of variants) await v.child.stop();
    load.proc.stdin?.end();
    await backend.stop();
  }
}

runBench(main);
