/**
 * Hostile input against the proxy: a connection flood beyond --max-conns, slowloris trickles
 * (bounded by a short --idle-timeout), peers that never read while the upstream floods them,
 * and protocol garbage carried through to the backend. The proxy must stay up with bounded
 * memory and keep serving well-behaved clients.
 */
import { once } from 'node:events';
import net from 'node:net';
import { FrameType } from '@tcpbalancer/protocol';
import {
  collectUntilClose,
  connect,
  FramePeer,
  fdCount,
  isAlive,
  killAll,
  makeImage,
  pngBomb,
  type RunningApp,
  rawPrefix,
  rssKiB,
  sample,
  sleep,
  startBackend,
  startProxy,
  waitUntil,
} from '@tcpbalancer/test-kit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { underAttack } from './helpers/attack.js';

describe('hostile input → proxy', () => {
  let backend: RunningApp;
  let canaryImage: Buffer;
  const proxies: RunningApp[] = [];

  beforeAll(async () => {
    canaryImage = await makeImage('png', 64, 64, 2);
    backend = await startBackend({ name: 'hp' });
  });
  afterEach(async () => {
    for (const p of proxies.splice(0)) await p.stop(2000);
  });
  afterAll(killAll);

  async function proxy(extra: readonly string[] = []): Promise<RunningApp> {
    const p = await startProxy({
      upstreams: [backend.port],
      extra: ['--health-interval', '0', ...extra],
    });
    proxies.push(p);
    return p;
  }

  it('a connection flood beyond --max-conns: the excess is closed at once, established clients keep working', async () => {
    const p = await proxy(['--max-conns', '50']);
    // A client that connected before the flood.
    const early = await FramePeer.connect(p.port);
    expect((await early.request({ width: 16, height: 16, format: 'png' }, canaryImage)).type).toBe(
      FrameType.Response,
    );
    const baseFds = (await fdCount(p.pid)) ?? 0;
    const baseRss = (await rssKiB(p.pid)) ?? 0;
    const flood: net.Socket[] = [];
    let closedByProxy = 0;
    await Promise.all(
      Array.from({ length: 400 }, async () => {
        try {
          const s = await connect(p.port);
          flood.push(s);
          let gone = false;
          const onGone = () => {
            if (!gone) closedByProxy++;
            gone = true;
          };
          // FIN or reset, whichever the proxy does (our side allows half-open)
          s.once('end', onGone);
          s.once('close', onGone);
          s.resume();
        } catch {
          closedByProxy++; // refused or reset while connecting also counts as shed
        }
      }),
    );
    // At most 49 more fit beside `early`; everything beyond is closed by the proxy promptly.
    const shed = await waitUntil(() => closedByProxy >= 400 - 49, 5000);
    expect(shed, `closed by the proxy: ${closedByProxy} of 400`).toBe(true);
    // The early client is unaffected while the flood holds the remaining slots.
    const during = await early.request({ width: 16, height: 16, format: 'png' }, canaryImage);
    expect(during.type).toBe(FrameType.Response);
    expect(await isAlive(p.pid)).toBe(true);
    const peakFds = (await fdCount(p.pid)) ?? 0;
    // 49 accepted flood conns may each have an upstream socket: ~2 fds each, plus slack.
    expect(peakFds - baseFds, `proxy fds ${baseFds} → ${peakFds}`).toBeLessThan(2 * 50 + 20);
    for (const s of flood) s.destroy();
    early.destroy();
    // Resources come back, and a new client gets in.
    const back = await waitUntil(async () => ((await fdCount(p.pid)) ?? 0) <= baseFds, 5000);
    expect(back, `fds back to ${baseFds}: now ${await fdCount(p.pid)}`).toBe(true);
    const after = await FramePeer.connect(p.port);
    expect((await after.request({ width: 16, height: 16, format: 'png' }, canaryImage)).type).toBe(
      FrameType.Response,
    );
    after.destroy();
    expect(((await rssKiB(p.pid)) ?? 0) - baseRss).toBeLessThan(64 * 1024);
  });

  it('slowloris (one byte per second) is cut by --idle-timeout; other clients unaffected', async () => {
    const p = await proxy(['--idle-timeout', '600']);
    const baseFds = (await fdCount(p.pid)) ?? 0;
    const request = Buffer.concat([
      rawPrefix({ headerLength: 0, payloadLength: canaryImage.length }),
      canaryImage,
    ]);
    const trickles: { s: net.Socket; sent: number; closedAt: number | undefined; t0: number }[] =
      [];
    for (let i = 0; i < 100; i++) {
      const s = await connect(p.port);
      trickles.push({ s, sent: 0, closedAt: undefined, t0: performance.now() });
    }
    for (const t of trickles) {
      const gone = () => {
        t.closedAt ??= performance.now();
      };
      t.s.once('end', gone);
      t.s.once('close', gone);
    }
    const timer = setInterval(() => {
      for (const t of trickles) {
        if (t.closedAt === undefined && !t.s.destroyed && t.sent < request.length) {
          t.s.write(request.subarray(t.sent, t.sent + 1));
          t.sent++;
        }
      }
    }, 1000);
    try {
      // Meanwhile a normal client is served.
      const ok = await FramePeer.connect(p.port);
      expect((await ok.request({ width: 16, height: 16, format: 'png' }, canaryImage)).type).toBe(
        FrameType.Response,
      );
      ok.destroy();
      const allClosed = await waitUntil(
        () => trickles.every((t) => t.closedAt !== undefined),
        6000,
      );
      expect(
        allClosed,
        `${trickles.filter((t) => t.closedAt === undefined).length} trickles still open`,
      ).toBe(true);
      const slowest = Math.max(
        ...trickles.map((t) => (t.closedAt ?? Number.POSITIVE_INFINITY) - t.t0),
      );
      expect(slowest).toBeLessThan(5000);
    } finally {
      clearInterval(timer);
      for (const t of trickles) t.s.destroy();
    }
    expect(await waitUntil(async () => ((await fdCount(p.pid)) ?? 0) <= baseFds, 5000)).toBe(true);
    expect(await isAlive(p.pid)).toBe(true);
  });

  it('a client that never reads while its upstream floods it: the proxy applies backpressure (bounded RSS)', async () => {
    // An upstream that writes as fast as the socket lets it: 1 MiB chunks, forever.
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    const upSockets = new Set<net.Socket>();
    let written = 0;
    const firehose = net.createServer((s) => {
      s.on('error', () => {});
      upSockets.add(s);
      const pump = () => {
        while (!s.destroyed && s.write(chunk)) written += chunk.length;
        written += chunk.length;
      };
      s.on('drain', pump);
      pump();
    });
    firehose.listen(0, '127.0.0.1');
    await once(firehose, 'listening');
    const port = (firehose.address() as net.AddressInfo).port;
    const p = await startProxy({ upstreams: [port], extra: ['--health-interval', '0'] });
    proxies.push(p);
    const baseRss = (await rssKiB(p.pid)) ?? 0;
    const sampler = sample(p.pid, 25);
    const readers: net.Socket[] = [];
    try {
      for (let i = 0; i < 8; i++) {
        const s = await connect(p.port);
        s.pause(); // never read
        readers.push(s);
      }
      await sleep(3000);
    } finally {
      await sampler.stop();
    }
    const growthMiB = (sampler.maxRssKiB() - baseRss) / 1024;
    // Unbounded buffering would hold everything the firehose managed to write.
    expect(
      growthMiB,
      `proxy RSS +${growthMiB.toFixed(1)} MiB; upstream wrote ${(written / 2 ** 20).toFixed(0)} MiB`,
    ).toBeLessThan(80);
    expect(await isAlive(p.pid)).toBe(true);
    for (const s of readers) s.destroy();
    for (const s of upSockets) s.destroy();
    await new Promise<void>((r) => firehose.close(() => r()));
  });

  it('protocol garbage through the proxy ends only its own connection; proxy and backend stay up', async () => {
    const p = await proxy();
    await underAttack(
      { pid: p.pid, canaryPort: p.port, canaryImage, maxGrowthMiB: 64 },
      async () => {
        const attacks: Buffer[] = [
          rawPrefix({ payloadLength: 2n ** 53n }),
          Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
          Buffer.alloc(100_000, 0xff),
          Buffer.concat([
            rawPrefix({ headerLength: 0, payloadLength: 0 }),
            pngBomb(20_000),
          ]).subarray(0, 30),
        ];
        await Promise.all(
          attacks.map(async (bytes) => {
            const s = await connect(p.port);
            s.write(bytes);
            s.end();
            const r = await collectUntilClose(s, 8000);
            expect(r.closed).toBe(true);
            s.destroy();
          }),
        );
      },
    );
    expect(await isAlive(backend.pid)).toBe(true);
  });
});
