/**
 * Encode/decode throughput in MB/s for 1 KiB and 1 MiB payloads.
 * Baseline alongside: a naive length-prefixed JSON+payload codec (Buffer.concat to encode,
 * JSON.parse + subarray to decode, no validation, no streaming), so the ratio shows what the
 * checks and the streaming state machine cost. Zero-copy paths show huge MB/s: they do not
 * touch the payload at all. Scale with BENCH_SECONDS (default 0.5 per case).
 * BENCH_RESULTS_DIR: also write `protocol.json` there (the repo's benchmark convention), rows
 * per payload size: streaming decode of 64 KiB socket pieces vs the naive gather (one
 * Buffer.concat of the pieces + JSON.parse, no checks), and encode to one buffer vs the naive encode.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  encodeFrame,
  encodeFrameToBuffer,
  type Frame,
  FrameDecoder,
  FrameType,
} from '../src/index.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 0.5);
const header = {
  width: 800,
  height: 600,
  fit: 'cover',
  format: 'webp',
  quality: 80,
  name: 'photo-0001.jpg',
};

function measure(fn: () => number): number {
  // Warm up, then run for SECONDS; returns MB/s (MB = 1e6 bytes of payload).
  const warm = performance.now();
  while (performance.now() - warm < 100) fn();
  let bytes = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < 16; i++) bytes += fn();
    elapsed = performance.now() - start;
  } while (elapsed < SECONDS * 1000);
  return bytes / 1e6 / (elapsed / 1000);
}

const rows: Array<Record<string, string>> = [];
const jsonRows: Array<Record<string, string | number>> = [];
const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;
for (const [label, size] of [
  ['1 KiB', 1024],
  ['1 MiB', 1024 * 1024],
] as const) {
  const payload = Buffer.alloc(size, 7);
  const frame: Frame = { type: FrameType.Request, requestId: 1, header, payload };
  const wire = encodeFrameToBuffer(frame);
  const naiveEncode = () => {
    const h = Buffer.from(JSON.stringify(header));
    const len = Buffer.allocUnsafe(8);
    len.writeUInt32BE(h.length, 0);
    len.writeUInt32BE(payload.length, 4);
    return Buffer.concat([len, h, payload]);
  };
  const naiveWire = naiveEncode();
  // 64 KiB pieces, the size a socket hands over.
  const pieces: Buffer[] = [];
  for (let i = 0; i < wire.length; i += 65536) pieces.push(wire.subarray(i, i + 65536));
  const dec = new FrameDecoder();

  const baseEncode = measure(() => {
    naiveEncode();
    return size;
  });
  const baseDecode = measure(() => {
    const hl = naiveWire.readUInt32BE(0);
    const pl = naiveWire.readUInt32BE(4);
    JSON.parse(naiveWire.toString('utf8', 8, 8 + hl));
    naiveWire.subarray(8 + hl, 8 + hl + pl);
    return size;
  });
  // Chunked baseline: gather the socket pieces with one Buffer.concat, parse the JSON.
  const baseChunked = measure(() => {
    const whole = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
    const hl = whole.readUInt32BE(8);
    JSON.parse(whole.toString('utf8', 20, 20 + hl));
    return size;
  });
  const encode = measure(() => {
    encodeFrame(frame);
    return size;
  });
  const encodeConcat = measure(() => {
    encodeFrameToBuffer(frame);
    return size;
  });
  const decodeWhole = measure(() => {
    dec.push(wire);
    return size;
  });
  const decodeChunked = measure(() => {
    for (const p of pieces) dec.push(p);
    return size;
  });
  jsonRows.push(
    {
      scenario: `decode ${label} payload from 64 KiB pieces vs naive Buffer.concat + JSON.parse`,
      unit: 'MB/s',
      ours: round(decodeChunked),
      baseline: round(baseChunked),
      ratio: round(decodeChunked / baseChunked, 3),
      target: 'info: the naive baseline checks no limits',
    },
    {
      // Like for like: one contiguous buffer each (the zero-copy [prefix, payload] form does not
      // touch the payload, so its MB/s says nothing comparable).
      scenario: `encode ${label} payload to one buffer vs naive Buffer.concat encode`,
      unit: 'MB/s',
      ours: round(encodeConcat),
      baseline: round(baseEncode),
      ratio: round(encodeConcat / baseEncode, 3),
      target: 'info: the naive baseline checks no limits',
    },
  );
  const fmt = (x: number, base: number) => `${x.toFixed(0)} MB/s (${(x / base).toFixed(2)}x)`;
  rows.push({
    payload: label,
    'naive encode (baseline)': `${baseEncode.toFixed(0)} MB/s`,
    'encode [prefix, payload]': fmt(encode, baseEncode),
    'encode to one buffer': fmt(encodeConcat, baseEncode),
    'naive decode (baseline)': `${baseDecode.toFixed(0)} MB/s`,
    'decode one chunk': fmt(decodeWhole, baseDecode),
    'concat 64 KiB chunks (baseline)': `${baseChunked.toFixed(0)} MB/s`,
    'decode 64 KiB chunks': fmt(decodeChunked, baseChunked),
  });
}
console.log(
  `@tcpbalancer/protocol codec throughput (node ${process.version}, ${SECONDS}s per case)`,
);
console.table(rows);

const resultsDir = process.env.BENCH_RESULTS_DIR;
if (resultsDir) {
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, 'protocol.json');
  writeFileSync(
    file,
    `${JSON.stringify({ workspace: '@tcpbalancer/protocol', rows: jsonRows }, null, 2)}\n`,
  );
  console.log(`results written to ${file}`);
}
