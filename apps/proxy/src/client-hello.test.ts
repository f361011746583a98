import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { connect } from 'node:tls';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { peekClientHello } from './client-hello.js';

/** The first flight of a real node:tls client (a ClientHello for `servername`). */
async function realHello(servername?: string): Promise<Buffer> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const got = once(server, 'connection').then(async ([socket]) => {
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    socket.destroy();
    return chunk;
  });
  const c = connect({
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    ...(servername ? { servername } : {}),
  });
  c.on('error', () => {});
  const hello = await got;
  c.destroy();
  server.close();
  return hello;
}

/** The same handshake message re-framed as two TLS records, split at `at`. */
function twoRecords(hello: Buffer, at: number): Buffer {
  const msg = hello.subarray(5);
  const rec = (part: Buffer) => {
    const h = Buffer.from(hello.subarray(0, 5));
    h.writeUInt16BE(part.length, 3);
    return Buffer.concat([h, part]);
  };
  return Buffer.concat([rec(msg.subarray(0, at)), rec(msg.subarray(at))]);
}

let hello: Buffer;
beforeAll(async () => {
  hello = await realHello('Shop.Example.ORG');
});

describe('peekClientHello', () => {
  it('finds the server name of a real ClientHello, lowercased', () => {
    expect(peekClientHello(hello, 16_384)).toEqual({
      kind: 'hello',
      serverName: 'shop.example.org',
    });
  });

  it('no SNI extension: a hello without a name', async () => {
    expect(peekClientHello(await realHello(), 16_384)).toEqual({
      kind: 'hello',
      serverName: undefined,
    });
  });

  it('every proper prefix asks for more; a hello split over two records parses the same', () => {
    for (let n = 1; n < hello.length; n++)
      expect(peekClientHello(hello.subarray(0, n), 16_384).kind).toBe('more');
    for (const at of [1, 3, 4, 40, hello.length - 6]) {
      expect(peekClientHello(twoRecords(hello, at), 16_384)).toEqual({
        kind: 'hello',
        serverName: 'shop.example.org',
      });
    }
  });

  it('bounded: a hello longer than maxBytes is too-large as soon as its length is known', () => {
    expect(peekClientHello(hello.subarray(0, 9), hello.length - 10).kind).toBe('too-large');
  });

  it('not TLS, or not a ClientHello', () => {
    expect(peekClientHello(Buffer.from('GET /'), 16_384).kind).toBe('not-tls');
    expect(peekClientHello(Buffer.from('1602', 'hex'), 16_384).kind).toBe('not-tls');
    expect(peekClientHello(Buffer.from('160301000502000001ff', 'hex'), 16_384).kind).toBe(
      'malformed',
    );
    expect(peekClientHello(Buffer.from('1603010000', 'hex'), 16_384).kind).toBe('malformed');
  });

  it('never throws on arbitrary or mutated input', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc
            .uint8Array({ maxLength: 600 })
            .map((b) => Buffer.concat([Buffer.from('1603', 'hex'), b])),
          fc.tuple(fc.nat(), fc.nat(255), fc.nat(600)).map(([at, byte, cut]) => {
            const b = Buffer.from(hello);
            b[at % b.length] = byte;
            return b.subarray(0, Math.max(1, b.length - cut));
          }),
        ),
        (bytes) => {
          const r = peekClientHello(bytes, 4096);
          expect(['more', 'hello', 'not-tls', 'too-large', 'malformed']).toContain(r.kind);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
