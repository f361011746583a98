/**
 * PROXY protocol in the proxy, over real sockets: sent per pool (v1, v2) byte-exact, accepted per
 * listener from trusted sources only, bad/missing/late headers closed and counted, and the
 * header's client address used by logs, source-hash and per-source limits.
 */
import type { Socket } from 'node:net';
import { sleep, waitFor } from '@tcpbalancer/test-kit';
import { describe, expect, it } from 'vitest';
import type { ListenerConfig } from '../src/service-config.js';
import { testCleanup } from './helpers/cleanup.js';
import { collect, connectTo } from './helpers/clients.js';
import { startServer, type TestServer } from './helpers/servers.js';
import { listener, pool, type RunningService } from './helpers/service.js';

const cleanup = testCleanup();
const { service } = cleanup;

interface Recorder extends TestServer {
  /** Bytes each connection received, in accept order, complete once the client ended. */
  readonly got: Buffer[];
}
/** Records everything each connection sends, answers "ok" when the client half-closes. */
async function recorder(): Promise<Recorder> {
  const got: Buffer[] = [];
  const s = await startServer((socket) => {
    const i = got.push(Buffer.alloc(0)) - 1;
    socket.on('data', (c: Buffer) => (got[i] = Buffer.concat([got[i] as Buffer, c])));
    socket.on('end', () => socket.end('ok'));
  });
  cleanup.defer(() => s.close());
  return Object.assign(s, { got });
}
/** Connects, writes `bytes`, half-closes, returns what came back and how it ended. */
async function send(port: number, bytes: Buffer): Promise<{ data: string; how: string }> {
  const s = await connectTo(port);
  const out = collect(s);
  s.end(bytes);
  const r = await out;
  return { data: r.data.toString(), how: r.how };
}
const hex = (h: string) => Buffer.from(h.replace(/\s+/g, ''), 'hex');
const refused = (s: RunningService, name = 'in') =>
  s.service.state.listeners.get(name)?.stats().refused ?? {};
const trustLoopback = {
  accept: 'any' as const,
  trusted: [],
  headerTimeout: 3000,
  maxHeaderBytes: 1024,
};
async function cidrs(list: string[]) {
  const { parseCidr } = await import('../src/cidr.js');
  return list.map(parseCidr);
}

/** PROXY-protocol settings for the listener: `trustLoopback` with these sources trusted. */
type Accepting = Omit<Partial<NonNullable<ListenerConfig['proxyProtocol']>>, 'trusted'> & {
  trusted: string[];
};
/**
 * A recorder behind a service with one listener 'in' and one pool 'p': the listener reads a
 * PROXY header as `accepting` says (none when absent), the pool sends version `sending`.
 */
async function behind(
  accepting?: Accepting,
  sending?: 1 | 2,
): Promise<{ up: Recorder; s: RunningService }> {
  const up = await recorder();
  const read = accepting && {
    proxyProtocol: { ...trustLoopback, ...accepting, trusted: await cidrs(accepting.trusted) },
  };
  const s = await service(
    [listener('in', 'p', read)],
    [pool('p', [`127.0.0.1:${up.port}`], sending ? { proxyProtocol: sending } : {})],
  );
  return { up, s };
}

describe('PROXY protocol: send, per pool', () => {
  it('v1: the upstream first gets `PROXY TCP4 <client> <listener>` and then the bytes, exactly', async () => {
    const { up, s } = await behind(undefined, 1);
    const client = await connectTo(s.port('in'));
    const out = collect(client);
    const clientPort = client.localPort as number;
    client.end('hello');
    expect((await out).data.toString()).toBe('ok');
    expect(up.got[0]?.toString('latin1')).toBe(
      `PROXY TCP4 127.0.0.1 127.0.0.1 ${clientPort} ${s.port('in')}\r\nhello`,
    );
  });

  it('v2: signature, \\x21 \\x11, length 12, addresses, ports, then the bytes', async () => {
    const { up, s } = await behind(undefined, 2);
    const client = await connectTo(s.port('in'));
    const out = collect(client);
    const cp = (client.localPort as number).toString(16).padStart(4, '0');
    const lp = s.port('in').toString(16).padStart(4, '0');
    client.end('hello');
    await out;
    expect(up.got[0]).toEqual(
      Buffer.concat([
        hex(`0D0A0D0A000D0A515549540A 21 11 000C 7F000001 7F000001 ${cp} ${lp}`),
        Buffer.from('hello'),
      ]),
    );
  });
});

describe('PROXY protocol: accept, per listener', () => {
  const v1 = 'PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n';

  it('v1 in, v2 out: the upstream sees the original client and destination, the payload unchanged', async () => {
    const { up, s } = await behind({ trusted: ['127.0.0.0/8'] }, 2);
    expect(await send(s.port('in'), Buffer.from(`${v1}GET / HTTP/1.1\r\n\r\n`))).toEqual({
      data: 'ok',
      how: 'end',
    });
    expect(up.got[0]).toEqual(
      Buffer.concat([
        hex('0D0A0D0A000D0A515549540A 21 11 000C C0A80001 C0A8000B DC04 01BB'),
        Buffer.from('GET / HTTP/1.1\r\n\r\n'),
      ]),
    );
    await waitFor(() => s.logs.some((l) => l.msg === 'connection closed'), 'log line');
    expect(s.logs.find((l) => l.msg === 'connection closed')?.client).toBe('192.168.0.1:56324');
  });

  it('v2 in (header and payload in one segment or byte by byte), v1 out', async () => {
    const { up, s } = await behind({ accept: 'v2', trusted: ['::1', '127.0.0.1'] }, 1);
    const header = hex(
      '0D0A0D0A000D0A515549540A 21 21 0024 20010db8000000000000000000000001 20010db8000000000000000000000002 1F90 0050',
    );
    expect((await send(s.port('in'), Buffer.concat([header, Buffer.from('x')]))).data).toBe('ok');
    const c = await connectTo(s.port('in'));
    const out = collect(c);
    for (const b of Buffer.concat([header, Buffer.from('y')])) {
      c.write(Buffer.of(b));
      await sleep(1);
    }
    c.end();
    expect((await out).data.toString()).toBe('ok');
    expect(up.got.map((g) => g.toString())).toEqual([
      'PROXY TCP6 2001:db8::1 2001:db8::2 8080 80\r\nx',
      'PROXY TCP6 2001:db8::1 2001:db8::2 8080 80\r\ny',
    ]);
  });

  it('from an untrusted source: closed at once and counted; the upstream never hears of it', async () => {
    const { up, s } = await behind({ trusted: ['10.0.0.0/8'] });
    const r = await send(s.port('in'), Buffer.from(`${v1}hi`));
    expect(r.data).toBe('');
    expect(refused(s)).toEqual({ 'untrusted-source': 1 });
    expect(up.accepted).toBe(0);
  });

  it('missing, malformed, oversized and v1-where-v2-only headers: closed and counted, never guessed', async () => {
    const { up, s } = await behind({ accept: 'v2', maxHeaderBytes: 64, trusted: ['127.0.0.1'] });
    for (const bad of [
      'GET / HTTP/1.1\r\n\r\n',
      v1,
      hex('0D0A0D0A000D0A515549540A 21 11 0400').toString('latin1'),
      hex('0D0A0D0A000D0A515549540A 31 11 000C 00000000 00000000 0000 0000').toString('latin1'),
    ]) {
      expect((await send(s.port('in'), Buffer.from(bad, 'latin1'))).data).toBe('');
    }
    // The last: the client ends before a header is complete.
    expect((await send(s.port('in'), Buffer.from('\r\n\r\n', 'latin1'))).data).toBe('');
    expect(refused(s)).toEqual({ 'proxy-protocol': 5 });
    expect(up.accepted).toBe(0);
  });

  it('no header within the header timeout: closed and counted', async () => {
    const { s } = await behind({ trusted: ['127.0.0.1'] });
    const c: Socket = await connectTo(s.port('in'));
    const t0 = Date.now();
    const out = await collect(c);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2900);
    expect(out.data.length).toBe(0);
    expect(refused(s)).toEqual({ 'proxy-timeout': 1 });
  });

  it('source-hash and per-source limits use the address from the header', async () => {
    const a = await recorder();
    const b = await recorder();
    const s = await service(
      [
        listener('in', 'p', {
          proxyProtocol: { ...trustLoopback, trusted: await cidrs(['127.0.0.1']) },
          perSource: { maxConns: 1, rate: 0, burst: 1, maxTracked: 100 },
        }),
      ],
      [pool('p', [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`], { strategy: 'source-hash' })],
    );
    // 24 different clients behind one peer: the hash spreads them over both upstreams.
    for (let i = 1; i <= 24; i++) {
      expect(
        (await send(s.port('in'), Buffer.from(`PROXY TCP4 10.0.${i}.7 10.0.0.1 4000 80\r\n`))).data,
      ).toBe('ok');
    }
    expect(a.accepted).toBeGreaterThan(0);
    expect(b.accepted).toBeGreaterThan(0);
    expect(a.accepted + b.accepted).toBe(24);
    // One client, one connection at a time: a second one from the same header address is refused …
    const held = await connectTo(s.port('in'));
    held.write('PROXY TCP4 10.9.9.9 10.0.0.1 4000 80\r\n');
    await waitFor(() => a.accepted + b.accepted === 25, 'held connection upstream');
    expect(
      (await send(s.port('in'), Buffer.from('PROXY TCP4 10.9.9.9 10.0.0.1 4001 80\r\n'))).data,
    ).toBe('');
    // … while another client behind the same peer is not.
    expect(
      (await send(s.port('in'), Buffer.from('PROXY TCP4 10.9.9.8 10.0.0.1 4001 80\r\n'))).data,
    ).toBe('ok');
    expect(refused(s)).toEqual({ 'per-source-conns': 1 });
    held.destroy();
  });
});
