import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Cluster,
  clientArgs,
  lastJson,
  listFiles,
  makeImageDir,
  OPEN_LOOP_RUN,
  runCli,
  type Summary,
  startCluster,
  type TestImage,
} from './helpers.js';

describe('tcpbalancer-client end to end (real backends, real proxy)', () => {
  let work: string;
  let input: string;
  let images: TestImage[];
  let cluster: Cluster;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'tcpb-e2e-'));
    input = path.join(work, 'in');
    // The processes start while sharp makes the images: both take seconds on a loaded machine.
    // allSettled: a started cluster is kept (and stopped in afterAll) even if the images fail.
    const [made, started] = await Promise.allSettled([makeImageDir(input), startCluster(3)]);
    if (started.status === 'fulfilled') cluster = started.value;
    if (made.status === 'rejected') throw made.reason;
    if (started.status === 'rejected') throw started.reason;
    images = made.value;
  }, 90_000);

  afterAll(async () => {
    await cluster?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** `--proxy <the cluster's proxy> --input <dir> [--output <out>]`: the start of every run here. */
  const viaCluster = (dir: string, out?: string) => clientArgs(cluster.proxy.port, dir, out);

  it('resizes every image of a mixed directory once, with the right size and format', async () => {
    const out = path.join(work, 'out-mixed');
    const r = await runCli([
      ...viaCluster(input, out),
      '--width',
      '50',
      '--height',
      '40',
      '--fit',
      'fill',
      '--conns',
      '3',
      '--json',
    ]);
    expect(r.stderr).not.toContain('"level":50');
    expect(r.code).toBe(0);
    // stdout holds only the summary: logs went to stderr.
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const s = lastJson(r.stdout) as unknown as Summary;
    expect(s).toMatchObject({ requests: images.length, ok: images.length, failed: 0 });
    expect(Object.values(s.backends).reduce((a, b) => a + b, 0)).toBe(images.length);
    expect(s.skipped.map((k) => k.path).sort()).toEqual(['nested/fake.jpg', 'readme.txt']);
    const ext = { jpeg: 'jpg', png: 'png', webp: 'webp' } as const;
    const expected = images
      .map((img) => {
        const dir = path.posix.dirname(img.rel);
        const base = path.posix.basename(img.rel).replace(/\.[^.]+$/, '');
        return {
          file: `${dir === '.' ? '' : `${dir}/`}${base}-50x40.${ext[img.format]}`,
          format: img.format,
        };
      })
      .sort((a, b) => (a.file < b.file ? -1 : 1));
    expect(await listFiles(out)).toEqual(expected.map((e) => e.file));
    for (const e of expected) {
      const meta = await sharp(path.join(out, e.file)).metadata();
      expect([meta.width, meta.height, meta.format]).toEqual([50, 40, e.format]);
    }
    const png = await sharp(path.join(out, 'b-50x40.png')).metadata();
    expect(png.hasAlpha).toBe(true);
  });

  it('--times repeats the set, --format converts, nothing duplicated in the output', async () => {
    const out = path.join(work, 'out-times');
    const r = await runCli([
      ...viaCluster(input, out),
      '--width',
      '30',
      '--format',
      'webp',
      '--times',
      '3',
      '--min-conns',
      '1',
      '--max-conns',
      '4',
      '--json',
      '--log-level',
      'warn',
    ]);
    expect(r.code).toBe(0);
    const s = lastJson(r.stdout) as unknown as Summary;
    expect(s).toMatchObject({ requests: images.length * 3, ok: images.length * 3, failed: 0 });
    const files = await listFiles(out);
    expect(files).toHaveLength(images.length);
    for (const f of files) {
      expect(f).toMatch(/-30x\d+\.webp$/);
      expect((await sharp(path.join(out, f)).metadata()).format).toBe('webp');
    }
  });

  it('reports an error answer (corrupt image) for that file, without retrying it', async () => {
    const dir = path.join(work, 'in-corrupt');
    await mkdir(dir);
    await writeFile(
      path.join(dir, 'good.png'),
      await sharp({ create: { width: 20, height: 20, channels: 3, background: '#123456' } })
        .png()
        .toBuffer(),
    );
    // JPEG magic, garbage after: detected as an image here, refused by the backend.
    await writeFile(
      path.join(dir, 'broken.jpg'),
      Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(500, 7)]),
    );
    const r = await runCli([
      ...viaCluster(dir, path.join(work, 'out-corrupt')),
      '--width',
      '10',
      '--json',
    ]);
    expect(r.code).toBe(1);
    const s = lastJson(r.stdout) as unknown as Summary;
    expect(s).toMatchObject({ ok: 1, failed: 1, retries: 0 });
    expect(s.failures).toHaveLength(1);
    expect(s.failures[0]?.path).toBe('broken.jpg');
    expect(s.failures[0]?.code).toMatch(/^ERR_IMAGE/);
    // The human summary lists it too.
    const human = await runCli([
      ...viaCluster(dir, path.join(work, 'out-corrupt')),
      '--width',
      '10',
      '--log-level',
      'silent',
    ]);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/failed \(1\)\n\s+broken\.jpg: ERR_IMAGE/);
  });

  it('--json output shape, dry-run closed-loop load mode', async () => {
    const r = await runCli([
      ...viaCluster(input),
      '--dry-run',
      '--duration',
      '700ms',
      '--conns',
      '4',
      '--json',
      // Ignored in load mode: one warning, no failure, nothing created.
      '--output',
      path.join(work, 'out-ignored'),
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr.match(/--output \S+ is ignored/g)).toHaveLength(1);
    await expect(stat(path.join(work, 'out-ignored'))).rejects.toThrow(/ENOENT/);
    const s = lastJson(r.stdout) as unknown as Summary;
    for (const k of [
      'requests',
      'ok',
      'failed',
      'seconds',
      'rps',
      'bytesSent',
      'bytesReceived',
    ] as const) {
      expect(typeof s[k]).toBe('number');
    }
    for (const k of ['p50', 'p90', 'p99', 'max'] as const)
      expect(typeof s.latencyMs[k]).toBe('number');
    expect(s.requests).toBeGreaterThan(4);
    expect(s.failed).toBe(0);
    expect(s.seconds).toBeGreaterThanOrEqual(0.6);
    expect(s.seconds).toBeLessThan(5);
    expect(s.latencyMs.p50).toBeLessThanOrEqual(s.latencyMs.p99);
    expect(s.latencyMs.p99).toBeLessThanOrEqual(s.latencyMs.max + 0.01);
    expect(Object.keys(s.backends).sort()).toEqual(['backend-1', 'backend-2', 'backend-3']);
    expect(s.bytesReceived).toBeGreaterThan(0);
    // Dry-run answers carry no pixels: far fewer bytes come back than go out.
    expect(s.bytesReceived).toBeLessThan(s.bytesSent);
  });

  it('open loop: --rate keeps its timetable (count and duration)', async () => {
    const r = await runCli([...viaCluster(input), ...OPEN_LOOP_RUN, '--json']);
    expect(r.code).toBe(0);
    const s = lastJson(r.stdout) as unknown as Summary;
    // 100 req/s for 2 s: 200 slots; generous time bounds for a noisy 2-core machine.
    // Every slot of the timetable goes out, late if need be: exactly rate × duration.
    expect(s.requests).toBe(200);
    expect(s.seconds).toBeGreaterThanOrEqual(1.9);
    expect(s.seconds).toBeLessThan(6);
    expect(s.rps).toBeGreaterThan(33);
    expect(s.rps).toBeLessThan(110);
  });

  it('bad usage exits 2 with one line naming the problem', async () => {
    const cases: [string[], RegExp][] = [
      [['--input', input, '--output', path.join(work, 'x')], /--proxy/],
      [[...viaCluster(path.join(work, 'nope'), path.join(work, 'x'))], /--input/],
      [[...viaCluster(input, path.join(work, 'x')), '--width', '-3'], /--width/],
      [viaCluster(input), /--output/],
    ];
    const file = path.join(work, 'a-file');
    await writeFile(file, 'x');
    cases.push([viaCluster(input, path.join(file, 'sub')), /--output/]);
    if (process.getuid?.() !== 0) {
      const ro = path.join(work, 'read-only');
      await mkdir(ro);
      await chmod(ro, 0o500);
      cases.push([viaCluster(input, ro), /--output/]);
    }
    cases.push([['--help'], /unused/]);
    const results = await Promise.all(cases.map(([args]) => runCli(args)));
    const help = results.pop()!;
    cases.pop();
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('TCPB_CLIENT_PROXY');
    for (const [i, [args, re]] of cases.entries()) {
      const r = results[i]!;
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(re);
    }
  });

  it('a dead proxy address: each image retried, then failed (exit 1), no hang', async () => {
    const r = await runCli([
      ...clientArgs(1, input, path.join(work, 'out-dead')),
      '--retries',
      '2',
      '--json',
    ]);
    expect(r.code).toBe(1);
    const s = lastJson(r.stdout) as unknown as Summary;
    expect(s).toMatchObject({ ok: 0, failed: images.length });
    for (const f of s.failures) expect(f.code).toBe('ERR_CONNECT');
    // One headline with the cause before the per-image failures.
    expect(r.stderr.split('\n').filter((l) => l.startsWith('error: '))).toEqual([
      expect.stringMatching(
        /^error: cannot connect to 127\.0\.0\.1:1: .*ECONNREFUSED.*\(is the proxy up\?\)$/,
      ),
    ]);
    expect(s.aborted).toMatch(/ECONNREFUSED/);
  });
});
