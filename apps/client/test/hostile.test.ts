import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Frame, FrameType } from '@tcpbalancer/protocol';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientArgs, type FakeBackend, lastJson, runCli, startFakeBackend } from './helpers.js';

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70, 0, 1, 1, 1, 1, 1]);
/** A real 10x20 PNG, made in beforeAll: what an honest backend answers. */
let PAYLOAD: Buffer = Buffer.alloc(0);
let JPEG_10X20: Buffer = Buffer.alloc(0);

/** A frame with a raw (possibly invalid JSON) header, for what JSON.stringify cannot produce. */
function rawFrame(type: number, id: number, headerText: string, payload: Buffer): Buffer {
  const header = Buffer.from(headerText, 'utf8');
  const prefix = Buffer.alloc(20);
  prefix.writeUInt16BE(0x5442, 0);
  prefix.writeUInt8(1, 2);
  prefix.writeUInt8(type, 3);
  prefix.writeUInt32BE(id, 4);
  prefix.writeUInt32BE(header.length, 8);
  prefix.writeBigUInt64BE(BigInt(payload.length), 12);
  return Buffer.concat([prefix, header, payload]);
}

const good = {
  backend: 'fake',
  width: 10,
  height: 20,
  format: 'png',
  bytes: 0, // set to PAYLOAD's length in beforeAll
  ms: 1,
};

/** Image name → the payload the fake backend sends instead of the real PNG (bytes to match). */
const BAD_PAYLOADS: Record<string, () => Buffer> = {
  'random.jpg': () => randomBytes(PAYLOAD.length),
  'halfpng.jpg': () => PAYLOAD.subarray(0, PAYLOAD.length >> 1),
  'trailing.jpg': () => Buffer.concat([PAYLOAD, Buffer.from('<?php evil(); ?>')]),
  'jpeginpng.jpg': () => JPEG_10X20,
};

/** Every image whose answer must fail. */
const failing = () => [
  ...Object.keys(HOSTILE),
  ...Object.keys(BAD_PAYLOADS),
  'badcode.jpg',
  'pingflood.jpg',
  'hugeframe.jpg',
  'nan.jpg',
  'silent.jpg',
];

/** Image name → the answer header the fake backend sends for it. */
const HOSTILE: Record<string, Record<string, unknown>> = {
  'wrongsize.jpg': { ...good, width: 20, height: 10 },
  'dotdot.jpg': { ...good, width: '../../x' },
  'passwd.jpg': { ...good, format: '/etc/passwd' },
  'relfmt.jpg': { ...good, format: '../../../tmp/evil' },
  'huge.jpg': { ...good, width: 1e300 },
  'big.jpg': { ...good, height: 2 ** 53 + 2 },
  'neg.jpg': { ...good, width: -5 },
  'float.jpg': { ...good, width: 10.5 },
  'nulfmt.jpg': { ...good, format: 'png\u0000../../x' },
  'nulwidth.jpg': { ...good, width: '10\u0000' },
  'proto.jpg': { ...good, format: '__proto__' },
  'nullw.jpg': { ...good, width: null },
  'short.jpg': { ...good, bytes: PAYLOAD.length + 100 },
  'badbackend.jpg': { ...good, backend: 42 },
};

describe('hostile answers from a fake backend', () => {
  let fake: FakeBackend;
  let work: string;
  const input = () => path.join(work, 'in');
  const output = () => path.join(work, 'out');

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'tcpb-hostile-'));
    await mkdir(path.join(work, 'in/sub'), { recursive: true });
    PAYLOAD = await sharp({
      create: { width: 10, height: 20, channels: 4, background: '#f008' },
    })
      .png()
      .toBuffer();
    JPEG_10X20 = await sharp({ create: { width: 10, height: 20, channels: 3, background: '#0f0' } })
      .jpeg()
      .toBuffer();
    good.bytes = PAYLOAD.length;
    for (const name of [...failing(), 'fine.jpg', 'evilname.jpg']) {
      await writeFile(path.join(work, 'in', name), JPEG);
    }
    await writeFile(path.join(work, 'in/sub/fine.jpg'), JPEG);
    fake = await startFakeBackend((req: Frame, { socket }) => {
      const name = String(req.header.name);
      if (name === 'silent.jpg') return undefined; // never answers: times out, retried, fails
      if (name === 'nan.jpg') {
        // Not JSON at all: the decoder rejects it, the connection is dropped, the request retried, then failed.
        socket.write(rawFrame(FrameType.Response, req.requestId, '{"width":NaN}', PAYLOAD));
        return undefined;
      }
      if (name === 'badcode.jpg') {
        // A code that would paint the terminal red and become a key of the summary's errors.
        return [
          {
            type: FrameType.Error,
            requestId: req.requestId,
            header: { code: '\u001b[31mERR_PWNED\u001b[0m', message: 'boo\u001b]0;title\u0007' },
            payload: Buffer.alloc(0),
          },
        ];
      }
      if (name === 'hugeframe.jpg') {
        // A frame that announces a terabyte: the decoder's limit drops the connection.
        socket.write(
          rawFrame(FrameType.Response, req.requestId, '{}', Buffer.alloc(0)).fill(0xff, 12, 20),
        );
        return undefined;
      }
      const bad = BAD_PAYLOADS[name]?.();
      if (bad) {
        return [
          {
            type: FrameType.Response,
            requestId: req.requestId,
            header: { ...good, bytes: bad.length },
            payload: bad,
          },
        ];
      }
      if (name === 'pingflood.jpg') {
        // 300,000 pings from a peer that stops reading: each pong waits behind the last, and
        // without a bound the client would queue all of them (and then time out). It drops the
        // connection instead.
        socket.pause();
        const ping = rawFrame(FrameType.Ping, 1, '{}', Buffer.alloc(0));
        const flood = Buffer.alloc(ping.length * 300_000);
        for (let at = 0; at < flood.length; at += ping.length) ping.copy(flood, at);
        socket.write(flood);
        return undefined;
      }
      // A hostile backend name must not break the stats nor reach the file system.
      const backend = name === 'evilname.jpg' ? '../../__proto__\u0000' : 'fake';
      const header = HOSTILE[name] ?? { ...good, backend };
      // Noise first: an answer to a request that does not exist must be ignored.
      return [
        { type: FrameType.Response, requestId: 999_999, header: good, payload: PAYLOAD },
        { type: FrameType.Response, requestId: req.requestId, header, payload: PAYLOAD },
      ];
    });
  });

  afterAll(async () => {
    await fake.close();
    await rm(work, { recursive: true, force: true });
  });

  it('reports every hostile answer as a failure and writes nothing outside --output', async () => {
    const r = await runCli([
      ...clientArgs(fake.port, input(), output()),
      '--retries',
      '1',
      '--timeout',
      '1000ms',
      '--conns',
      '2',
      '--json',
      '--log-level',
      'silent',
    ]);
    expect(r.code).toBe(1);
    const s = lastJson(r.stdout) as {
      ok: number;
      failed: number;
      failures: { path: string; code: string }[];
      backends: Record<string, number>;
      errors?: Record<string, number>;
    };
    const failedPaths = s.failures.map((f) => f.path).sort();
    expect(failedPaths).toEqual([...failing()].sort());
    const special: Record<string, string> = {
      'nan.jpg': 'ERR_CONNECTION_LOST',
      'pingflood.jpg': 'ERR_CONNECTION_LOST',
      'hugeframe.jpg': 'ERR_CONNECTION_LOST',
      'silent.jpg': 'ERR_REQUEST_TIMEOUT',
      'badcode.jpg': 'ERR_UNKNOWN',
    };
    for (const f of s.failures) expect(f.code, f.path).toBe(special[f.path] ?? 'ERR_BAD_RESPONSE');
    // Nothing a server sends reaches the terminal raw: no ESC, no BEL, in the JSON or the logs.
    for (const bad of ['\u001b', '\u0007', '\\u001b', '\\u0007'])
      expect(r.stdout + r.stderr).not.toContain(bad);
    expect(Object.keys(s.errors ?? {})).not.toContain('ERR_PWNED');
    expect(s.ok).toBe(3);
    expect(Object.getPrototypeOf(s.backends)).toBe(Object.prototype);
    expect(Object.keys(s.backends).sort()).toEqual(['../../__proto__?', 'fake']);
    // The whole work dir: the input as it was, and only the good results under out/.
    const all = (await readdir(work, { recursive: true }))
      .map((p) => p.split(path.sep).join('/'))
      .sort();
    const outFiles = all.filter((p) => p.startsWith('out/') && !p.endsWith('/'));
    expect(outFiles.filter((p) => /\.[a-z]+$/.test(p))).toEqual([
      'out/evilname-10x20.png',
      'out/fine-10x20.png',
      'out/sub/fine-10x20.png',
    ]);
    expect(all.filter((p) => !p.startsWith('in') && !p.startsWith('out'))).toEqual([]);
    // No temp file left behind.
    expect(all.filter((p) => p.endsWith('.tmp'))).toEqual([]);
  });
});
