// The whole system as local processes: three backends, the proxy in front of them, the
// client over the bundled sample images; then the client's summary and a clean stop.
//
//   npm run demo                      # builds first (turbo), then runs this file
//   node --conditions=source --import tsx scripts/demo.ts [options]   # assumes a build
//
// Options: --backends N (3), --width W (320), --height H (240), --input DIR (samples/in),
// --output DIR (samples/out), --timeout MS (60000), --strategy NAME (round-robin),
// --logs DIR (.demo-logs at the repository root, emptied at each run).
//
// The children's pino JSON logs go to one file per process under --logs (the path is printed),
// so the terminal shows the story, not a wall of JSON; nothing is left in the system temp dir.
// Ctrl-C (or SIGTERM) at any moment stops every child started so far; the test kit SIGKILLs
// whatever is still alive if the demo itself crashes. Exit status: 0 when every process did its
// part and stopped cleanly, 1 otherwise, 2 on a bad option, 130/143 when interrupted.
import { createWriteStream, existsSync, mkdirSync, rmSync, type WriteStream } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  type AppName,
  BINS,
  killAll,
  listFiles,
  REPO_ROOT,
  type RunningApp,
  startApp,
} from '@tcpbalancer/test-kit';
import { bold, dim, green, red, rel as relTo } from './lib/terminal.js';

/** How long a server may take to print its `listening` line, and a child to exit after SIGTERM. */
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

const USAGE =
  'usage: npm run demo -- [--backends N] [--width W] [--height H] [--input DIR] [--output DIR] [--timeout MS] [--strategy NAME] [--logs DIR]';

interface Options {
  readonly backends: number;
  readonly width: string;
  readonly height: string;
  readonly input: string;
  readonly output: string;
  readonly logs: string;
  readonly timeoutMs: number;
  readonly strategy: string;
}

function fail(message: string): never {
  console.error(`demo: ${message}\n${USAGE}`);
  process.exit(2);
}

function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) fail(`${flag} must be a positive integer, got "${text}"`);
  return n;
}

function parseOptions(): Options {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      options: {
        backends: { type: 'string', default: '3' },
        width: { type: 'string', default: '320' },
        height: { type: 'string', default: '240' },
        input: { type: 'string', default: join(REPO_ROOT, 'samples/in') },
        output: { type: 'string', default: join(REPO_ROOT, 'samples/out') },
        logs: { type: 'string', default: join(REPO_ROOT, '.demo-logs') },
        timeout: { type: 'string', default: '60000' },
        strategy: { type: 'string', default: 'round-robin' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const s = (k: string) => String(values[k]);
  return {
    backends: positiveInt('--backends', s('backends')),
    width: s('width'),
    height: s('height'),
    input: resolve(s('input')),
    output: resolve(s('output')),
    logs: resolve(s('logs')),
    timeoutMs: positiveInt('--timeout', s('timeout')),
    strategy: s('strategy'),
  };
}

const opts = parseOptions();
const say = (msg: string) => console.log(`${dim('demo')} ${msg}`);
const rel = (p: string) => relTo(p, relative);

/** One started process and where its output goes. */
interface Child {
  readonly name: string;
  readonly app: RunningApp;
  readonly logFile: string;
  readonly log: WriteStream;
}

/** Every child started, alive or not; the one place the cleanup paths look. */
const children: Child[] = [];
let stopping = false;

function describeExit(code: number | string): string {
  return typeof code === 'string' ? `signal ${code}` : `status ${code}`;
}

/**
 * Starts one app (servers: resolves once it listens). Its stdout and stderr lines go to its log
 * file; non-JSON stdout lines (the client's human summary) go to `onText`.
 */
async function start(
  name: string,
  app: AppName,
  args: readonly string[],
  onText?: (line: string) => void,
): Promise<Child> {
  // Once stopping, nothing new starts: stopAll() has already chosen whom to stop.
  if (stopping) throw new Error('stopping');
  const logFile = join(opts.logs, `${name}.log`);
  const log = createWriteStream(logFile);
  log.write(`$ node ${rel(BINS[app])} ${args.join(' ')}\n`);
  const running = await startApp({ name, main: BINS[app] }, args, {
    waitListening: app !== 'client',
    timeoutMs: START_TIMEOUT_MS,
    onLine: (line, stream) => {
      log.write(stream === 'stderr' ? `[stderr] ${line}\n` : `${line}\n`);
      if (stream === 'stdout' && !line.startsWith('{')) onText?.(line);
    },
  });
  const child = { name, app: running, logFile, log };
  children.push(child);
  void running.exited.then(() => log.end());
  return child;
}

/** SIGTERM, then wait; SIGKILL after STOP_TIMEOUT_MS. Resolves true when it exited cleanly. */
async function stop(child: Child): Promise<boolean> {
  const timer = setTimeout(() => {
    if (!child.app.hasExited())
      say(red(`${child.name} did not exit ${STOP_TIMEOUT_MS} ms after SIGTERM: SIGKILL`));
  }, STOP_TIMEOUT_MS);
  const code = await child.app.stop(STOP_TIMEOUT_MS);
  clearTimeout(timer);
  return code === 0;
}

/** The client and the proxy first (no new work reaches the backends), then the backends. */
async function stopAll(): Promise<boolean> {
  const front = children.filter((c) => !c.name.startsWith('backend-'));
  const back = children.filter((c) => c.name.startsWith('backend-'));
  const results = await Promise.all(front.map(stop));
  results.push(...(await Promise.all(back.map(stop))));
  return results.every(Boolean);
}

function reportFailure(c: Child, code: number | string): void {
  say(red(`${c.name} exited with ${describeExit(code)}; last lines of ${rel(c.logFile)}:`));
  console.log(c.app.stdoutLines.slice(-15).join('\n'));
  if (c.app.stderr) console.log(c.app.stderr.trimEnd().split('\n').slice(-15).join('\n'));
}

function preflight(): boolean {
  const missing = Object.values(BINS).filter((bin) => !existsSync(bin));
  if (missing.length > 0) {
    const list = missing.map(rel).join(', ');
    console.error(red(`demo: not built: ${list} — run \`npm run demo\` (it builds first)`));
    return false;
  }
  if (!existsSync(opts.input)) {
    const hint = 'run `node --conditions=source --import tsx samples/make-samples.mjs`';
    console.error(red(`demo: no input images in ${rel(opts.input)} — ${hint}`));
    return false;
  }
  return true;
}

async function startServers(): Promise<number> {
  const backends = await Promise.all(
    Array.from({ length: opts.backends }, (_, i) => {
      const name = `backend-${i + 1}`;
      return start(name, 'backend', ['--name', name, '--port', '0', '--host', '127.0.0.1']);
    }),
  );
  for (const b of backends) say(`${b.name.padEnd(9)} listening on 127.0.0.1:${b.app.port}`);
  const ports = backends.map((b) => b.app.port);
  const proxy = await start('proxy', 'proxy', [
    '-p',
    '0',
    '--host',
    '127.0.0.1',
    '--strategy',
    opts.strategy,
    ...ports.flatMap((p) => ['-u', `127.0.0.1:${p}`]),
  ]);
  say(
    `${'proxy'.padEnd(9)} listening on 127.0.0.1:${proxy.app.port} (${opts.strategy}) → ${ports.length} upstreams`,
  );
  return proxy.app.port;
}

async function main(): Promise<number | undefined> {
  if (!preflight()) return 1;
  mkdirSync(opts.output, { recursive: true });
  rmSync(opts.logs, { recursive: true, force: true });
  mkdirSync(opts.logs, { recursive: true });
  const started = Date.now();
  const inputs = await listFiles(opts.input);
  say(
    `${bold('tcpbalancer demo')}: ${opts.backends} backends, 1 proxy, 1 client over ${inputs.length} images in ${rel(opts.input)}`,
  );
  say(dim(`logs (pino JSON, one file per process): ${rel(opts.logs)}`));
  const proxyPort = await startServers();
  say(`client    resizing to ${opts.width}x${opts.height} → ${rel(opts.output)}`);
  const client = await start(
    'client',
    'client',
    [
      '--proxy',
      `127.0.0.1:${proxyPort}`,
      '--input',
      opts.input,
      '--output',
      opts.output,
      '--width',
      opts.width,
      '--height',
      opts.height,
      // One connection per backend, so that the proxy has something to balance: it balances
      // connections, not images. One request in flight on each: every connection takes its
      // first image before any takes a second, so each backend gets work (with a deeper
      // window, the first connections could take the whole small sample set).
      '--conns',
      String(opts.backends),
      '--window',
      '1',
    ],
    (line) => console.log(line.trim() === '' ? '' : `  ${line}`),
  );
  const clientCode = await client.app.exited;
  if (stopping) return undefined; // interrupted: the signal handler reports and exits
  console.log();
  if (clientCode !== 0) reportFailure(client, clientCode);
  // Only this run's results: the folder may hold earlier runs at other sizes.
  const suffix = `-${opts.width}x${opts.height}.`;
  const outputs = (await listFiles(opts.output)).filter((f) => f.includes(suffix));
  say(`${outputs.length} of ${inputs.length} images written to ${rel(opts.output)} (*${suffix}*)`);
  stopping = true;
  const stoppedCleanly = await stopAll();
  for (const c of children) {
    const code = await c.app.exited;
    if (code !== 0 && c !== client) reportFailure(c, code);
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (clientCode === 0 && stoppedCleanly) {
    say(green(`done in ${seconds} s: every process stopped cleanly`));
    return 0;
  }
  say(red(`failed after ${seconds} s`));
  return 1;
}

let signalled = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    const status = sig === 'SIGINT' ? 130 : 143;
    if (signalled) {
      // A second Ctrl-C: no more waiting.
      say(red(`${sig} again: killing every process now`));
      void killAll().finally(() => process.exit(status));
      return;
    }
    signalled = true;
    stopping = true;
    console.log();
    say(`${sig}: stopping every process started so far…`);
    void stopAll()
      .then(killAll) // and any child still starting
      .finally(() => {
        say(`stopped ${children.length} processes`);
        process.exit(status);
      });
  });
}

const deadline = setTimeout(() => {
  say(red(`timed out after ${opts.timeoutMs} ms: stopping everything`));
  stopping = true;
  void stopAll()
    .then(killAll)
    .finally(() => process.exit(1));
}, opts.timeoutMs);

main().then(
  (code) => {
    if (code === undefined) return;
    clearTimeout(deadline);
    process.exitCode = code;
  },
  async (err: Error) => {
    clearTimeout(deadline);
    // Interrupted or timed out: that path stops everything and sets the exit status.
    if (stopping) return;
    console.error(red(`demo: ${err.message}`));
    stopping = true;
    await stopAll();
    await killAll();
    process.exitCode = 1;
  },
);
