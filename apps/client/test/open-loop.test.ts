import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeFrame, type Frame, FrameType } from '@tcpbalancer/protocol';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, runClient } from '../src/index.js';
import { clientArgs, type FakeBackend, OPEN_LOOP_RUN, startFakeBackend } from './helpers.js';

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70, 0, 1, 1, 1, 1, 1]);
const answer = (req: Frame): Frame => ({
  type: FrameType.Response,
  requestId: req.requestId,
  header: { backend: 'stall', width: 1, height: 1, format: 'jpeg', bytes: 0, ms: 0, dryRun: true },
  payload: Buffer.alloc(0),
});

/**
 * A server that stalls for 600 ms, 500 ms after the first request: whatever arrives meanwhile
 * is answered only at the end of the stall (like a GC pause or a stuck backend).
 */
describe('open loop (--rate): coordinated omission corrected', () => {
  let fake: FakeBackend;
  let dir: string;
  let first = 0;
  const STALL_AT = 500;
  const STALL_MS = 600;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tcpb-rate-'));
    await writeFile(path.join(dir, 'x.jpg'), JPEG);
    fake = await startFakeBackend((req, { socket }) => {
      const now = performance.now();
      if (first === 0) first = now;
      const stallStart = first + STALL_AT;
      const stallEnd = stallStart + STALL_MS;
      if (now >= stallStart && now < stallEnd) {
        setTimeout(() => {
          if (!socket.destroyed) {
            for (const part of encodeFrame(answer(req))) socket.write(part);
          }
        }, stallEnd - now);
        return undefined;
      }
      return [answer(req)];
    });
  });
  afterAll(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the timetable and counts latency from the scheduled time', async () => {
    const config = parseConfig([...clientArgs(fake.port, dir), ...OPEN_LOOP_RUN], {});
    const s = await runClient(config, { logger: pino({ level: 'silent' }) });
    expect(s.failed).toBe(0);
    // Every slot of the timetable goes out, late if need be: exactly rate × duration.
    expect(s.requests).toBe(200);
    // ~60 of 200 slots fall in the 600 ms stall; only 16 (4 connections × window 4) can be in
    // flight then. Measured from the scheduled time, the stall shows beyond p80; measured from
    // the send, only those 16 would be slow and p90 would stay near 0.
    expect(s.latencyMs.p90).toBeGreaterThan(150);
    expect(s.latencyMs.max).toBeGreaterThan(450);
    expect(s.latencyMs.p50).toBeLessThan(250);
  });
});
