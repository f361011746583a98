import { ErrorCode, FITS, FORMATS, FrameType, parseResizeResponse } from '@tcpbalancer/protocol';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FramePeer, noise, type Spawned, scrape, solid, startMeteredBackend } from './helpers.js';

let backend: Spawned;
let client: FramePeer;
let jpeg400x300: Buffer;

beforeAll(async () => {
  backend = await startMeteredBackend(['--name', 'resize-test', '--max-pixels', '4000000']);
  client = await FramePeer.connect(backend.port);
  jpeg400x300 = await noise(400, 300).jpeg().toBuffer();
});
afterAll(() => client?.destroy());

const expected: Record<string, [number, number]> = {
  cover: [100, 100],
  contain: [100, 100],
  fill: [100, 100],
  inside: [100, 75],
  outside: [133, 100],
};

describe('resizing', () => {
  it('answers every fit × format, pipelined on one connection, matched by id', async () => {
    const formats = [...FORMATS, undefined];
    const sent = new Map<number, { fit: string; format: string | undefined }>();
    for (const fit of FITS) {
      for (const format of formats) {
        const id = client.send(
          { width: 100, height: 100, fit, ...(format ? { format } : {}), name: `${fit}.${format}` },
          jpeg400x300,
        );
        sent.set(id, { fit, format });
      }
    }
    await client.until(
      (fs) => [...sent.keys()].every((id) => fs.some((f) => f.requestId === id)),
      30_000,
    );
    for (const [id, { fit, format }] of sent) {
      const f = client.frames.find((x) => x.requestId === id)!;
      expect(f.type, JSON.stringify(f.header)).toBe(FrameType.Response);
      const h = parseResizeResponse(f.header);
      const want = format ?? 'jpeg';
      expect(h.backend).toBe('resize-test');
      expect(h.format).toBe(want);
      expect([h.width, h.height]).toEqual(expected[fit]);
      expect(h.bytes).toBe(f.payload.length);
      expect(h.ms).toBeGreaterThan(0);
      const meta = await sharp(f.payload).metadata();
      expect(meta.format).toBe(want === 'avif' ? 'heif' : want);
      expect([meta.width, meta.height]).toEqual(expected[fit]);
    }
  });

  it('keeps the input format when none is asked, and keeps alpha in PNG and WebP', async () => {
    const png = await solid(64, 64, 4).png().toBuffer();
    const webp = await solid(64, 64, 4).webp().toBuffer();
    const a = await client.answer(client.send({ width: 32 }, png));
    const b = await client.answer(client.send({ width: 32 }, webp));
    expect(parseResizeResponse(a.header).format).toBe('png');
    expect(parseResizeResponse(b.header).format).toBe('webp');
    expect((await sharp(a.payload).metadata()).hasAlpha).toBe(true);
    expect((await sharp(b.payload).metadata()).hasAlpha).toBe(true);
  });

  it('honours quality', async () => {
    const lo = await client.answer(
      client.send({ width: 300, format: 'jpeg', quality: 5 }, jpeg400x300),
    );
    const hi = await client.answer(
      client.send({ width: 300, format: 'jpeg', quality: 95 }, jpeg400x300),
    );
    expect(lo.payload.length * 2).toBeLessThan(hi.payload.length);
  });

  it('auto-orients from EXIF', async () => {
    // 400×300 pixels stored with orientation 6 (rotate 90° clockwise): displayed 300×400.
    const rotated = await noise(400, 300).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const f = await client.answer(client.send({}, rotated));
    const h = parseResizeResponse(f.header);
    expect([h.width, h.height]).toEqual([300, 400]);
    const meta = await sharp(f.payload).metadata();
    expect([meta.width, meta.height]).toEqual([300, 400]);
    expect(meta.orientation ?? 1).toBe(1);
  });

  it('answers dry runs with the same shape and no payload', async () => {
    for (const fit of FITS) {
      const f = await client.answer(
        client.send({ width: 100, height: 100, fit, format: 'webp', dryRun: true }, jpeg400x300),
      );
      const h = parseResizeResponse(f.header);
      expect(h).toMatchObject({ backend: 'resize-test', format: 'webp', bytes: 0, dryRun: true });
      expect([h.width, h.height]).toEqual(expected[fit]);
      expect(f.payload.length).toBe(0);
    }
    const plain = await client.answer(client.send({ width: 200, dryRun: true }, jpeg400x300));
    expect(parseResizeResponse(plain.header)).toMatchObject({
      width: 200,
      height: 150,
      format: 'jpeg',
    });
  });

  it('refuses an output over the pixel limit without doing it', async () => {
    const f = await client.answer(
      client.send({ width: 4000, height: 4000, fit: 'fill' }, jpeg400x300),
    );
    expect(f.type).toBe(FrameType.Error);
    expect(f.header.code).toBe(ErrorCode.PixelLimit);
  });

  it('answers ping with pong carrying the same id', async () => {
    client.writeRaw(
      Buffer.from([0x54, 0x42, 1, 4, 0, 0, 0x30, 0x39, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    );
    const f = await client.answer(12345);
    expect(f.type).toBe(FrameType.Pong);
  });

  it('serves metrics and health', async () => {
    const metric = await scrape(backend);
    expect(metric('tcpb_backend_requests_total', 'outcome="ok"')).toBeGreaterThanOrEqual(25);
    expect(metric('tcpb_backend_requests_total', 'outcome="dry_run"')).toBeGreaterThanOrEqual(5);
    expect(metric('tcpb_backend_requests_total', 'outcome="ERR_PIXEL_LIMIT"')).toBe(1);
    expect(metric('tcpb_backend_resize_duration_seconds_count')).toBeGreaterThanOrEqual(25);
    expect(metric('tcpb_backend_bytes_received_total')).toBeGreaterThan(25 * jpeg400x300.length);
    expect(metric('tcpb_backend_bytes_sent_total')).toBeGreaterThan(0);
    expect(metric.text).toContain('tcpb_backend_inflight_requests');
    expect(metric('tcpb_backend_connections')).toBe(1);
    const health = await fetch(`http://127.0.0.1:${backend.metricsPort}/healthz`);
    expect(health.status).toBe(200);
  });
});
