/**
 * Faults while the real client resizes a corpus through the real proxy and backends:
 * a backend SIGKILLed and restarted, the proxy restarted on the same port, all backends
 * down and back, a backend that accepts and never answers. Nothing may be lost, nothing
 * duplicated, and the results must equal a fault-free run's.
 */
import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  type ClientRun,
  type Corpus,
  clientArgs,
  compareTrees,
  countFiles,
  type FakeBackend,
  freePort,
  killAll,
  listFiles,
  makeCorpus,
  type RunningApp,
  runClient,
  sleep,
  startBackend,
  startFakeBackend,
  startProxy,
  tempDir,
  waitUntil,
} from '@tcpbalancer/test-kit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const IMAGES = 200;
const PROXY_FLAGS = [
  '--health-interval',
  '200',
  '--health-rise',
  '1',
  '--health-fall',
  '1',
  '--connect-timeout',
  '1000',
];

describe('faults during a client run', () => {
  let corpus: Corpus;
  let work: string;
  let reference: string;
  let backendPorts: number[];
  const fakes: FakeBackend[] = [];
  let runNo = 0;

  beforeAll(async () => {
    corpus = await makeCorpus(IMAGES, { seed: 11 });
    work = await tempDir('faults');
    reference = path.join(work, 'reference');
    backendPorts = [await freePort(), await freePort(), await freePort()];
  });
  afterEach(async () => {
    for (const f of fakes.splice(0)) await f.close();
    await killAll();
  });
  afterAll(async () => {
    await corpus?.remove();
    if (work) await rm(work, { recursive: true, force: true });
  });

  function backends(ports = backendPorts): Promise<RunningApp[]> {
    return Promise.all(ports.map((port, i) => startBackend({ name: `b${i + 1}`, port })));
  }

  function corpusArgs(proxyPort: number, output: string, extra: readonly string[] = []): string[] {
    return [
      ...clientArgs(proxyPort, corpus.dir, output),
      '--width',
      '64',
      '--height',
      '64',
      '--conns',
      '3',
      '--window',
      '2',
      '--json',
      ...extra,
    ];
  }

  async function freshOutput(): Promise<string> {
    const dir = path.join(work, `run-${++runNo}`);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  /** Runs the client; when `atFraction` of the images are written, calls `fault`. */
  async function runWithFault(
    proxyPort: number,
    output: string,
    atFraction: number,
    fault: () => Promise<void>,
    extra: readonly string[] = [],
  ): Promise<ClientRun & { faultedAt: number }> {
    let faultedAt = -1;
    const r = await runClient(corpusArgs(proxyPort, output, extra), {
      timeoutMs: 60_000,
      onStart: async (app) => {
        const hit = await waitUntil(
          async () => app.hasExited() || (await countFiles(output)) >= IMAGES * atFraction,
          30_000,
          10,
        );
        if (hit && !app.hasExited()) {
          faultedAt = await countFiles(output);
          await fault();
        }
      },
    });
    return { ...r, faultedAt };
  }

  function expectAllOk(r: ClientRun): void {
    expect(r.code, `client exit ${r.code}; stderr tail:\n${r.stderr.slice(-1500)}`).toBe(0);
    expect(r.summary, 'a --json summary on stdout').toBeDefined();
    expect(r.summary?.ok).toBe(IMAGES);
    expect(r.summary?.failed).toBe(0);
    // exactly once: one counted answer per image, one file per image
    const answers = Object.values(r.summary?.backends ?? {}).reduce((a, b) => a + b, 0);
    expect(answers, `answers per backend ${JSON.stringify(r.summary?.backends)}`).toBe(IMAGES);
    if (typeof r.summary?.written === 'number') expect(r.summary.written).toBe(IMAGES);
  }

  it('fault-free reference run: every image resized once', async () => {
    const ports = backendPorts;
    await backends(ports);
    const proxy = await startProxy({ upstreams: ports, extra: PROXY_FLAGS });
    await mkdir(reference, { recursive: true });
    const r = await runClient(corpusArgs(proxy.port, reference), { timeoutMs: 60_000 });
    expectAllOk(r);
    const files = await listFiles(reference);
    expect(files.length).toBe(IMAGES);
    // spread over the three backends
    expect(Object.keys(r.summary?.backends ?? {}).length).toBe(3);
  });

  it('a backend SIGKILLed and restarted mid-run: every image back exactly once, equal to the reference', async () => {
    const bs = await backends();
    const proxy = await startProxy({ upstreams: backendPorts, extra: PROXY_FLAGS });
    const out = await freshOutput();
    const victim = bs[1] as RunningApp;
    const r = await runWithFault(proxy.port, out, 0.2, async () => {
      victim.signal('SIGKILL');
      await victim.exited;
      await sleep(400);
      await startBackend({ name: 'b2', port: backendPorts[1] as number });
    });
    expect(r.faultedAt, 'the kill happened while the client was running').toBeGreaterThanOrEqual(0);
    expect(r.faultedAt).toBeLessThan(IMAGES);
    expectAllOk(r);
    expect(await compareTrees(reference, out)).toEqual([]);
  });

  it('the proxy SIGKILLed and restarted on the same port mid-run: client retries carry the run through', async () => {
    await backends();
    const port = await freePort();
    const proxy = await startProxy({ upstreams: backendPorts, port, extra: PROXY_FLAGS });
    const out = await freshOutput();
    const r = await runWithFault(
      proxy.port,
      out,
      0.2,
      async () => {
        proxy.signal('SIGKILL');
        await proxy.exited;
        await sleep(300);
        await startProxy({ upstreams: backendPorts, port, extra: PROXY_FLAGS });
      },
      ['--retries', '10'],
    );
    expect(r.faultedAt).toBeGreaterThanOrEqual(0);
    expectAllOk(r);
    expect(await compareTrees(reference, out)).toEqual([]);
  });

  let allDownText = '';
  it('all backends down: the client fails fast (< 15 s) with a non-zero exit, nothing written', async () => {
    const proxy = await startProxy({ upstreams: backendPorts, extra: PROXY_FLAGS });
    const out = await freshOutput();
    const t0 = performance.now();
    const r = await runClient(corpusArgs(proxy.port, out), { timeoutMs: 16_000 });
    const ms = performance.now() - t0;
    allDownText = `${r.stderr}\n${r.stdout}`;
    expect(await listFiles(out)).toEqual([]);
    expect(typeof r.code, 'an exit status, not killed by our 16 s bound').toBe('number');
    expect(r.code, 'non-zero exit').not.toBe(0);
    expect(ms, 'fails fast').toBeLessThan(15_000);
    expect(r.summary?.ok).toBe(0);
  });

  // Was defect D1 (CHANGELOG.md 0.1.0, fixed): 200 per-image lines and no statement of the cause.
  it('all backends down: the message names the cause (no backend reachable)', () => {
    expect(allDownText, 'a message naming the cause').toMatch(
      /no backend|no upstream|unavailable|unreachable|refused/i,
    );
  });

  it('all backends down, then back: a new run succeeds without restarting the proxy', async () => {
    const proxy = await startProxy({ upstreams: backendPorts, extra: PROXY_FLAGS });
    // A short run while they are down (a few images: D1 makes a big one slow to fail).
    const few = await tempDir('few');
    for (const img of corpus.images.slice(0, 3))
      await copyFile(img.absPath, path.join(few, path.basename(img.relPath)));
    const down = await runClient(
      [
        ...clientArgs(proxy.port, few, await freshOutput()),
        '--width',
        '64',
        '--height',
        '64',
        '--json',
        '--retries',
        '1',
      ],
      { timeoutMs: 20_000 },
    );
    await rm(few, { recursive: true, force: true });
    expect(down.code, 'with every backend down the run fails').not.toBe(0);
    expect(down.summary?.ok ?? 0).toBe(0);
    // Bring them back; the proxy's health checks (200 ms, rise 1) notice within a few intervals.
    await backends();
    await sleep(1000);
    const out2 = await freshOutput();
    const r2 = await runClient(corpusArgs(proxy.port, out2), { timeoutMs: 60_000 });
    expectAllOk(r2);
    expect(await compareTrees(reference, out2)).toEqual([]);
  });

  // A black hole behind the proxy: only a timeout ends each wait — the client's per-request
  // --timeout (with no proxy idle timeout), or the proxy's --idle-timeout (the client would
  // wait 60 s) — and the other backends take the work.
  it.each([
    { who: "the client's --timeout", proxyIdle: '0', clientTimeout: '1500' },
    { who: "the proxy's --idle-timeout", proxyIdle: '1000', clientTimeout: '60000' },
  ])(
    'a backend that accepts and never answers: $who ends it, the others take the work',
    async ({ proxyIdle, clientTimeout }) => {
      const [p1, p2] = backendPorts as [number, number];
      await backends([p1, p2]);
      const hole = await startFakeBackend();
      fakes.push(hole);
      const proxy = await startProxy({
        upstreams: [p1, p2, hole.port],
        extra: [...PROXY_FLAGS, '--idle-timeout', proxyIdle],
      });
      const out = await freshOutput();
      const t0 = performance.now();
      const r = await runClient(
        corpusArgs(proxy.port, out, ['--timeout', clientTimeout, '--retries', '6']),
        { timeoutMs: 60_000 },
      );
      expect(hole.requests.length, 'the black hole was sent work').toBeGreaterThan(0);
      expectAllOk(r);
      expect(Object.keys(r.summary?.backends ?? {}).sort()).toEqual(['b1', 'b2']);
      expect(performance.now() - t0).toBeLessThan(30_000);
      expect(await compareTrees(reference, out)).toEqual([]);
    },
  );
});
