import { type ChildProcess, spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeFrame, type Frame, FrameDecoder } from '@tcpbalancer/protocol';
import sharp from 'sharp';

const here = path.dirname(fileURLToPath(import.meta.url));
export const CLIENT_MAIN = path.resolve(here, '../dist/main.js');
export const BACKEND_MAIN = path.resolve(here, '../../backend/dist/main.js');
export const PROXY_MAIN = path.resolve(here, '../../proxy/dist/main.js');

/** The images of the mixed test directory: relative path → what a resize must produce. */
export interface TestImage {
  readonly rel: string;
  readonly format: 'jpeg' | 'png' | 'webp';
}

/**
 * A mixed input directory: JPEG, PNG with alpha, WebP, nested directories, same base names in
 * different directories, a text file and a fake .jpg that is not an image.
 */
export async function makeImageDir(dir: string): Promise<TestImage[]> {
  await mkdir(path.join(dir, 'nested/deeper'), { recursive: true });
  await mkdir(path.join(dir, 'other'), { recursive: true });
  const base = (w: number, h: number, alpha = false) =>
    sharp({
      create: {
        width: w,
        height: h,
        channels: alpha ? 4 : 3,
        background: alpha ? { r: 200, g: 30, b: 30, alpha: 0.5 } : { r: 20, g: 120, b: 200 },
      },
    });
  const images: TestImage[] = [
    { rel: 'a.jpg', format: 'jpeg' },
    { rel: 'b.png', format: 'png' },
    { rel: 'c.webp', format: 'webp' },
    { rel: 'nested/a.jpg', format: 'jpeg' },
    { rel: 'nested/deeper/d.png', format: 'png' },
    { rel: 'other/photo', format: 'jpeg' },
  ];
  await writeFile(path.join(dir, 'a.jpg'), await base(320, 240).jpeg().toBuffer());
  await writeFile(path.join(dir, 'b.png'), await base(200, 200, true).png().toBuffer());
  await writeFile(path.join(dir, 'c.webp'), await base(160, 90).webp().toBuffer());
  await writeFile(path.join(dir, 'nested/a.jpg'), await base(300, 300).jpeg().toBuffer());
  await writeFile(
    path.join(dir, 'nested/deeper/d.png'),
    await base(64, 128, true).png().toBuffer(),
  );
  // An image without an extension: found by its bytes.
  await writeFile(path.join(dir, 'other/photo'), await base(100, 50).jpeg().toBuffer());
  await writeFile(path.join(dir, 'readme.txt'), 'not an image\n');
  await writeFile(path.join(dir, 'nested/fake.jpg'), 'this is text pretending to be a jpeg');
  return images;
}

export interface Spawned {
  readonly child: ChildProcess;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Spawns a server bin with `--port 0` semantics and resolves with the port of its `listening`
 * line. One more try if it exits before listening (its dist being rebuilt by another workspace
 * at that very moment); a real failure fails twice.
 */
export async function spawnServer(
  main: string,
  args: string[],
  timeoutMs = 15_000,
): Promise<Spawned> {
  try {
    return await spawnServerOnce(main, args, timeoutMs);
  } catch (err) {
    if (!String(err).includes('before listening')) throw err;
    await new Promise((r) => setTimeout(r, 1000));
    return spawnServerOnce(main, args, timeoutMs);
  }
}

function spawnServerOnce(main: string, args: string[], timeoutMs: number): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    let errBuf = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `${path.basename(path.dirname(path.dirname(main)))} did not log listening: ${errBuf}${buf}`,
        ),
      );
    }, timeoutMs);
    child.stderr?.on('data', (d: Buffer) => {
      errBuf += d.toString();
    });
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      for (const line of buf.split('\n')) {
        try {
          const rec = JSON.parse(line) as { msg?: string; port?: number };
          if (rec.msg === 'listening' && typeof rec.port === 'number') {
            clearTimeout(timer);
            const port = rec.port;
            resolve({ child, port, stop: () => stopChild(child) });
            return;
          }
        } catch {}
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening: ${errBuf}`));
    });
  });
}

export function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill(signal);
  });
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the client bin to completion (bounded), env limited to what is given plus PATH. */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLIENT_MAIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`client timed out; stderr: ${stderr.slice(-2000)}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      // Let the pipes drain.
      setImmediate(() => resolve({ code, stdout, stderr }));
    });
  });
}

/** The last line of stdout as JSON (the --json summary). */
export function lastJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? '') as Record<string, unknown>;
}

export interface FakeBackend {
  readonly port: number;
  readonly requests: Frame[];
  close(): Promise<void>;
}

/**
 * A backend written in the test, speaking the real protocol: `answer` returns the frames to
 * send for each request (or nothing). For hostile answers and protocol edge cases.
 */
export async function startFakeBackend(
  answer: (req: Frame, socket: net.Socket) => Frame[] | undefined,
): Promise<FakeBackend> {
  const sockets = new Set<net.Socket>();
  const requests: Frame[] = [];
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = decoder.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const f of frames) {
        requests.push(f);
        for (const out of answer(f, socket) ?? [])
          for (const part of encodeFrame(out)) socket.write(part);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A built bin, not the skeleton's placeholder: polled for while other workspaces build. */
export async function waitForBuilt(file: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      // The skeleton's placeholder is `export {};` and a source map comment.
      if (statSync(file).size > 300) return;
    } catch {}
    if (Date.now() > end) throw new Error(`${file} is not built`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

export interface Summary {
  requests: number;
  ok: number;
  failed: number;
  seconds: number;
  rps: number;
  retries: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  bytesSent: number;
  bytesReceived: number;
  backends: Record<string, number>;
  failures: { path: string; code: string; round: number }[];
  skipped: { path: string; reason: string }[];
  errors: Record<string, number>;
  aborted?: string;
}

export async function listFiles(dir: string): Promise<string[]> {
  const all = await readdir(dir, { recursive: true, withFileTypes: true });
  return all
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

export interface Cluster {
  readonly backends: Spawned[];
  proxy: Spawned;
  /** The proxy's arguments in front of these backends, listening on `port`. */
  proxyArgs(port: number): string[];
  stop(): Promise<void>;
}

/** `n` real backends (backend-1…n) and the real proxy in front of them, on ephemeral ports. */
export async function startCluster(n: number): Promise<Cluster> {
  await waitForBuilt(BACKEND_MAIN, 30_000);
  await waitForBuilt(PROXY_MAIN, 30_000);
  const started = await Promise.allSettled(
    Array.from({ length: n }, (_, i) =>
      spawnServer(BACKEND_MAIN, [
        '--port',
        '0',
        '--host',
        '127.0.0.1',
        '--name',
        `backend-${i + 1}`,
      ]),
    ),
  );
  const backends = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.all(backends.map((b) => b.stop()));
    throw failed.reason;
  }
  const proxyArgs = (port: number) => [
    '-p',
    String(port),
    '--host',
    '127.0.0.1',
    ...backends.flatMap((b) => ['-u', `127.0.0.1:${b.port}`]),
    '--health-interval',
    '200',
    '--connect-timeout',
    '500',
  ];
  let proxy: Spawned;
  try {
    proxy = await spawnServer(PROXY_MAIN, proxyArgs(0));
  } catch (err) {
    await Promise.all(backends.map((b) => b.stop()));
    throw err;
  }
  const cluster: Cluster = {
    backends,
    proxy,
    proxyArgs,
    async stop() {
      await cluster.proxy.stop();
      await Promise.all(backends.map((b) => b.stop()));
    },
  };
  return cluster;
}
