/**
 * Every place where a peer's or an operator's data enters the backend is checked before it is
 * used (issue 10). Each test here fails without its guard; the frame-level ones (lengths, magic,
 * version, type, header JSON) are in bad-input.test.ts, the limits in limits.test.ts and
 * timeouts.test.ts.
 */
import { spawnSync } from 'node:child_process';
import {
  ErrorCode,
  encodeFrameToBuffer,
  FrameType,
  MAX_NAME_LENGTH,
  requestFrame,
} from '@tcpbalancer/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, FramePeer, noise, type Spawned, startBackend } from './helpers.js';

let backend: Spawned;
let small: Buffer;

beforeAll(async () => {
  backend = await startBackend([]);
  small = await noise(8, 8).png().toBuffer();
});

describe('output format limits: checked before resizing, ERR_BAD_REQUEST naming the limit', () => {
  it.each([
    ['jpeg', 65_500],
    ['webp', 16_383],
    ['avif', 16_384],
  ] as const)('%s: %i px per side', async (format, limit) => {
    const c = await FramePeer.connect(backend.port);
    for (const dryRun of [true, false]) {
      for (const [width, height] of [
        [limit + 1, 1],
        [1, limit + 1],
      ]) {
        const f = await c.answer(c.send({ width, height, fit: 'fill', format, dryRun }, small));
        expect(f.type, JSON.stringify(f.header)).toBe(FrameType.Error);
        expect(f.header.code).toBe(ErrorCode.BadRequest);
        expect(f.header.message).toContain(String(limit));
        expect(f.header.message).toContain(format.toUpperCase());
      }
    }
    // The limit itself is fine (a dry run: no 65500-pixel encode on a loaded machine).
    const ok = await c.answer(
      c.send({ width: limit, height: 1, fit: 'fill', format, dryRun: true }, small),
    );
    expect(ok.type, JSON.stringify(ok.header)).toBe(FrameType.Response);
    expect(ok.header).toMatchObject({ width: limit, height: 1, format });
    c.destroy();
  });

  it('an input larger than the output format can hold, with no resize asked', async () => {
    const wide = await noise(16_400, 2).png().toBuffer();
    const c = await FramePeer.connect(backend.port);
    const f = await c.answer(c.send({ format: 'webp' }, wide));
    expect(f.header.code).toBe(ErrorCode.BadRequest);
    expect(f.header.message).toContain('16383');
    c.destroy();
  });
});

describe('the payload: only accepted formats reach a decoder', () => {
  it.each([
    [
      'a PPM (libvips can load it; no loader of ours may see it)',
      `P6\n2 2\n255\n${'x'.repeat(12)}`,
    ],
    ['a BMP', `BM${'\0'.repeat(60)}`],
    ['a PDF', '%PDF-1.4\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n'],
  ])('%s is refused by its first bytes', async (_name, text) => {
    const c = await FramePeer.connect(backend.port);
    const f = await c.answer(c.send({ width: 4 }, Buffer.from(text, 'latin1')));
    expect(f.header.code).toBe(ErrorCode.ImageUnsupported);
    expect(f.header.message).toMatch(/first bytes/);
    c.destroy();
  });
});

describe('request header fields: each refused by name, the connection kept', () => {
  it.each([
    ['width', { width: 1.5 }],
    ['width', { width: '100' }],
    ['width', { width: 65_536 }],
    ['height', { height: 0 }],
    ['quality', { quality: 0 }],
    ['dryRun', { dryRun: 'yes' }],
    ['name', { name: 42 }],
    ['name', { name: 'n'.repeat(MAX_NAME_LENGTH + 1) }],
    ['format', { format: 'svg' }],
  ])('%s: %j', async (field, header) => {
    const c = await FramePeer.connect(backend.port);
    const f = await c.answer(c.send(header as never, small));
    expect(f.type).toBe(FrameType.Error);
    expect(f.header.code).toBe(ErrorCode.BadRequest);
    expect(f.header.message).toContain(field);
    expect((await c.answer(c.send({ width: 4 }, small))).type).toBe(FrameType.Response);
    c.destroy();
  });
});

describe('the operator’s configuration', () => {
  const run = (args: string[]) =>
    spawnSync(process.execPath, [BIN, '--port', '0', ...args], {
      encoding: 'utf8',
      timeout: 20_000,
    });

  it.each([
    ['a --name longer than the protocol allows', ['--name', 'n'.repeat(MAX_NAME_LENGTH + 1)]],
    ['a --name with a control character', ['--name', 'a\nb']],
  ])('%s: exit 2, one line naming the flag', (_name, args) => {
    const r = run(args);
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/--name/);
  });
});

describe('a frame larger than --max-buffered-bytes', () => {
  it('is refused from its prefix, at once, not left to time out', async () => {
    const b = await startBackend(['--max-buffered-bytes', String(1024 * 1024)]);
    const c = await FramePeer.connect(b.port);
    const payload = Buffer.alloc(1536 * 1024);
    c.writeRaw(encodeFrameToBuffer(requestFrame(1, { width: 4 }, payload)));
    // The frame timeout is 30 s: an answer within 5 s is the limit speaking.
    await c.waitClosed(5000);
    const err = c.frames.find((f) => f.requestId === 0);
    expect(err?.header.code).toBe(ErrorCode.FrameTooLarge);
    b.signal('SIGKILL');
    await b.exited;
  });
});
