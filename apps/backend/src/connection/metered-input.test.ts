import { once } from 'node:events';
import net, { type Socket } from 'node:net';
import { encodeFrameToBuffer, pingFrame, requestFrame } from '@tcpbalancer/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { BufferBudget } from '../buffer-budget.js';
import { createMetrics } from '../metrics.js';
import { MeteredInput, tagInput } from './metered-input.js';

/** A real connected pair on loopback: `server` is the accepted side the input reads. */
async function pair(): Promise<{ server: Socket; client: Socket; close: () => void }> {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as net.AddressInfo).port;
  const client = net.connect(port, '127.0.0.1');
  const [server] = (await once(srv, 'connection')) as [Socket];
  server.on('error', () => {});
  client.on('error', () => {});
  return {
    server,
    client,
    close: () => {
      client.destroy();
      server.destroy();
      srv.close();
    },
  };
}

const request = (id: number, bytes: number) =>
  encodeFrameToBuffer(requestFrame(id, { width: 1 }, Buffer.alloc(bytes, 7)));

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
});

async function setup(limit = 1 << 20) {
  const p = await pair();
  cleanup = p.close;
  const budget = new BufferBudget(limit);
  const metrics = createMetrics(
    { backend: 't' },
    { bufferedBytes: () => 0, resizesRunning: () => 0 },
  );
  const input = new MeteredInput(p.server, {}, 0, budget, metrics);
  tagInput(p.server, input);
  return { ...p, budget, metrics, input };
}

describe('MeteredInput', () => {
  it('holds exactly the frame in progress plus unreleased payloads, in one counter', async () => {
    const { input, budget } = await setup();
    const bytes = Buffer.concat([request(1, 1000), request(2, 500)]);
    input.push(bytes.subarray(0, 700)); // inside the first frame
    expect(input.held).toBe(700);
    expect(input.hasFrames).toBe(false);
    input.push(bytes.subarray(700, 1200)); // the first frame completes, the second starts
    expect(input.hasFrames).toBe(true);
    const first = input.next()!;
    expect(first.requestId).toBe(1);
    const secondSoFar = 1200 - (bytes.length - request(2, 500).length);
    expect(input.held).toBe(1000 + secondSoFar);
    expect(budget.used).toBe(input.held);
    input.release(first.payload.length);
    input.push(bytes.subarray(1200));
    input.release(input.next()!.payload.length);
    expect(input.held).toBe(0);
    expect(budget.used).toBe(0);
  });

  it('a malformed frame: the frames before it first, then the failure; its bytes released', async () => {
    const { input, budget } = await setup();
    input.push(Buffer.concat([request(1, 100), Buffer.from('GET / HTTP/1.1\r\n')]));
    expect(input.failure).toBeUndefined(); // the good frame is still to be taken
    const f = input.next()!;
    expect(f.requestId).toBe(1);
    expect(input.failure?.code).toBe('ERR_BAD_MAGIC');
    expect(input.held).toBe(100);
    input.release(100);
    expect(budget.used).toBe(0);
  });

  it('pauses the socket while the read task is busy; resumes when it parks', async () => {
    const { input, server } = await setup();
    input.start();
    expect(server.isPaused()).toBe(false);
    input.push(encodeFrameToBuffer(pingFrame(1))); // not parked: a busy reader
    expect(server.isPaused()).toBe(true);
    input.next();
    const ac = new AbortController();
    const parked = input.waitForInput(ac.signal);
    expect(server.isPaused()).toBe(false);
    input.wake();
    await parked;
  });

  it('over the budget: paused and counted; resumed once the budget drops', async () => {
    const { input, server, budget, metrics } = await setup(64 * 1024);
    input.start();
    budget.add(64 * 1024); // someone else holds the whole budget
    const ac = new AbortController();
    void input.waitForInput(ac.signal).catch(() => {});
    input.push(request(1, 10).subarray(0, 10));
    expect(server.isPaused()).toBe(true);
    expect(
      (await metrics.registry.getSingleMetricAsString('tcpb_backend_budget_pauses_total')).trim(),
    ).toMatch(/ 1$/);
    budget.sub(64 * 1024);
    await new Promise((r) => setImmediate(r));
    expect(server.isPaused()).toBe(false);
    ac.abort();
  });

  it('reads a real socket; close() gives everything back and ignores later releases', async () => {
    const { input, client, budget } = await setup();
    input.start();
    const ac = new AbortController();
    client.write(request(9, 4000));
    while (!input.hasFrames) await input.waitForInput(ac.signal);
    const f = input.next()!;
    expect(f.payload.length).toBe(4000);
    expect(budget.used).toBe(4000);
    input.close();
    expect(budget.used).toBe(0);
    input.release(4000);
    expect(budget.used).toBe(0);
  });
});
