/** Test helpers: spawn the real built bin, talk the real protocol over real sockets. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  encodeFrameToBuffer,
  type Frame,
  FrameDecoder,
  FrameType,
  type ResizeRequestHeader,
} from '@tcpbalancer/protocol';
import sharp from 'sharp';

export const BIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

export interface Spawned {
  child: ChildProcess;
  port: number;
  metricsPort: number | undefined;
  logs: Array<Record<string, unknown>>;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): Promise<void>;
}

const children = new Set<ChildProcess>();

/** Kills every child still running (call in afterAll/afterEach). */
export async function killAll(): Promise<void> {
  await Promise.all(
    [...children].map(async (c) => {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGKILL');
        await once(c, 'exit').catch(() => {});
      }
      children.delete(c);
    }),
  );
}

/** Starts `node dist/main.js --port 0 --host 127.0.0.1 …args` and waits for its listening line(s). */
export async function startBackend(
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<Spawned> {
  const child = spawn(process.execPath, [BIN, '--port', '0', '--host', '127.0.0.1', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  children.add(child);
  const logs: Array<Record<string, unknown>> = [];
  let err = '';
  child.stderr!.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
  });
  const wantMetrics = args.includes('--metrics-port');
  const ready = new Promise<{ port: number; metricsPort: number | undefined }>(
    (resolve, reject) => {
      let buf = '';
      let port: number | undefined;
      let metricsPort: number | undefined;
      child.stdout!.on('data', (d) => {
        buf += d;
        let nl = buf.indexOf('\n');
        while (nl >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          nl = buf.indexOf('\n');
          try {
            const rec = JSON.parse(line) as Record<string, unknown>;
            logs.push(rec);
            if (rec.msg === 'listening') port = rec.port as number;
            if (rec.msg === 'metrics listening') metricsPort = rec.port as number;
            if (port !== undefined && (!wantMetrics || metricsPort !== undefined))
              resolve({ port, metricsPort });
          } catch {
            // not JSON (pretty logs): ignore
          }
        }
      });
      exited.then(({ code }) =>
        reject(new Error(`backend exited (${code}) before listening: ${err}`)),
      );
      setTimeout(() => reject(new Error('backend did not start within 10 s')), 10_000).unref();
    },
  );
  const { port, metricsPort } = await ready;
  return {
    child,
    port,
    metricsPort,
    logs,
    stderr: () => err,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** A protocol client: sends frames, collects answers by request id, observes the close. */
export class TestClient {
  readonly socket: net.Socket;
  readonly frames: Frame[] = [];
  readonly closed: Promise<void>;
  error: Error | undefined;
  #decoder = new FrameDecoder();
  #waiters: Array<() => void> = [];
  #nextId = 1;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('error', (e) => {
      this.error = e;
    });
    // Like any client: when the backend ends, end too (we keep allowHalfOpen to test half-close).
    socket.on('end', () => socket.end());
    socket.on('data', (chunk) => {
      try {
        this.frames.push(...this.#decoder.push(chunk));
      } catch (e) {
        this.error = e as Error;
      }
      for (const w of this.#waiters) w();
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    this.closed.then(() => {
      for (const w of this.#waiters) w();
    });
  }

  static async connect(port: number): Promise<TestClient> {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const c = new TestClient(socket);
    await once(socket, 'connect');
    return c;
  }

  get isClosed(): boolean {
    return this.socket.destroyed || this.socket.closed;
  }

  /** Sends a request; returns its id. */
  request(header: ResizeRequestHeader, payload: Buffer, id = this.#nextId++): number {
    this.socket.write(
      encodeFrameToBuffer({
        type: FrameType.Request,
        requestId: id,
        header: { ...header },
        payload,
      }),
    );
    return id;
  }

  send(bytes: Buffer | string): boolean {
    return this.socket.write(bytes);
  }

  /** Resolves once `pred` holds on the frames received (or rejects after `ms`, or on close). */
  async until(pred: (frames: Frame[]) => boolean, ms = 15_000): Promise<Frame[]> {
    const deadline = Date.now() + ms;
    while (!pred(this.frames)) {
      if (this.isClosed)
        throw new Error(`closed before the condition held (${this.frames.length} frames)`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out with ${this.frames.length} frames`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, left);
        const self = this;
        function done() {
          clearTimeout(t);
          self.#waiters = self.#waiters.filter((w) => w !== done);
          resolve();
        }
        this.#waiters.push(done);
      });
    }
    return this.frames;
  }

  /** Waits for the answer to `id`. */
  async answer(id: number, ms = 15_000): Promise<Frame> {
    await this.until((fs) => fs.some((f) => f.requestId === id), ms);
    return this.frames.find((f) => f.requestId === id)!;
  }

  async waitClosed(ms = 10_000): Promise<number> {
    const t0 = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.closed,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not closed within ${ms} ms`)), ms);
      }),
    ]).finally(() => clearTimeout(timer));
    return performance.now() - t0;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

// ── images ───────────────────────────────────────────────────────────────────────────────────

export function solid(width: number, height: number, channels: 3 | 4 = 3) {
  return sharp({
    create: {
      width,
      height,
      channels,
      background: channels === 4 ? { r: 40, g: 120, b: 200, alpha: 0.5 } : '#3a7bd5',
    },
  });
}

export function noise(width: number, height: number, channels: 3 | 4 = 3) {
  return sharp({
    create: {
      width,
      height,
      channels,
      background: '#000',
      noise: { type: 'gaussian', mean: 128, sigma: 40 },
    },
  });
}

export async function metricsText(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  return res.text();
}

/** The value of one sample line (`name{labels} value`), summed over matching lines. */
export function metricValue(text: string, name: string, labelFilter = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    if (labelFilter && !line.includes(labelFilter)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
