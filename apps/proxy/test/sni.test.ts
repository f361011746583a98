/**
 * TLS passthrough routed by SNI, with real node:tls servers and clients (and openssl s_client):
 * the handshake completes end to end through the proxy with the right upstream's certificate;
 * exact names, *.wildcards, the default pool; non-TLS, malformed and slow hellos are closed and
 * counted.
 */
import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import {
  createServer as createTlsServer,
  type Server as TlsServer,
  connect as tlsConnect,
} from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, connectTo } from './helpers/clients.js';
import {
  listener,
  pool,
  type RunningService,
  serviceConfig,
  startService,
} from './helpers/service.js';
import { type ThrowawayCert, throwawayCert } from './helpers/tls-certs.js';

interface Upstream {
  readonly cert: ThrowawayCert;
  readonly server: TlsServer;
  readonly port: number;
}
/** A TLS server that answers each line with `<its name>:<line>`. */
async function tlsUpstream(cert: ThrowawayCert): Promise<Upstream> {
  const server = createTlsServer({ key: cert.key, cert: cert.cert }, (s) => {
    s.on('error', () => {});
    s.on('data', (d: Buffer) => s.write(`${cert.name}:${d.toString()}`));
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { cert, server, port: (server.address() as AddressInfo).port };
}

let a: Upstream;
let wild: Upstream;
let dflt: Upstream;
let s: RunningService;
const sni = (routes: Record<string, string>, extra: object = {}) => ({
  sni: { routes, maxHelloBytes: 16_384, helloTimeout: 600, ...extra },
});

beforeAll(async () => {
  a = await tlsUpstream(throwawayCert('a.example.com'));
  wild = await tlsUpstream(throwawayCert('wild.example.org', ['*.example.org']));
  dflt = await tlsUpstream(throwawayCert('default.test'));
  s = await startService(
    serviceConfig(
      [
        listener('tls', sni({ 'a.example.com': 'pa', '*.example.org': 'pw' }, { default: 'pd' })),
        listener('strict', sni({ 'a.example.com': 'pa' })),
      ],
      [
        pool('pa', [`127.0.0.1:${a.port}`]),
        pool('pw', [`127.0.0.1:${wild.port}`]),
        pool('pd', [`127.0.0.1:${dflt.port}`]),
      ],
    ),
  );
}, 30_000);
afterAll(async () => {
  await s?.close();
  for (const u of [a, wild, dflt]) u?.server.close();
});

/** A TLS client through the proxy: handshake, one line, the answer and the server's cert. */
function tlsThrough(
  port: number,
  opts: { servername?: string; ca: Buffer; verifyName?: boolean },
): Promise<{ answer: string; cn: string; authorized: boolean }> {
  return new Promise((resolve, reject) => {
    const c = tlsConnect({
      host: '127.0.0.1',
      port,
      ca: opts.ca,
      ...(opts.servername !== undefined ? { servername: opts.servername } : {}),
      ...(opts.verifyName === false ? { checkServerIdentity: () => undefined } : {}),
    });
    c.once('error', reject);
    c.once('secureConnect', () => {
      const cn = String(c.getPeerCertificate().subject?.CN);
      c.once('data', (d: Buffer) => {
        resolve({ answer: d.toString(), cn, authorized: c.authorized });
        c.end();
      });
      c.write('hello');
    });
  });
}

describe('SNI routing, TLS passed through untouched', () => {
  // The client trusts only the upstream it should reach, and checks the name it sent against
  // that certificate unless the default pool answers (its certificate is not for that name).
  it.each([
    // An exact name reaches its pool.
    { servername: 'a.example.com', reaches: 'a.example.com' },
    // A wildcard covers names under it, case-insensitive; exact names and the longest match win.
    { servername: 'shop.example.org', reaches: 'wild.example.org' },
    { servername: 'API.Example.ORG', reaches: 'wild.example.org' },
    // The apex is not under the wildcard; no server name or an unknown one: the default pool.
    { servername: 'example.org', reaches: 'default.test' },
    { servername: undefined, reaches: 'default.test' },
    { servername: 'x.nowhere.test', reaches: 'default.test' },
  ])('server name $servername reaches $reaches', async ({ servername, reaches }) => {
    const { cert } = [a, wild, dflt].find((u) => u.cert.name === reaches) as Upstream;
    const verifyName = reaches !== dflt.cert.name;
    const r = await tlsThrough(s.port('tls'), { servername, ca: cert.cert, verifyName });
    expect(r).toEqual({ answer: `${reaches}:hello`, cn: reaches, authorized: true });
  });

  it('openssl s_client completes the handshake and verifies the routed certificate', async () => {
    const out = await new Promise<string>((resolve) => {
      const child = execFile(
        'openssl',
        [
          's_client',
          '-connect',
          `127.0.0.1:${s.port('tls')}`,
          '-servername',
          'a.example.com',
          '-CAfile',
          a.cert.certFile,
          '-verify_return_error',
          '-verify_hostname',
          'a.example.com',
        ],
        { timeout: 10_000 },
        (_err, stdout) => resolve(stdout),
      );
      child.stdin?.end('Q\n');
    });
    expect(out).toContain('Verify return code: 0 (ok)');
    expect(out).toMatch(/subject=\/?CN\s?=\s?a\.example\.com/);
  });

  const refusedOf = (name: string) => s.service.state.listeners.get(name)?.stats().refused ?? {};

  it('without a default, an unknown name is closed and counted', async () => {
    await expect(
      tlsThrough(s.port('strict'), { servername: 'b.example.com', ca: a.cert.cert }),
    ).rejects.toThrow();
    expect(refusedOf('strict')['sni-no-route']).toBe(1);
  });

  it('non-TLS, a malformed hello and a hello that never completes are closed and counted', async () => {
    const before = { ...refusedOf('tls') };
    const send = async (bytes: Buffer) => {
      const c = await connectTo(s.port('tls'));
      const out = collect(c);
      c.write(bytes);
      return out;
    };
    expect((await send(Buffer.from('GET / HTTP/1.1\r\n\r\n'))).data.length).toBe(0);
    // A handshake record whose message is a ServerHello (type 2), not a ClientHello.
    expect((await send(Buffer.from('160301000502000001ff', 'hex'))).data.length).toBe(0);
    // Half a record header, then silence: closed at the hello timeout (600 ms here).
    const t0 = Date.now();
    expect((await send(Buffer.from('160301', 'hex'))).data.length).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(550);
    const after = refusedOf('tls');
    const delta = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
    expect([delta('sni-not-tls'), delta('sni-bad-hello'), delta('sni-timeout')]).toEqual([1, 1, 1]);
  });
});
