#!/usr/bin/env node
// The whole system as local processes: three backends, the proxy in front of them, the
// client over the bundled sample images; then the client's summary and a clean stop.
//
//   npm run demo                      # builds first (turbo), then runs this file
//   node scripts/demo.mjs [options]   # assumes the workspaces are built
//
// Options: --backends N (3), --width W (320), --height H (240), --input DIR (samples/in),
// --output DIR (samples/out), --timeout MS (60000), --strategy NAME (round-robin).
//
// Plain Node ESM on purpose: nothing to build, no dependency beyond the built workspaces.
// The children's pino JSON logs go to one file per process (the path is printed), so the
// terminal shows the story, not a wall of JSON. Ctrl-C (or SIGTERM) at any moment stops every
// child started so far; an exit handler SIGKILLs whatever is still alive if the demo itself
// crashes. Exit status: 0 when every process did its part and stopped cleanly, 1 otherwise,
// 130/143 when interrupted.
import { spawn } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BINS = {
  proxy: join(ROOT, 'apps/proxy/dist/main.js'),
  backend: join(ROOT, 'apps/backend/dist/main.js'),
  client: join(ROOT, 'apps/client/dist/main.js'),
};
/** How long a server may take to print its `listening` line, and a child to exit after SIGTERM. */
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

const OPTIONS = {
  backends: { type: 'string', default: '3' },
  width: { type: 'string', default: '320' },
  height: { type: 'string', default: '240' },
  input: { type: 'string', default: join(ROOT, 'samples/in') },
  output: { type: 'string', default: join(ROOT, 'samples/out') },
  timeout: { type: 'string', default: '60000' },
  strategy: { type: 'string', default: 'round-robin' },
  help: { type: 'boolean', short: 'h', default: false },
};
const USAGE =
  'usage: node scripts/demo.mjs [--backends N] [--width W] [--height H] [--input DIR] [--output DIR] [--timeout MS] [--strategy NAME]';
const opts = parseOptions();

function parseOptions() {
  try {
    return parseArgs({ options: OPTIONS }).values;
  } catch (err) {
    console.error(`demo: ${err.message}\n${USAGE}`);
    process.exit(2);
  }
}
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}
const nBackends = positiveInt('--backends', opts.backends);
const timeoutMs = positiveInt('--timeout', opts.timeout);
const inputDir = resolve(opts.input);
const outputDir = resolve(opts.output);

function positiveInt(flag, text) {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`demo: ${flag} must be a positive integer, got "${text}"`);
    process.exit(2);
  }
  return n;
}

// no-color.org: any non-empty NO_COLOR turns colours off.
const { NO_COLOR = '' } = process.env;
const color = process.stdout.isTTY && NO_COLOR === '';
const paint = (code) => (s) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
const bold = paint('1');
const dim = paint('2');
const red = paint('31');
const green = paint('32');
const say = (msg) => console.log(`${dim('demo')} ${msg}`);
const rel = (p) => {
  const r = relative(process.cwd(), p);
  return r === '' ? '.' : r.startsWith('..') ? p : r;
};

/** Every child started, alive or not; the one place the cleanup paths look. */
const children = [];
let logDir = '';
let stopping = false;

// A crash of the demo itself must not leave servers behind: 'exit' handlers run synchronously,
// so the last resort is SIGKILL to every child that has not exited yet.
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.proc.kill('SIGKILL');
});
let signalled = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (signalled) {
      // A second Ctrl-C: no more waiting; the exit handler SIGKILLs what is still alive.
      say(red(`${sig} again: killing every process now`));
      process.exit(sig === 'SIGINT' ? 130 : 143);
    }
    signalled = true;
    stopping = true;
    console.log();
    say(`${sig}: stopping every process started so far…`);
    stopAll().finally(() => {
      say(`stopped ${children.length} processes`);
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  });
}
process.on('uncaughtException', (err) => {
  console.error(red(`demo crashed: ${err?.stack ?? err}`));
  process.exit(1); // the exit handler kills the children
});

/**
 * Starts one app. Its stdout and stderr lines go to its log file; JSON lines are also offered
 * to the child's `listeners` (to find `listening`), other stdout lines (the client's human
 * summary) to `onText`.
 */
function start(name, bin, args, { onText } = {}) {
  // Once stopping, nothing new starts: stopAll() has already chosen whom to stop.
  if (stopping) throw new Error('stopping');
  const logFile = join(logDir, `${name}.log`);
  const log = createWriteStream(logFile);
  const env = { ...process.env };
  // A stray TCPB_* variable in the caller's shell would silently change what the demo runs.
  for (const key of Object.keys(env)) if (key.startsWith('TCPB_')) delete env[key];
  const proc = spawn(process.execPath, [bin, ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const child = { name, proc, logFile, exitCode: null, signal: null, listeners: [] };
  children.push(child);
  child.exited = new Promise((resolveExit) => {
    proc.on('error', (err) => {
      log.write(`spawn error: ${err.message}\n`);
      child.exitCode = -1;
      resolveExit(child);
    });
    proc.on('close', (code, signal) => {
      child.exitCode = code ?? -1;
      child.signal = signal;
      log.end();
      resolveExit(child);
    });
  });
  log.write(`$ node ${rel(bin)} ${args.join(' ')}\n`);
  createInterface({ input: proc.stdout }).on('line', (line) => {
    log.write(`${line}\n`);
    let rec;
    try {
      rec = line.startsWith('{') ? JSON.parse(line) : undefined;
    } catch {
      rec = undefined;
    }
    if (rec && typeof rec === 'object') {
      for (const l of child.listeners) l(rec);
    } else if (onText) {
      onText(line);
    }
  });
  createInterface({ input: proc.stderr }).on('line', (line) => log.write(`[stderr] ${line}\n`));
  return child;
}

/** Resolves with the port of the child's first `{"msg":"listening","port":N}` line. */
function listeningPort(child) {
  return new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${child.name} printed no "listening" line within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    child.listeners.push((rec) => {
      if (rec.msg === 'listening' && Number.isInteger(rec.port)) {
        clearTimeout(timer);
        resolvePort(rec.port);
      }
    });
    child.exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${child.name} exited (${describeExit(child)}) before listening`));
    });
  });
}

function describeExit(c) {
  return c.signal ? `signal ${c.signal}` : `status ${c.exitCode}`;
}

/** SIGTERM, then wait; SIGKILL after STOP_TIMEOUT_MS. Resolves true when it exited cleanly. */
async function stop(child) {
  if (child.exitCode === null) {
    child.proc.kill('SIGTERM');
    const timer = setTimeout(() => {
      say(red(`${child.name} did not exit ${STOP_TIMEOUT_MS} ms after SIGTERM: SIGKILL`));
      child.proc.kill('SIGKILL');
    }, STOP_TIMEOUT_MS);
    await child.exited;
    clearTimeout(timer);
  }
  return child.exitCode === 0;
}

/**
 * Stops the client and the proxy first (no new work reaches the backends), then the
 * backends together. Resolves true when every child exited with status 0.
 */
async function stopAll() {
  const front = children.filter((c) => !c.name.startsWith('backend-'));
  const back = children.filter((c) => c.name.startsWith('backend-'));
  const results = await Promise.all(front.map(stop));
  results.push(...(await Promise.all(back.map(stop))));
  return results.every(Boolean);
}

function tail(file, n = 15) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '(no log)';
  }
}

function listFiles(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(p));
    else if (entry.isFile()) out.push(p);
  }
  return out;
}

async function main() {
  const missing = Object.entries(BINS).filter(([, bin]) => !existsSync(bin));
  if (missing.length > 0) {
    console.error(
      red(
        `demo: not built: ${missing.map(([, b]) => rel(b)).join(', ')} — run \`npm run demo\` (it builds first)`,
      ),
    );
    return 1;
  }
  if (!existsSync(inputDir)) {
    console.error(
      red(`demo: no input images in ${rel(inputDir)} — run \`node samples/make-samples.mjs\``),
    );
    return 1;
  }
  mkdirSync(outputDir, { recursive: true });
  logDir = mkdtempSync(join(tmpdir(), 'tcpbalancer-demo-'));
  const started = Date.now();
  const inputs = listFiles(inputDir);
  say(
    `${bold('tcpbalancer demo')}: ${nBackends} backends, 1 proxy, 1 client over ${inputs.length} images in ${rel(inputDir)}`,
  );
  say(dim(`logs (pino JSON, one file per process): ${logDir}`));

  const backends = [];
  for (let i = 1; i <= nBackends; i++) {
    const name = `backend-${i}`;
    backends.push(
      start(name, BINS.backend, ['--name', name, '--port', '0', '--host', '127.0.0.1']),
    );
  }
  const ports = await Promise.all(backends.map(listeningPort));
  for (const [i, b] of backends.entries()) {
    say(`${b.name.padEnd(9)} listening on 127.0.0.1:${ports[i]}`);
  }

  const proxy = start('proxy', BINS.proxy, [
    '-p',
    '0',
    '--host',
    '127.0.0.1',
    '--strategy',
    opts.strategy,
    ...ports.flatMap((p) => ['-u', `127.0.0.1:${p}`]),
  ]);
  const proxyPort = await listeningPort(proxy);
  say(
    `${'proxy'.padEnd(9)} listening on 127.0.0.1:${proxyPort} (${opts.strategy}) → ${ports.length} upstreams`,
  );

  const clientArgs = [
    '--proxy',
    `127.0.0.1:${proxyPort}`,
    '--input',
    inputDir,
    '--output',
    outputDir,
    '--width',
    opts.width,
    '--height',
    opts.height,
    // One connection per backend, so that the proxy has something to balance: it balances
    // connections, not images. One request in flight on each: every connection takes its
    // first image before any takes a second, so each backend gets work (with a deeper
    // window, the first connections could take the whole small sample set).
    '--conns',
    String(nBackends),
    '--window',
    '1',
  ];
  say(`client    resizing to ${opts.width}x${opts.height} → ${rel(outputDir)}`);
  const client = start('client', BINS.client, clientArgs, {
    onText: (line) => console.log(line.trim() === '' ? '' : `  ${line}`),
  });
  await client.exited;
  if (stopping) return undefined; // interrupted: the signal handler reports and exits
  console.log();
  const clientOk = client.exitCode === 0;
  if (!clientOk) {
    say(red(`client failed (${describeExit(client)}); last lines of ${client.logFile}:`));
    console.log(tail(client.logFile));
  }
  // Only this run's results: the folder may hold earlier runs at other sizes.
  const suffix = `-${opts.width}x${opts.height}.`;
  const outputs = listFiles(outputDir).filter((f) => f.includes(suffix));
  say(`${outputs.length} of ${inputs.length} images written to ${rel(outputDir)} (*${suffix}*)`);

  stopping = true;
  const stoppedCleanly = await stopAll();
  for (const c of children) {
    if (c.exitCode !== 0 && c !== client) {
      say(red(`${c.name} exited with ${describeExit(c)}; last lines of ${c.logFile}:`));
      console.log(tail(c.logFile));
    }
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (clientOk && stoppedCleanly) {
    say(green(`done in ${seconds} s: every process stopped cleanly`));
    return 0;
  }
  say(red(`failed after ${seconds} s`));
  return 1;
}

const deadline = setTimeout(() => {
  say(red(`timed out after ${timeoutMs} ms: stopping everything`));
  stopping = true;
  stopAll().finally(() => process.exit(1));
}, timeoutMs);

main().then(
  (code) => {
    if (code === undefined) return;
    clearTimeout(deadline);
    process.exitCode = code;
  },
  async (err) => {
    clearTimeout(deadline);
    // Interrupted or timed out: that path stops everything and sets the exit status; a child
    // killed on the way is expected, not news.
    if (stopping) return;
    console.error(red(`demo: ${err.message}`));
    for (const c of children) {
      if (c.exitCode !== null && c.exitCode !== 0) {
        console.error(dim(`--- last lines of ${c.logFile}`));
        console.error(tail(c.logFile));
      }
    }
    stopping = true;
    await stopAll();
    process.exitCode = 1;
  },
);
