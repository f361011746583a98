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
});
