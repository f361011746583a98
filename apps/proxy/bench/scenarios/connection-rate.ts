/** New connections per second: `concurrency` loops of connect, 16-byte echo, close. */
import { connect } from 'node:net';
import { MeasuredWindow } from './measured-window.js';

export interface ConnectionRateResult {
  connections: number;
  errors: number;
  seconds: number;
  cps: number;
}

function once(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', noDelay: true });
    let got = 0;
    s.on('error', reject);
    s.on('connect', () => s.write('E0123456789abcdef'));
    s.on('data', (c: Buffer) => {
      got += c.length;
      if (got >= 16) s.end();
    });
    s.on('close', () => (got >= 16 ? resolve() : reject(new Error('short answer'))));
  });
}

export async function connectionRate(
  port: number,
  opts: { concurrency: number; durationMs: number; warmupMs: number },
): Promise<ConnectionRateResult> {
  const measured = new MeasuredWindow();
  let connections = 0;
  let errors = 0;
  const loops = Array.from({ length: opts.concurrency }, async () => {
    while (!measured.stopped) {
      try {
        await once(port);
        if (measured.counting) connections++;
      } catch {
        if (measured.counting) errors++;
      }
    }
  });
  const { counted, seconds } = await measured.run(opts, () => connections);
  await Promise.allSettled(loops);
  return { connections: counted, errors, seconds, cps: counted / seconds };
}
