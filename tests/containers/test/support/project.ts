import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { docker, type Result, ROOT, type RunOptions, run } from './run.js';

/** A port that was free a moment ago on 127.0.0.1 (the engine publishes there next). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject()));
    });
  });
}

type Doc = { services: Record<string, Record<string, unknown>> } & Record<string, unknown>;

/**
 * The repository's docker-compose.yml under a project name of its own, with two changes made
 * here and nowhere else: the proxy is published on host ports chosen now on 127.0.0.1 (7000
 * and 9100 may be taken), and the client writes into a temporary folder instead of
 * ./samples/out. Everything else (build, images, init, health checks, depends_on, commands,
 * the prepare-output step) is the file users run. `down()` removes whatever it started.
 */
export class ComposeProject {
  readonly name = `tcpbt-${process.pid}-${randomBytes(3).toString('hex')}`;
  readonly dir = mkdtempSync(join(tmpdir(), 'tcpb-containers-'));
  readonly out = join(this.dir, 'out');
  readonly file = join(this.dir, 'docker-compose.yml');
  private constructor(
    readonly proxyPort: number,
    readonly metricsPort: number,
  ) {}

  static async create(): Promise<ComposeProject> {
    const p = new ComposeProject(await freePort(), await freePort());
    const doc = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as Doc;
    const { services } = doc;
    delete doc.name;
    const proxy = services.proxy ?? {};
    proxy.ports = [`127.0.0.1:${p.proxyPort}:7000`, `127.0.0.1:${p.metricsPort}:9100`];
    for (const svc of ['client', 'prepare-output']) {
      const s = services[svc] ?? {};
      s.volumes = (s.volumes as string[]).map((v) =>
        v.replace(/^\.\/samples\/out:/, `${p.out}:`).replace(/^\.\//, `${ROOT}/`),
      );
    }
    writeFileSync(p.file, stringify(doc));
    return p;
  }

  /** `docker compose` on this project, from the repository root (the build context). */
  compose(args: readonly string[], opts: RunOptions = {}): Promise<Result> {
    return run(
      'docker',
      ['compose', '-p', this.name, '-f', this.file, '--project-directory', ROOT, ...args],
      { timeoutMs: 300_000, ...opts },
    );
  }

  /** Like compose(), but throws with the output when it fails. */
  async ok(args: readonly string[], opts: RunOptions = {}): Promise<string> {
    const r = await this.compose(args, opts);
    if (r.code !== 0) {
      throw new Error(
        `docker compose ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`,
      );
    }
    return r.stdout;
  }

  /** A service's output, without compose's prefixes and terminal escapes (`\x1b[2K`). */
  async logs(service: string): Promise<string> {
    const out = await this.ok(['logs', '--no-log-prefix', '--no-color', service]);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are what it strips
    return out.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
  }

  /** Container names of a service (all of them, running or not), sorted. */
  async containers(service?: string): Promise<string[]> {
    const filters = ['--filter', `label=com.docker.compose.project=${this.name}`];
    if (service) filters.push('--filter', `label=com.docker.compose.service=${service}`);
    const out = await docker(['ps', '-a', ...filters, '--format', '{{.Names}}']);
    return out.split('\n').filter(Boolean).sort();
  }

  /** The proxy's /stats, through the published metrics port. */
  async stats(): Promise<ProxyStats> {
    const res = await fetch(`http://127.0.0.1:${this.metricsPort}/stats`, {
      signal: AbortSignal.timeout(5000),
    });
    if (!res.ok) throw new Error(`/stats: HTTP ${res.status}`);
    return (await res.json()) as ProxyStats;
  }

  /** Stops and removes the containers, the network and the volumes; then the temp folder. */
  async down(): Promise<void> {
    await this.compose(['down', '-v', '--remove-orphans', '-t', '20'], { timeoutMs: 180_000 });
    // The client wrote as uid 1000 into a folder prepare-output made: removable by us (root
    // or its owner).
    rmSync(this.dir, { recursive: true, force: true });
  }

  mkOut(): void {
    mkdirSync(this.out, { recursive: true });
  }
}

export interface ProxyStats {
  draining: boolean;
  connections: { active: number; total: number };
  upstreams: { address: string; upstream: string; state: string; total: number }[];
}

/** Upstream addresses the proxy would use now (resolved, not removed, state up). */
export function liveUpstreams(s: ProxyStats): string[] {
  return s.upstreams
    .filter((u) => u.state === 'up')
    .map((u) => u.address)
    .sort();
}

/** The client's JSON summary: the last line of its stdout that parses as one. */
export interface ClientSummary {
  requests: number;
  ok: number;
  failed: number;
  retries?: number;
  seconds: number;
  backends: Record<string, number>;
  errors?: Record<string, number>;
}

export function lastJson(stdout: string): ClientSummary {
  const lines = stdout.trim().split('\n').reverse();
  for (const line of lines) {
    try {
      const v = JSON.parse(line) as unknown;
      if (v && typeof v === 'object' && 'requests' in v) return v as ClientSummary;
    } catch {
      // a log line or progress output
    }
  }
  throw new Error(`no JSON summary in the client's output:\n${stdout}`);
}

/** The per-backend rows of the client's human summary (`backends` then `  NAME  n  p %`). */
export function backendsOfSummary(text: string): Record<string, number> {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim() === 'backends');
  const out: Record<string, number> = {};
  if (start === -1) return out;
  for (const line of lines.slice(start + 1)) {
    const m = /^\s+(\S+)\s+(\d+)\s+[\d.]+ %\s*$/.exec(line);
    if (!m) break;
    out[m[1] as string] = Number(m[2]);
  }
  return out;
}
