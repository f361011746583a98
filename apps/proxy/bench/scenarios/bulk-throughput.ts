/**
 * One stream: the backend sends as fast as it can through the proxy to us; MB/s (10^6 bytes)
 * counted over `durationMs` after a `warmupMs` ramp (TCP windows grow, JIT warms up).
 */
import { connect } from 'node:net';

export interface BulkResult {
  bytes: number;
  seconds: number;
  mbPerSec: number;
}

export function bulkThroughput(
  port: number,
  opts: { durationMs: number; warmupMs: number },
): Promise<BulkResult> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', noDelay: true });
    let bytes = 0;
    let t0 = 0;
    s.on('error', reject);
    s.on('connect', () => {
      const req = Buffer.alloc(5);
      req[0] = 0x42;
      req.writeUInt32BE(0xffffffff, 1); // "until I hang up"
      s.write(req);
      setTimeout(() => {
        bytes = 0;
        t0 = performance.now();
        setTimeout(() => {
          const seconds = (performance.now() - t0) / 1000;
          const counted = bytes;
          s.destroy();
          resolve({ bytes: counted, seconds, mbPerSec: counted / 1e6 / seconds });
        }, opts.durationMs);
      }, opts.warmupMs);
    });
    s.on('data', (c: Buffer) => {
      bytes += c.length;
    });
  });
}
