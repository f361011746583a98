import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engine } from './support/engine.js';
import {
  type ClientSummary,
  ComposeProject,
  lastJson,
  liveUpstreams,
  type ProxyStats,
} from './support/project.js';
import { docker, exitCode, type Result, ROOT, run, sleep, waitFor } from './support/run.js';

// The servers of the compose file in operation: scaling the backends while the proxy runs,
// stopping the proxy and killing a backend under client load, and how every container ends.

/** Backend container addresses on the project network, sorted like liveUpstreams(). */
async function backendAddresses(project: ComposeProject): Promise<string[]> {
  const out: string[] = [];
  for (const name of await project.containers('backend')) {
    const ip = (
      await docker([
        'inspect',
        '-f',
        '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}} {{.State.Running}}',
        name,
      ])
    ).trim();
    const [addr, running] = ip.split(' ');
    if (running === 'true' && addr) out.push(`${addr}:7100`);
  }
  return out.sort();
}

/** Waits until the proxy balances over exactly the running backend containers. */
async function proxyFollows(project: ComposeProject, count: number): Promise<string[]> {
  return waitFor(
    `/stats to list the ${count} running backends as up`,
    async () => {
      const want = await backendAddresses(project);
      const live = liveUpstreams(await project.stats());
      return want.length === count && JSON.stringify(live) === JSON.stringify(want)
        ? live
        : undefined;
    },
    90_000,
    1000,
  );
}

/**
 * The client image in the project's network (`docker compose run`), as a load generator
 * through `proxy:7000`; resolves with its exit status and JSON summary.
 */
function clientLoad(
  project: ComposeProject,
  args: readonly string[],
  input = { host: '', container: '/samples/in' },
): { done: Promise<Result & { summary?: ClientSummary }> } {
  const argv = [
    'compose',
    '-p',
    project.name,
    '-f',
    project.file,
    '--project-directory',
    ROOT,
    'run',
    '-T',
    '--rm',
    '--no-deps',
    ...(input.host ? ['--volume', `${input.host}:${input.container}:ro`] : []),
    'client',
    '--proxy',
    'proxy:7000',
    '--input',
    input.container,
    '--dry-run',
    '--json',
    ...args,
  ];
  const done = run('docker', argv, { timeoutMs: 180_000 }).then((r) => {
    let summary: ClientSummary | undefined;
    try {
      summary = lastJson(r.stdout);
    } catch {
      summary = undefined;
    }
    return { ...r, summary };
  });
  return { done };
}

async function startedAt(container: string): Promise<string> {
  return (
    await docker(['inspect', '-f', '{{.State.StartedAt}} {{.RestartCount}}', container])
  ).trim();
}

describe.skipIf(engine.missing !== '')('the servers in operation', () => {
  let project: ComposeProject;
  let proxy: string;
  const killed: string[] = [];
  beforeAll(async () => {
    project = await ComposeProject.create();
    project.mkOut();
    await project.ok(['up', '--build', '--detach', '--wait', 'backend', 'proxy'], {
      timeoutMs: 900_000,
    });
    [proxy = ''] = await project.containers('proxy');
  });
  afterAll(async () => {
    await project?.down();
  });

  it('runs every service under an init (compose `init: true`)', async () => {
    for (const name of await project.containers()) {
      expect(await docker(['inspect', '-f', '{{.HostConfig.Init}}', name]), name).toMatch(/true/);
    }
  });

  it('follows `--scale backend=5` and back to 2 in /stats, without a proxy restart', async () => {
    const before = await startedAt(proxy);
    expect(await proxyFollows(project, 3)).toHaveLength(3);
    // Up and down, then back to the compose file's three for the tests below.
    for (const n of [5, 2, 3]) {
      const scale = ['--scale', `backend=${n}`];
      await project.ok(['up', '--detach', '--wait', '--no-recreate', ...scale, 'backend']);
      expect(await proxyFollows(project, n)).toHaveLength(n);
    }
    expect(await startedAt(proxy), 'same start, no restarts').toBe(before);
  });

  it('loses nothing when a backend is killed (SIGKILL) under load', async () => {
    const load = clientLoad(project, ['--conns', '4', '--duration', '8s', '--retries', '5']);
    await waitFor('the client to connect', async () =>
      (await project.stats()).connections.active >= 4 ? true : undefined,
    );
    await sleep(1500);
    const [victim = ''] = await project.containers('backend');
    await docker(['kill', victim]);
    killed.push(victim);
    const r = await load.done;
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const s = r.summary;
    expect(s?.requests).toBeGreaterThan(20);
    expect(s?.failed, JSON.stringify(s)).toBe(0);
    expect(s?.ok).toBe(s?.requests);
    process.stdout.write(
      `backend killed under load: ${s?.ok}/${s?.requests} ok, ${s?.retries ?? 0} retries\n`,
    );
    // The proxy stops using it: the two others are what it balances over now.
    expect(await proxyFollows(project, 2)).toHaveLength(2);
  });

  it('drains on `docker stop` of the proxy under load: every request answered, exit 0', async () => {
    // One round (`--times 1`) over many small files: the client opens its connections once,
    // before the stop, and sends everything over them. The proxy refuses new connections but
    // carries the open ones to their end (--drain-timeout 8 s in compose). (Several rounds
    // would open new connections per round, which a stopped proxy rightly refuses.)
    const dir = mkdtempSync(join(tmpdir(), 'tcpb-load-'));
    const N = 1200;
    try {
      for (let i = 0; i < N; i++) {
        const src = i % 2 ? 'samples/in/waves.webp' : 'samples/in/nested/tiny-icon.png';
        copyFileSync(join(ROOT, src), join(dir, `${i}${extname(src)}`));
      }
      chmodSync(dir, 0o755);
      const load = clientLoad(project, ['--conns', '4', '--window', '2', '--times', '1'], {
        host: dir,
        container: '/load',
      });
      await waitFor('the client to connect', async () =>
        (await project.stats()).connections.active >= 4 ? true : undefined,
      );
      const stats: ProxyStats = await project.stats();
      const t0 = Date.now();
      await docker(['stop', '-t', '15', proxy], { timeoutMs: 60_000 });
      const stopMs = Date.now() - t0;
      const r = await load.done;
      const s = r.summary;
      process.stdout.write(
        `proxy stopped under load in ${stopMs} ms (${stats.connections.active} open connections, ${stats.connections.total} so far): client ${s?.ok}/${s?.requests} ok in ${s?.seconds} s\n`,
      );
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(s?.requests).toBe(N);
      expect(s?.failed, JSON.stringify(s)).toBe(0);
      expect(s?.ok).toBe(N);
      expect([0, 143]).toContain(await exitCode(proxy));
      expect(stopMs, 'ended by itself, not by the SIGKILL after 15 s').toBeLessThan(14_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops every container with 0 or 143, never 137 (SIGKILL after the grace period)', async () => {
    await project.ok(['stop', '-t', '20'], { timeoutMs: 120_000 });
    const names = (await project.containers()).filter((n) => !killed.includes(n));
    expect(names.length).toBeGreaterThanOrEqual(3);
    for (const name of names) expect([0, 143], name).toContain(await exitCode(name));
    for (const name of killed) expect(await exitCode(name), `${name} was docker kill-ed`).toBe(137);
  });

  it.each(['proxy', 'backend'])(
    'a SIGTERM in the first moments of a %s container ends it at once (143 or 0, not 137)',
    async (service) => {
      // Node installs its SIGTERM handler only after loading its modules (~0.3 s); before
      // that, as PID 1 without an init, the signal would be dropped and `docker stop` would
      // wait for its timeout and kill.
      const name = `${project.name}-early-${service}`;
      await project.ok(['run', '--detach', '--no-deps', '--name', name, service]);
      const t0 = Date.now();
      await docker(['stop', '-t', '10', name], { timeoutMs: 60_000 });
      const ms = Date.now() - t0;
      const code = await exitCode(name);
      await docker(['rm', '-f', name]);
      expect([0, 143], `exit ${code}`).toContain(code);
      expect(ms).toBeLessThan(8000);
    },
  );
});
