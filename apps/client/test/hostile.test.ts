import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Frame, FrameType } from '@tcpbalancer/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeBackend, lastJson, runCli, startFakeBackend } from './helpers.js';

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70, 0, 1, 1, 1, 1, 1]);
const PAYLOAD = Buffer.from('resized-bytes');

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
  bytes: PAYLOAD.length,
  ms: 1,
};

/** Image name → the answer header the fake backend sends for it. */
const HOSTILE: Record<string, Record<string, unknown>> = {
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
    for (const name of [
      ...Object.keys(HOSTILE),
      'nan.jpg',
      'silent.jpg',
      'fine.jpg',
      'evilname.jpg',
    ]) {
      await writeFile(path.join(work, 'in', name), JPEG);
    }
    await writeFile(path.join(work, 'in/sub/fine.jpg'), JPEG);
    fake = await startFakeBackend((req: Frame, socket) => {
      const name = String(req.header.name);
      if (name === 'silent.jpg') return undefined; // never answers: times out, retried, fails
      if (name === 'nan.jpg') {
        // Not JSON at all: the decoder rejects it, the connection is dropped, the request retried, then failed.
        socket.write(rawFrame(FrameType.Response, req.requestId, '{"width":NaN}', PAYLOAD));
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
      '--proxy',
      `127.0.0.1:${fake.port}`,
      '--input',
      input(),
      '--output',
      output(),
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
    };
    const failedPaths = s.failures.map((f) => f.path).sort();
    expect(failedPaths).toEqual([...Object.keys(HOSTILE), 'nan.jpg', 'silent.jpg'].sort());
    const special: Record<string, string> = {
      'nan.jpg': 'ERR_CONNECTION_LOST',
      'silent.jpg': 'ERR_REQUEST_TIMEOUT',
    };
    for (const f of s.failures) expect(f.code).toBe(special[f.path] ?? 'ERR_BAD_RESPONSE');
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
