import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FrameType, responseFrame } from '@tcpbalancer/protocol';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import {
  clientArgs,
  collectUntilClose,
  compareTrees,
  connect,
  cpuSeconds,
  cpuSecondsSync,
  FramePeer,
  fdCount,
  isAlive,
  killAll,
  listFiles,
  liveApps,
  mainThreadCpuSecondsSync,
  makeCorpus,
  makeImage,
  median,
  nonImages,
  pngBomb,
  rawPrefix,
  rssKiB,
  runApp,
  startApp,
  startBackend,
  startFakeBackend,
  tempDir,
  thrown,
  waitUntil,
  withTimeout,
} from '../src/index.js';

afterAll(killAll);

describe('the /proc readers', () => {
  it('read this process and say undefined/false for a pid that does not exist', async () => {
    expect(await rssKiB(process.pid)).toBeGreaterThan(1000);
    expect(await fdCount(process.pid)).toBeGreaterThan(2);
    expect(await isAlive(process.pid)).toBe(true);
    expect(await cpuSeconds(process.pid)).toBeGreaterThan(0);
    const gone = 2 ** 22 + 1; // above pid_max's default: never a live process
    expect(await rssKiB(gone)).toBeUndefined();
    expect(await fdCount(gone)).toBeUndefined();
    expect(await isAlive(gone)).toBe(false);
  });

  it("the main thread's CPU is part of the process's, and 0 for a pid that does not exist", () => {
    const main = mainThreadCpuSecondsSync(process.pid);
    expect(main).toBeGreaterThan(0);
    expect(main).toBeLessThanOrEqual(cpuSecondsSync(process.pid));
    expect(mainThreadCpuSecondsSync(2 ** 22 + 1)).toBe(0);
  });
});

describe('the corpus and the file helpers', () => {
  it('makes decodable images of the asked size and lists them relative and sorted', async () => {
    const corpus = await makeCorpus(6, { seed: 3 });
    try {
      expect(corpus.images.map((i) => i.relPath)).toEqual([
        'img-0000.jpg',
        'img-0001.png',
        'img-0002.webp',
        'img-0003.jpg',
        'sub/img-0004.png',
        'img-0005.webp',
      ]);
      for (const img of corpus.images) {
        const meta = await sharp(img.bytes).metadata();
        expect([meta.format, meta.width, meta.height]).toEqual([img.format, img.width, img.height]);
      }
      expect(await listFiles(corpus.dir)).toEqual(corpus.images.map((i) => i.relPath).sort());
      expect(await compareTrees(corpus.dir, corpus.dir)).toEqual([]);
    } finally {
      await corpus.remove();
    }
    expect(await listFiles(corpus.dir)).toEqual([]);
  });

  it('is deterministic: the same seed gives the same bytes', async () => {
    expect((await makeImage('png', 40, 30, 5)).equals(await makeImage('png', 40, 30, 5))).toBe(
      true,
    );
    expect((await makeImage('png', 40, 30, 5)).equals(await makeImage('png', 40, 30, 6))).toBe(
      false,
    );
  });

  it('compareTrees names missing, unexpected and different files', async () => {
    const a = await tempDir('kit-a');
    const b = await tempDir('kit-b');
    try {
      await mkdir(path.join(a, 'sub'));
      await writeFile(path.join(a, 'sub/x.png'), await makeImage('png', 20, 20, 1));
      await writeFile(path.join(b, 'y.png'), await makeImage('png', 20, 20, 1));
      const diffs = await compareTrees(a, b);
      expect(diffs).toEqual([
        { file: 'sub/x.png', why: 'missing' },
        { file: 'y.png', why: 'unexpected' },
      ]);
    } finally {
      await rm(a, { recursive: true, force: true });
      await rm(b, { recursive: true, force: true });
    }
  });

  it('the bomb declares 900 megapixels in ~100 KiB; the non-images are not images', async () => {
    const bomb = pngBomb();
    expect(bomb.length).toBeLessThan(1 << 20);
    const meta = await sharp(bomb, { limitInputPixels: false }).metadata();
    expect(meta.width! * meta.height!).toBe(900_000_000);
    for (const f of nonImages()) {
      const format = await Promise.resolve()
        .then(() => sharp(f.bytes).metadata())
        .then((m) => m.format as string)
        .catch(() => 'none');
      expect(['none', 'svg'], f.name).toContain(format);
    }
  });
});

describe('the fake backend and the frame peer', () => {
  it('answer each other over a real socket, pings included', async () => {
    const fake = await startFakeBackend((req, { index }) =>
      responseFrame(
        req.requestId,
        { backend: `fake-${index}`, width: 1, height: 1, format: 'png', bytes: 0, ms: 0 },
        Buffer.alloc(0),
      ),
    );
    const peer = await FramePeer.connect(fake.port);
    try {
      const a = await peer.request({ width: 8, height: 8, format: 'png' }, Buffer.from('x'));
      const b = await peer.request({ width: 8, height: 8, format: 'png' }, Buffer.from('y'));
      expect([a.type, a.header.backend, b.header.backend]).toEqual([
        FrameType.Response,
        'fake-0',
        'fake-1',
      ]);
      peer.write({ type: FrameType.Ping, requestId: 77, header: {}, payload: Buffer.alloc(0) });
      expect((await peer.answer(77)).type).toBe(FrameType.Pong);
      expect(fake.requests.map((r) => r.payload.toString())).toEqual(['x', 'y']);
      expect(fake.accepted()).toBe(1);
    } finally {
      peer.destroy();
      await fake.close();
    }
  });

  it('without an answer it is a black hole; a bounded wait says why it gave up', async () => {
    const hole = await startFakeBackend();
    const peer = await FramePeer.connect(hole.port);
    try {
      await expect(
        peer.request({ width: 8, height: 8, format: 'png' }, Buffer.from('x'), 200),
      ).rejects.toThrow(/timed out after 200 ms/);
      expect(hole.requests).toHaveLength(1);
    } finally {
      peer.destroy();
      await hole.close();
    }
  });

  it('a fake that gets garbage hangs up, and collectUntilClose sees it', async () => {
    const fake = await startFakeBackend(() => null);
    const sock = await connect(fake.port);
    sock.write(rawPrefix({ magic: 0xdead }));
    const r = await collectUntilClose(sock, 5000);
    expect(r.closed).toBe(true);
    sock.destroy();
    await fake.close();
  });
});

describe('spawning the real programs', () => {
  it('starts a backend, reads its port from the listening line, stops it with SIGTERM', async () => {
    const backend = await startBackend({ name: 'kit-test' });
    expect(backend.port).toBeGreaterThan(0);
    expect(liveApps()).toContain(backend);
    const img = await makeImage('jpeg', 64, 48, 2);
    const peer = await FramePeer.connect(backend.port);
    const answer = await peer.request({ width: 16, height: 12, format: 'png' }, img);
    peer.destroy();
    expect([answer.type, answer.header.backend]).toEqual([FrameType.Response, 'kit-test']);
    expect(await backend.stop()).toBe(0);
    expect(backend.hasExited()).toBe(true);
    expect(liveApps()).not.toContain(backend);
  });

  it('fails fast with the output when a server exits before listening', async () => {
    const err = await startApp('backend', ['--port', 'not-a-port']).catch((e: Error) => e);
    expect(String(err)).toMatch(/exited \(2\) before the expected log line/);
    expect(String(err)).toMatch(/--port/);
  });

  it('runApp runs to completion and drops stray TCPB_* variables', async () => {
    process.env.TCPB_CONNS = 'nonsense';
    try {
      const run = await runApp('client', ['--help'], { timeoutMs: 20_000 });
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/--proxy/);
    } finally {
      delete process.env.TCPB_CONNS;
    }
  });

  it('killAll leaves nothing behind', async () => {
    const b = await startBackend();
    await killAll();
    expect(await withTimeout(b.exited, 5000, 'exit')).toBe('SIGKILL');
    expect(await waitUntil(async () => !(await isAlive(b.pid)), 5000)).toBe(true);
  });
});

describe('clientArgs', () => {
  it('is --proxy on loopback and --input, with --output only when given', () => {
    expect(clientArgs(7000, 'in', 'out')).toEqual([
      '--proxy',
      '127.0.0.1:7000',
      '--input',
      'in',
      '--output',
      'out',
    ]);
    expect(clientArgs(1, 'in')).toEqual(['--proxy', '127.0.0.1:1', '--input', 'in']);
  });
});

describe('median', () => {
  it('is the middle figure, the mean of the two middle ones for an even count, NaN for none', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNaN();
  });
});

describe('thrown', () => {
  it('returns the error of the asked type; fails when none or another is thrown', () => {
    const e = thrown(RangeError, () => {
      throw new RangeError('too far');
    });
    expect(e.message).toBe('too far');
    expect(() => thrown(RangeError, () => 1)).toThrow(/expected a RangeError to be thrown/);
    expect(() =>
      thrown(RangeError, () => {
        throw new TypeError('other');
      }),
    ).toThrow(/expected a RangeError to be thrown, got TypeError: other/);
  });
});
