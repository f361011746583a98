/**
 * The connection's per-frame cost, where resizing does not hide it: pings (answered by the read
 * task with a pong) pipelined over a few connections, frames/s through the backend. With
 * BENCH_BASELINE_BIN (another build's dist/main.js, e.g. an older commit's) both builds run in
 * alternating rounds and the ratio is printed (≥ 1: this build is faster).
 *
 * Env: BENCH_CONNS (4), BENCH_FRAMES (frames per connection per round, 50000), BENCH_WINDOW
 * (pings in flight per connection, 256), BENCH_ROUNDS (3), BENCH_BIN (this build).
 */
import { once } from 'node:events';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { encodeFrameToBuffer, FrameDecoder, pingFrame } from '@tcpbalancer/protocol';
import { cpuSecondsSync, type RunningApp, startApp } from '@tcpbalancer/test-kit';

const num = (name: string, dflt: number) => Number(process.env[name] || dflt);
const CONNS = num('BENCH_CONNS', 4);
const FRAMES = num('BENCH_FRAMES', 50_000);
const WINDOW = num('BENCH_WINDOW', 256);
const ROUNDS = num('BENCH_ROUNDS', 3);
const bin = process.env.BENCH_BIN || fileURLToPath(new URL('../dist/main.js', import.meta.url));
const baselineBin = process.env.BENCH_BASELINE_BIN;

/** `main` on 127.0.0.1:0 through the kit: waits for `listening`, killed whatever ends this process. */
function start(main: string): Promise<RunningApp> {
  return startApp({ name: 'backend', main }, ['--port', '0', '--host', '127.0.0.1']);
}

/** CPU (user + system) the process has used, ms (100 Hz ticks): less noisy than a rate here. */
function cpuMs(pid: number): number {
  return cpuSecondsSync(pid) * 1000;
}

/** Seconds for CONNS × FRAMES pings, WINDOW in flight per connection. */
async function round(port: number): Promise<number> {
  const ping = encodeFrameToBuffer(pingFrame(1));
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONNS }, async () => {
      const s = net.connect({ port, host: '127.0.0.1', noDelay: true });
      await once(s, 'connect');
      const decoder = new FrameDecoder();
      let sent = 0;
      let answered = 0;
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        const send = () => {
          const n = Math.min(WINDOW - (sent - answered), FRAMES - sent);
          if (n > 0) {
            s.write(Buffer.concat(Array.from({ length: n }, () => ping)));
            sent += n;
          }
        };
        s.on('data', (chunk) => {
          answered += decoder.push(chunk).length;
          if (answered >= FRAMES) resolve();
          else send();
        });
        send();
      });
      s.destroy();
    }),
  );
  return (performance.now() - t0) / 1000;
}

const builds = [{ name: 'this build', main: bin }];
if (baselineBin) builds.push({ name: 'baseline', main: baselineBin });
const servers = await Promise.all(builds.map((b) => start(b.main)));
const total = CONNS * FRAMES;
const seconds = builds.map(() => 0);
const cpu = builds.map(() => 0);
for (const s of servers) await round(s.port); // warm-up
for (let r = 1; r <= ROUNDS; r++) {
  const line: string[] = [];
  for (const [i, s] of servers.entries()) {
    const c0 = cpuMs(s.pid);
    const t = await round(s.port);
    const c = cpuMs(s.pid) - c0;
    seconds[i]! += t;
    cpu[i]! += c;
    line.push(
      `${builds[i]!.name} ${Math.round(total / t)} frames/s, ${((c / total) * 1000).toFixed(2)} µs CPU/frame`,
    );
  }
  console.log(`round ${r}: ${line.join('; ')}`);
}
const rates = seconds.map((t) => (total * ROUNDS) / t);
const perFrame = cpu.map((c) => (c / (total * ROUNDS)) * 1000);
console.log(
  builds
    .map(
      (b, i) =>
        `${b.name}: ${Math.round(rates[i]!)} frames/s, ${perFrame[i]!.toFixed(2)} µs CPU/frame`,
    )
    .join('; '),
);
if (builds.length > 1) {
  console.log(
    `ratio (this/baseline): rate ${(rates[0]! / rates[1]!).toFixed(3)} (≥ 1 faster), CPU per frame ${(perFrame[0]! / perFrame[1]!).toFixed(3)} (≤ 1 cheaper)`,
  );
}
for (const s of servers) await s.stop();
process.exit(0);
