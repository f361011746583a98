/**
 * --proxy-protocol (issue 15): behind a proxy that sends a PROXY v1/v2 header, the backend reads
 * it first (bounded, timed), logs the real client, and serves frames as usual. Without the flag
 * a header is never looked for; with it, a connection without one is closed unanswered.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, encodeFrameToBuffer, FrameType, requestFrame } from '@tcpbalancer/protocol';
import { encodeV1, encodeV2 } from '@tcpbalancer/proxy-protocol';
import { startApp } from '@tcpbalancer/test-kit';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  FramePeer,
  noise,
  type Spawned,
  scrape,
  startBackend,
  startMeteredBackend,
} from './helpers.js';

let backend: Spawned;
let img: Buffer;
const request = (id: number) => encodeFrameToBuffer(requestFrame(id, { width: 8 }, img));

beforeAll(async () => {
  backend = await startMeteredBackend(['--proxy-protocol']);
  img = await noise(32, 24).jpeg().toBuffer();
});

const logLine = (b: Spawned, pred: (rec: Record<string, unknown>) => boolean) =>
  b.waitForLog(pred, 5000) as Promise<Record<string, unknown>>;

describe('--proxy-protocol', () => {
  it('v1 header and a request in one write: answered, the real client logged', async () => {
    const c = await FramePeer.connect(backend.port);
    const header = encodeV1({
      source: { address: '192.0.2.10', port: 56324 },
      destination: { address: '198.51.100.1', port: 7100 },
    });
    c.writeRaw(Buffer.concat([header, request(1)]));
    expect((await c.answer(1)).type).toBe(FrameType.Response);
    const rec = await logLine(
      backend,
      (r) => r.msg === 'proxy header' && r.client === '192.0.2.10:56324',
    );
    expect(rec.version).toBe(1);
    c.destroy();
  });

  it('v2 header (IPv6) arriving a byte at a time, then frames: answered, client logged', async () => {
    const c = await FramePeer.connect(backend.port);
    const header = encodeV2({
      source: { address: '2001:db8::7', port: 40001 },
      destination: { address: '2001:db8::1', port: 7100 },
    });
    for (const byte of header) {
      c.writeRaw(Buffer.of(byte));
      await new Promise((r) => setImmediate(r));
    }
    c.writeRaw(request(2));
    expect((await c.answer(2)).type).toBe(FrameType.Response);
    await logLine(backend, (r) => r.msg === 'proxy header' && r.client === '2001:db8::7:40001');
    c.destroy();
  });

  it('v2 LOCAL (a health check): served, the socket peer is the client', async () => {
    const c = await FramePeer.connect(backend.port);
    c.writeRaw(Buffer.concat([encodeV2({ command: 'local' }), request(3)]));
    expect((await c.answer(3)).type).toBe(FrameType.Response);
    c.destroy();
  });

  it.each([
    ['no header (a frame straight away)', () => request(4), 'ERR_PROXY_PROTOCOL_MISSING'],
    [
      'a malformed v1 header',
      () => Buffer.from('PROXY TCP4 not-an-ip 1.2.3.4 1 2\r\n'),
      'ERR_PROXY_PROTOCOL_INVALID',
    ],
    ['a v1 line that never ends', () => Buffer.from(`PROXY TCP4 ${'9'.repeat(4000)}`), undefined],
  ])('%s: closed unanswered, counted', async (_name, bytes, code) => {
    const c = await FramePeer.connect(backend.port);
    c.writeRaw(bytes());
    await c.waitClosed(5000);
    expect(c.frames).toHaveLength(0);
    const rec = await logLine(
      backend,
      (r) => r.msg === 'proxy header refused' && (code === undefined || r.code === code),
    );
    const metric = await scrape(backend);
    expect(metric('tcpb_backend_connection_errors_total', `"${rec.code}"`)).toBeGreaterThanOrEqual(
      1,
    );
  });

  it('a peer that sends nothing is closed after --proxy-protocol-timeout', async () => {
    const b = await startBackend(['--proxy-protocol', '--proxy-protocol-timeout', '3000']);
    const c = await FramePeer.connect(b.port);
    const ms = await c.waitClosed(10_000);
    expect(ms).toBeGreaterThan(2500);
    await logLine(
      b,
      (r) => r.msg === 'proxy header refused' && r.code === 'ERR_PROXY_PROTOCOL_TIMEOUT',
    );
    await b.stop();
  }, 20_000);

  it('off (the default): a header is never looked for, it is just not a frame', async () => {
    const b = await startBackend([]);
    const c = await FramePeer.connect(b.port);
    c.writeRaw(
      encodeV1({
        source: { address: '192.0.2.1', port: 1 },
        destination: { address: '192.0.2.2', port: 2 },
      }),
    );
    await c.waitClosed(5000);
    expect(c.frames.find((f) => f.requestId === 0)?.header.code).toBe(ErrorCode.BadMagic);
    await b.stop();
  });
});

describe('through the real proxy: a pool that sends the header (issue 15 end to end)', () => {
  it.each(['v1', 'v2'] as const)(
    '%s: the backend logs the client the proxy accepted',
    async (version) => {
      const b = await startBackend(['--proxy-protocol']);
      const dir = mkdtempSync(join(tmpdir(), 'tcpb-backend-pp-'));
      try {
        const config = join(dir, 'proxy.json');
        writeFileSync(
          config,
          JSON.stringify({
            listeners: [{ name: 'in', port: 0, address: '127.0.0.1', pool: 'images' }],
            pools: [{ name: 'images', upstreams: [`127.0.0.1:${b.port}`], proxyProtocol: version }],
          }),
        );
        const proxy = await startApp('proxy', ['--config', config]);
        const c = await FramePeer.connect(proxy.port);
        const local = `${c.socket.localAddress}:${c.socket.localPort}`;
        expect((await c.request({ width: 8 }, img)).type).toBe(FrameType.Response);
        const rec = await logLine(b, (r) => r.msg === 'proxy header' && r.client === local);
        expect(rec.version).toBe(version === 'v1' ? 1 : 2);
        c.destroy();
        await proxy.stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
        await b.stop();
      }
    },
    30_000,
  );
});
