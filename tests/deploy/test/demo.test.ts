import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './support/files.js';

// `npm run demo` end to end, minus the build (turbo has built every workspace before this
// test runs): scripts/demo.ts starts three backends, the proxy and the client over
// samples/in, and must print the summary, write every image resized, stop everything and
// exit 0. The output goes to a temporary folder instead of samples/out, so that the test
// does not touch the work tree.

const W = 320;
const H = 240;

function files(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p));
    else out.push(p);
  }
  return out;
}

const outDir = mkdtempSync(join(tmpdir(), 'tcpb-demo-test-'));
/** The demo's log folder (--logs; by default .demo-logs at the root), removed with the output. */
const logDir = join(outDir, 'logs');
afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
});

/** What the demo may have left in the system temp dir: nothing (issue 11). */
function demoTempDirs(): string[] {
  return readdirSync(tmpdir()).filter((f) => f.startsWith('tcpbalancer-demo-'));
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function runDemo(
  args: string[],
  timeoutMs: number,
  onStdout?: (soFar: string, proc: ReturnType<typeof spawn>) => void,
): Promise<Run> {
  const started = Date.now();
  const demo = ['--conditions=source', '--import', 'tsx', join(ROOT, 'scripts/demo.ts')];
  const proc = spawn(process.execPath, [...demo, '--logs', logDir, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d) => {
    stdout += d;
    onStdout?.(stdout, proc);
  });
  proc.stderr.on('data', (d) => {
    stderr += d;
  });
  // The demo has its own global timeout; this one only guards the test against a hung demo.
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => {
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

describe('npm run demo (scripts/demo.ts)', () => {
  let result: Run;

  it('runs the whole system and exits 0 in well under a minute', async () => {
    const before = demoTempDirs();
    result = await runDemo(
      ['--output', join(outDir, 'out'), '--width', String(W), '--height', String(H)],
      110_000,
    );
    expect(result.code, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`).toBe(0);
    expect(result.ms).toBeLessThan(60_000);
    expect(demoTempDirs(), 'nothing left in the system temp dir').toEqual(before);
  }, 120_000);

  it('is what `npm run demo` runs, after the build', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.demo).toMatch(
      /^turbo run build\b.*&& node --conditions=source --import tsx scripts\/demo\.ts$/,
    );
  });

  it('prints the client summary with the per-backend distribution over all three backends', () => {
    const out = result.stdout;
    expect(out).toMatch(/summary/);
    expect(out).toMatch(/\bfailed\s+0\b/);
    for (const name of ['backend-1', 'backend-2', 'backend-3']) {
      expect(out, `${name} in the summary`).toMatch(new RegExp(`^\\s*${name}\\b.*\\d`, 'm'));
    }
    expect(out).toMatch(/every process stopped cleanly/);
    expect(out, 'no wall of JSON').not.toMatch(/^\s*\{"level"/m);
  });

  it(`writes every input image, resized to ${W}x${H}, upright, into the output folder`, async () => {
    const inDir = join(ROOT, 'samples/in');
    const inputs = files(inDir).map((f) => relative(inDir, f));
    const outputs = files(join(outDir, 'out')).map((f) => relative(join(outDir, 'out'), f));
    expect(inputs.length).toBeGreaterThanOrEqual(5);
    expect(outputs).toHaveLength(inputs.length);
    for (const input of inputs) {
      const stem = input.replace(/\.[^./]+$/, '');
      const match = outputs.find((o) => o.startsWith(`${stem}-${W}x${H}.`));
      expect(match, `${input} → ${stem}-${W}x${H}.*`).toBeDefined();
      const meta = await sharp(join(outDir, 'out', match ?? '')).metadata();
      expect([meta.width, meta.height], match).toEqual([W, H]);
      // Same format as the input (the demo asks for no --format).
      const inMeta = await sharp(join(inDir, input)).metadata();
      expect(meta.format, match).toBe(inMeta.format);
    }
    // The EXIF-rotated sample is stored sideways (orientation 6). Displayed upright it is a
    // red arrow pointing up on blue, over a green ground band; cropped to 4:3 ("cover") the
    // result is blue at both sides and red at the bottom centre (the arrow's shaft). Ignoring
    // the orientation gives a sideways arrow with the green band along one side instead.
    const exif = outputs.find((o) => o.startsWith('portrait-exif-6-'));
    const { data, info } = await sharp(join(outDir, 'out', exif ?? ''))
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const px = (x: number, y: number) => {
      const o = (y * info.width + x) * info.channels;
      return [data[o] ?? 0, data[o + 1] ?? 0, data[o + 2] ?? 0] as const;
    };
    const isBlue = ([r, g, b]: readonly number[]) =>
      (b ?? 0) > (r ?? 0) + 80 && (b ?? 0) > (g ?? 0) + 30;
    const isRed = ([r, g, b]: readonly number[]) =>
      (r ?? 0) > (g ?? 0) + 80 && (r ?? 0) > (b ?? 0) + 80;
    const mid = Math.floor(info.height / 2);
    expect(isBlue(px(4, mid)), `left edge is sky, got ${px(4, mid)}`).toBe(true);
    expect(
      isBlue(px(info.width - 5, mid)),
      `right edge is sky, got ${px(info.width - 5, mid)}`,
    ).toBe(true);
    const bottom = px(Math.floor(info.width / 2), info.height - 4);
    expect(isRed(bottom), `bottom centre is the arrow's shaft, got ${bottom}`).toBe(true);
  });

  it('stops every process it started on Ctrl-C (SIGINT), exit status 130', async () => {
    const interruptedOut = mkdtempSync(join(tmpdir(), 'tcpb-demo-int-'));
    let sent = false;
    const run = await runDemo(['--output', interruptedOut], 60_000, (soFar, proc) => {
      // Once the proxy is up: three backends and the proxy are running.
      if (!sent && /proxy\s+listening/.test(soFar)) {
        sent = true;
        proc.kill('SIGINT');
      }
    });
    rmSync(interruptedOut, { recursive: true, force: true });
    expect(sent, run.stdout).toBe(true);
    expect(run.code, run.stdout + run.stderr).toBe(130);
    // Every server's pid, from the `listening` lines in the demo's log files.
    const pids = readdirSync(logDir).flatMap((f) =>
      [...readFileSync(join(logDir, f), 'utf8').matchAll(/"pid":(\d+)/g)].map((m) => Number(m[1])),
    );
    expect(new Set(pids).size).toBeGreaterThanOrEqual(4);
    for (const pid of new Set(pids)) {
      expect(() => process.kill(pid, 0), `pid ${pid} is gone`).toThrow();
    }
  }, 60_000);
});
