import { FrameType, parseResizeResponse } from '@tcpbalancer/protocol';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createBackend, defaultConfig } from '../src/index.js';
import { FramePeer, noise } from './helpers.js';

describe('createBackend in-process', () => {
  it('listens, answers, drains on close(), and close/destroy are idempotent', async () => {
    const backend = createBackend(
      defaultConfig({ port: 0, host: '127.0.0.1', name: 'inproc', concurrency: 1 }),
      pino({ level: 'silent' }),
    );
    const { port, metricsPort } = await backend.listen();
    expect(metricsPort).toBeUndefined();
    expect(backend.address?.port).toBe(port);
    const img = await noise(200, 150).jpeg().toBuffer();
    const c = await FramePeer.connect(port);
    const ids = [c.send({ width: 50 }, img), c.send({ width: 60 }, img)];
    await c.until((fs) => fs.length >= 1);
    expect(backend.connections).toBe(1);
    const closing = backend.close();
    expect(backend.close()).toBe(closing);
    await closing;
    await c.waitClosed(2000);
    for (const id of ids) {
      const f = c.frames.find((x) => x.requestId === id)!;
      expect(f.type).toBe(FrameType.Response);
      expect(parseResizeResponse(f.header).backend).toBe('inproc');
    }
    expect(backend.connections).toBe(0);
    await backend.destroy();
    await backend.destroy();
  });
});
