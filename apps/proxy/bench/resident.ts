/**
 * What the proxy's resident memory at rest is made of: a fresh Node process per line, its RSS
 * (VmRSS) once it has loaded nothing, each of the two libraries the proxy's observability rests on
 * (pino for the per-connection log line, prom-client for the metrics), both, and the proxy's own
 * modules on top (dist/index.js, built by `npm run build`) — the floor under the "peak RSS ≤ 48 MiB"
 * target of issue 17. Median of ROUNDS processes per line.
 *
 *   npm run bench:resident -w @tcpbalancer/proxy [-- --rounds 5]
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from '@tcpbalancer/test-kit';
import { runBench } from './lib/proc.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const index = pathToFileURL(join(here, '../dist/index.js')).href;
const i = process.argv.indexOf('--rounds');
const ROUNDS = i === -1 ? 5 : Number(process.argv[i + 1]);

const pino = "const { default: pino } = await import('pino'); pino({}, pino.destination(1));";
const prom = "await import('prom-client');";
/** Each line: the ESM code a fresh process runs before its RSS is read. */
const lines: [string, string][] = [
  ['node, nothing loaded', ''],
  ['+ pino (a logger writing to stdout)', pino],
  ['+ prom-client', prom],
  ['+ pino + prom-client', `${pino}\n${prom}`],
  ['+ the proxy (dist/index.js, all its modules)', `await import(${JSON.stringify(index)});`],
];

/** Prints the RSS (MiB) once start-up has settled (a 300 ms pause after the imports). */
const probe = (code: string) => `${code}
await new Promise((r) => setTimeout(r, 300));
process.stdout.write(String(process.memoryUsage.rss() / 1024 / 1024));`;

async function main(): Promise<void> {
  console.log(
    `resident memory (MiB) of a fresh Node ${process.version} process, median of ${ROUNDS}:`,
  );
  let base = Number.NaN;
  for (const [label, code] of lines) {
    const mib: number[] = [];
    for (let r = 0; r < ROUNDS; r++)
      mib.push(
        Number(
          execFileSync(process.execPath, ['--input-type=module', '-e', probe(code)], {
            cwd: here,
            encoding: 'utf8',
          }),
        ),
      );
    const m = median(mib);
    const first = Number.isNaN(base);
    if (first) base = m;
    console.log(
      `  ${label.padEnd(46)} ${m.toFixed(1).padStart(6)}${first ? '' : `  (+${(m - base).toFixed(1)})`}`,
    );
  }
}

runBench(main);
