import { describe, expect, it } from 'vitest';
import { formatSummary, type Summary } from './summary.js';

const base: Summary = {
  mode: 'resize',
  dryRun: false,
  openLoop: false,
  requests: 3,
  ok: 2,
  failed: 1,
  seconds: 1.5,
  rps: 2,
  latencyMs: { p50: 1, p90: 2, p99: 3, max: 4, mean: 1.5 },
  bytesSent: 3_000_000,
  bytesReceived: 1_000_000,
  backends: { 'backend-1': 1, 'backend-2': 1 },
  retries: 0,
  connections: 2,
  rounds: 1,
  images: 3,
  skipped: [{ path: 'notes.txt', reason: 'NOT_AN_IMAGE' }],
  skippedCount: 1,
  errors: { ERR_IMAGE_CORRUPT: 1 },
  failures: [{ path: 'bad.jpg', round: 1, code: 'ERR_IMAGE_CORRUPT', message: 'corrupt' }],
  written: 2,
};

describe('formatSummary', () => {
  it('shows counts, MB, latency, backends, each failure and skip', () => {
    const t = formatSummary(base);
    expect(t).toMatch(/ok\s+2/);
    expect(t).toMatch(/failed\s+1/);
    expect(t).toMatch(/MB sent\s+3\.00/);
    expect(t).toMatch(/p50 1\s+p90 2\s+p99 3\s+max 4/);
    expect(t).toMatch(/backend-1\s+1\s+50\.0 %/);
    expect(t).toContain('bad.jpg: ERR_IMAGE_CORRUPT: corrupt');
    expect(t).toContain('notes.txt: NOT_AN_IMAGE');
  });

  it('a run given up: identical failures shown a few times, then counted', () => {
    const msg =
      'no backend answered through 127.0.0.1:7000: 12 connections closed before any answer';
    const failures = Array.from({ length: 200 }, (_, i) => ({
      path: `img-${i}.jpg`,
      round: 1,
      code: 'ERR_NO_BACKEND',
      message: msg,
    }));
    const t = formatSummary({
      ...base,
      ok: 0,
      failed: 201,
      failures: [...failures, { path: 'bad.jpg', round: 1, code: 'ERR_X', message: 'x' }],
      aborted: msg,
    });
    const lines = t.split('\n');
    expect(lines.filter((l) => l.includes(msg))).toHaveLength(5 + 1);
    expect(t).toContain('img-4.jpg: ERR_NO_BACKEND');
    expect(t).not.toContain('img-5.jpg');
    expect(t).toContain(`… and 195 more: ERR_NO_BACKEND: ${msg}`);
    expect(t).toContain('bad.jpg: ERR_X: x');
    expect(t).toMatch(/failed \(201\)/);
  });
});
