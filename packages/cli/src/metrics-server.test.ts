import { describe, expect, it } from 'vitest';
import { healthRoute, jsonRoute, prometheusRoute, startMetricsServer } from './metrics-server.js';

function recorder() {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
  return {
    lines,
    logger: {
      info: (obj: Record<string, unknown>, msg: string) => lines.push({ level: 'info', obj, msg }),
      error: (obj: Record<string, unknown>, msg: string) =>
        lines.push({ level: 'error', obj, msg }),
    },
  };
}

describe('startMetricsServer', () => {
  it('serves its routes; a failing route is logged with its Error and answered 500 without its text', async () => {
    const { lines, logger } = recorder();
    let healthy = true;
    const server = await startMetricsServer({
      port: 0,
      host: '127.0.0.1',
      logger: logger as never,
      routes: {
        '/metrics': prometheusRoute({
          contentType: 'text/plain; version=0.0.4',
          metrics: async () => 'x 1\n',
        }),
        '/healthz': healthRoute(() => healthy, 'draining'),
        '/stats': jsonRoute(() => ({ a: 1 })),
        '/boom': async () => {
          throw new Error('secret internals');
        },
      },
    });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      const m = await fetch(`${base}/metrics`);
      expect(m.status).toBe(200);
      expect(m.headers.get('content-type')).toContain('version=0.0.4');
      expect(await m.text()).toBe('x 1\n');
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      healthy = false;
      const h = await fetch(`${base}/healthz`);
      expect([h.status, await h.text()]).toEqual([503, 'draining\n']);
      expect(await (await fetch(`${base}/stats?x=1`)).json()).toEqual({ a: 1 });
      const nf = await fetch(`${base}/nope`);
      expect([nf.status, await nf.text()]).toEqual([
        404,
        'not found: try /metrics, /healthz, /stats, /boom\n',
      ]);
      expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
      const boom = await fetch(`${base}/boom`);
      expect([boom.status, await boom.text()]).toEqual([500, 'internal error\n']);
      const logged = lines.find((l) => l.msg === 'metrics request failed');
      expect(logged?.level).toBe('error');
      expect(logged?.obj.err).toBeInstanceOf(Error);
      expect(logged?.obj.path).toBe('/boom');
      expect(lines[0]).toMatchObject({ msg: 'metrics listening', obj: { port: server.port } });
    } finally {
      await server.close();
    }
  });

  it("a port in use rejects with Node's error (for the shell to turn into one line)", async () => {
    const { logger } = recorder();
    const a = await startMetricsServer({
      port: 0,
      host: '127.0.0.1',
      logger: logger as never,
      routes: {},
    });
    try {
      await expect(
        startMetricsServer({
          port: a.port,
          host: '127.0.0.1',
          logger: logger as never,
          routes: {},
        }),
      ).rejects.toMatchObject({ code: 'EADDRINUSE', syscall: 'listen', port: a.port });
    } finally {
      await a.close();
    }
  });
});
