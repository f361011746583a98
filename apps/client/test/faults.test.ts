import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { noiseImage, runApp } from '@tcpbalancer/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Cluster,
  clientArgs,
  lastJson,
  listFiles,
  runCli,
  type Summary,
  startCluster,
  startProxy,
} from './helpers.js';

describe('faults mid-run (real backends, real proxy)', () => {
  let work: string;
  let faultInput: string;
  let cluster: Cluster;
  const N = 48;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'tcpb-faults-'));
    // Images big enough that a resize takes a few ms, so that a run lasts long enough to be
    // cut in the middle.
    faultInput = path.join(work, 'in');
    await mkdir(faultInput);
    const makeImages = async () => {
      const noise = await noiseImage(900, 700).jpeg({ quality: 90 }).toBuffer();
      for (let i = 0; i < N; i++) {
        await writeFile(path.join(faultInput, `img-${String(i).padStart(2, '0')}.jpg`), noise);
      }
    };
    // The processes start while sharp makes the images: both take seconds on a loaded machine.
    // allSettled: a started cluster is kept (and stopped in afterAll) even if the images fail.
    const [made, started] = await Promise.allSettled([makeImages(), startCluster(3)]);
    if (started.status === 'fulfilled') cluster = started.value;
    if (made.status === 'rejected') throw made.reason;
    if (started.status === 'rejected') throw started.reason;
  });

  afterAll(async () => {
    await cluster?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** Runs the client over the set; `onSaved(n)` after each saved result (from its debug log). */
  async function runWithFault(
    out: string,
    retries: number,
    onSaved: (n: number) => void,
  ): Promise<{ code: number | string; stdout: string }> {
    let saved = 0;
    const r = await runApp(
      'client',
      [
        ...clientArgs(cluster.proxy.port, faultInput, out),
        '--width',
        '64',
        '--conns',
        '6',
        '--window',
        '2',
        '--retries',
        String(retries),
        '--json',
        '--log-level',
        'debug',
      ],
      {
        inheritEnv: false,
        timeoutMs: 50_000,
        onLine: (line, stream) => {
          if (stream === 'stderr' && line.includes('"msg":"saved"')) onSaved(++saved);
        },
      },
    );
    return { code: r.code, stdout: r.stdout };
  }

  function expectAllOnce(stdout: string, files: string[]): Summary {
    const s = lastJson(stdout) as unknown as Summary;
    expect(s).toMatchObject({ requests: N, ok: N, failed: 0 });
    expect(files).toEqual(
      Array.from({ length: N }, (_, i) => `img-${String(i).padStart(2, '0')}-64x50.jpg`),
    );
    return s;
  }

  it('a backend SIGKILLed mid-run: no image lost, none duplicated', async () => {
    const out = path.join(work, 'out-kill');
    let killed = false;
    const r = await runWithFault(out, 5, (n) => {
      if (!killed && n >= 6) {
        killed = true;
        cluster.backends[1]?.signal('SIGKILL');
      }
    });
    expect(killed).toBe(true);
    expect(r.code).toBe(0);
    const s = expectAllOnce(r.stdout, await listFiles(out));
    expect(s.retries).toBeGreaterThan(0);
  }, 60_000);

  it('the proxy restarted mid-run: the client rides it out', async () => {
    const out = path.join(work, 'out-restart');
    let restarted: Promise<void> | undefined;
    const r = await runWithFault(out, 10, (n) => {
      if (!restarted && n >= 6) {
        restarted = cluster.restartProxy().then(() => undefined);
      }
    });
    await restarted;
    expect(restarted).toBeDefined();
    expect(r.code).toBe(0);
    const s = expectAllOnce(r.stdout, await listFiles(out));
    expect(s.retries).toBeGreaterThan(0);
  }, 60_000);

  it('every backend down behind the proxy: fails fast and says why in one headline', async () => {
    // Nothing listens on ports 1 and 2: the proxy accepts each connection, finds no upstream
    // and closes it before any answer.
    const proxy = await startProxy({
      upstreams: ['127.0.0.1:1', '127.0.0.1:2'],
      extra: ['--health-interval', '200', '--connect-timeout', '500'],
    });
    try {
      const out = path.join(work, 'out-down');
      const t0 = performance.now();
      const r = await runCli(
        [...clientArgs(proxy.port, faultInput, out), '--width', '64', '--conns', '4', '--json'],
        {},
        30_000,
      );
      const ms = performance.now() - t0;
      expect(r.code).toBe(1);
      expect(ms, 'fails fast').toBeLessThan(15_000);
      const s = lastJson(r.stdout) as unknown as Summary;
      expect(s).toMatchObject({ requests: N, ok: 0, failed: N });
      expect(await listFiles(out)).toEqual([]);
      // One headline naming the cause, on stderr and in the summary.
      const headline = new RegExp(
        `^no backend answered through 127\\.0\\.0\\.1:${proxy.port}: \\d+ connections closed before any answer \\(are the backends up\\?\\)$`,
      );
      expect(s.aborted).toMatch(headline);
      const errorLines = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
      expect(errorLines).toEqual([`error: ${s.aborted}`]);
      expect(s.errors.ERR_NO_BACKEND, 'the rest fails with the cause').toBeGreaterThan(0);
      // Then the first few failures per code and a count, not N identical lines.
      const failedLines = (r.stderr.match(/"msg":"failed"/g) ?? []).length;
      expect(failedLines).toBeLessThanOrEqual(5 * Object.keys(s.errors).length);
      expect(r.stderr).toContain('"msg":"more failures with this code (listed in the summary)"');
      expect(s.failures).toHaveLength(N);
    } finally {
      await proxy.stop();
    }
  }, 40_000);
});
