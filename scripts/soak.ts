// Soak: the long load tests that do not belong in `npm test`. Three phases, one file each under
// scripts/soak/, each printing its figures and PASS/FAIL against the margins stated beside it:
//
//   hold   N concurrent connections (default 10,000) through the proxy, held open, checked live
//          (an echo through each), then closed, twice: the proxy's RSS and open fds (summed over
//          its process tree) must return to the starting level ± margin, the live heap (after a
//          forced full GC: SIGUSR2 → heap snapshot) too, and nothing may grow from cycle to cycle.
//   short  M short connections (default 200,000) through the proxy, C at a time, each one
//          connect → 16 bytes → echo → close: live heap, open fds, active handles and timers
//          (read from the proxy's /metrics, the heap after a forced full GC) must not grow.
//   rate   the client in open-loop rate mode at F (80 %) of the capacity measured just before,
//          for W consecutive windows (default 10 × 60 s) in ONE client run, each window one interval
//          of its per-interval series (--interval, --out): zero errors, p99 stable across windows.
//
//   npm run soak                          # all phases, full size (~15-20 min)
//   npm run soak -- --quick               # small sizes, ~1-2 min: to check the script itself
//   npm run soak -- --phases hold,short
//
// Sizes via env: SOAK_CONNS, SOAK_HOLD_SECONDS, SOAK_HOLD_CYCLES (2), SOAK_SHORT, SOAK_SHORT_CONCURRENCY, SOAK_WORKERS
// (proxy workers in the hold phase), SOAK_RATE_WINDOWS, SOAK_WINDOW_SECONDS, SOAK_RATE_FRACTION,
// SOAK_CAPACITY_SECONDS; SOAK_RESULTS=FILE writes every figure as JSON. The hold phase needs ~2
// descriptors per connection in the proxy and one in this process and in the echo upstream: the
// script re-executes itself under `ulimit -n <hard limit>` when the soft limit is lower, and with
// 10,000 connections the proxy runs 2 workers (the hard limit here is 20,000 per process).
//
// Needs the built apps (apps/*/dist). Exit 0 only if every phase passed.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BINS, killAll, waitForBuilt } from '@tcpbalancer/test-kit';
import { printHeaderAndExit } from './lib/usage.js';
import { soakConfig } from './soak/config.js';
import { phaseHold } from './soak/hold.js';
import { phaseRate } from './soak/rate.js';
import { phaseShort } from './soak/short.js';
import type { PhaseResult } from './soak/support.js';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    phases: { type: 'string', default: 'hold,short,rate' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (flags.help) printHeaderAndExit(import.meta.url);
const cfg = soakConfig(process.env, flags.quick === true);
const phases = String(flags.phases)
  .split(',')
  .map((s) => s.trim());

function ulimit(flag: '-n' | '-Hn'): number {
  const v = execFileSync('sh', ['-c', `ulimit ${flag}`], { encoding: 'utf8' }).trim();
  return v === 'unlimited' ? 1_048_576 : Number(v);
}

// Node cannot raise its own descriptor limit; a shell can raise the soft limit up to the hard one.
if (ulimit('-n') < Math.min(ulimit('-Hn'), cfg.conns + 1000) && !process.env.SOAK_REEXEC) {
  const hard = ulimit('-Hn');
  console.log(
    `raising the open-file soft limit ${ulimit('-n')} → ${hard} (re-executing under ulimit -n)`,
  );
  const args = [...process.execArgv, ...process.argv.slice(1)];
  const child = spawn(
    'sh',
    ['-c', `ulimit -n ${hard} && exec "$0" "$@"`, process.execPath, ...args],
    {
      stdio: 'inherit',
      env: { ...process.env, SOAK_REEXEC: '1' },
    },
  );
  const [code, sig] = (await once(child, 'exit')) as [number | null, string | null];
  process.exit(code ?? (sig ? 1 : 0));
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    void killAll().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  });
}

for (const [name, main] of Object.entries(BINS)) {
  await waitForBuilt(main, 0).catch(() => {
    console.error(`${name} is not built (${main}): run \`npx turbo run build\` first`);
    process.exit(2);
  });
}
const work = mkdtempSync(join(tmpdir(), 'tcpb-soak-'));
const logDir = join(work, 'logs');
mkdirSync(logDir);
console.log(
  `soak (${flags.quick ? 'quick' : 'full'}) node ${process.version}, fd limit ${ulimit('-n')}; child logs in ${logDir}`,
);
console.log(`config: ${JSON.stringify(cfg)}; phases: ${phases.join(',')}`);
const results: PhaseResult[] = [];
try {
  if (phases.includes('hold')) results.push(await phaseHold(cfg, logDir));
  if (phases.includes('short')) results.push(await phaseShort(cfg, logDir));
  if (phases.includes('rate')) results.push(await phaseRate(cfg, logDir, work));
} catch (err) {
  console.error(`soak aborted: ${(err as Error)?.stack ?? err}`);
  results.push({ phase: 'aborted', pass: false, figures: {}, checks: [String(err)] });
} finally {
  await killAll();
}
const ok = results.every((r) => r.pass);
console.log('\n== summary');
for (const r of results) console.log(`  ${r.pass ? 'PASS' : 'FAIL'}  ${r.phase}`);
if (process.env.SOAK_RESULTS)
  writeFileSync(process.env.SOAK_RESULTS, `${JSON.stringify({ config: cfg, results }, null, 2)}\n`);
if (ok) rmSync(work, { recursive: true, force: true });
else console.log(`child logs kept in ${logDir}`);
process.exit(ok ? 0 : 1);
