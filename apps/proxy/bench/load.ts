/**
 * The load generator, one long-lived process pinned beside the backend. It reads commands as
 * JSON lines on stdin and answers each with one JSON line on stdout:
 *   {"scenario":"request-rate"|"connection-rate"|"bulk","port":P,"opts":{…}} → {"result":{…}}
 *   {"scenario":"idle-open","port":P,"opts":{"count":N}}                   → {"result":{"open":N}}
 *   {"scenario":"idle-close"}                                              → {"result":{"closed":N}}
 */
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { bulkThroughput } from './scenarios/bulk-throughput.js';
import { connectionRate } from './scenarios/connection-rate.js';
import { openIdle } from './scenarios/idle-memory.js';
import { requestRate } from './scenarios/request-rate.js';

const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
let idle: Socket[] = [];

async function handle(cmd: {
  scenario: string;
  port: number;
  opts: Record<string, number>;
}): Promise<unknown> {
  switch (cmd.scenario) {
    case 'request-rate':
      return requestRate(cmd.port, cmd.opts as Parameters<typeof requestRate>[1]);
    case 'connection-rate':
      return connectionRate(cmd.port, cmd.opts as Parameters<typeof connectionRate>[1]);
    case 'bulk':
      return bulkThroughput(cmd.port, cmd.opts as Parameters<typeof bulkThroughput>[1]);
    case 'idle-open':
      idle = await openIdle(cmd.port, cmd.opts.count as number);
      return { open: idle.length };
    case 'idle-close': {
      for (const s of idle) s.destroy();
      const closed = idle.length;
      idle = [];
      return { closed };
    }
    default:
      throw new Error(`unknown scenario ${cmd.scenario}`);
  }
}

// One command at a time, in order.
let chain = Promise.resolve();
createInterface({ input: process.stdin })
  .on('line', (line) => {
    chain = chain.then(async () => {
      try {
        out({ result: await handle(JSON.parse(line)) });
      } catch (err) {
        out({ error: String(err) });
      }
    });
  })
  .on('close', () => {
    void chain.then(() => process.exit(0));
  });
out({ ready: true });
