import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeV1,
  encodeV2,
  type ProxyEndpoint,
  ProxyHeaderParser,
  parseProxyHeader,
} from '../src/index.js';

const code = (c: string) => expect.objectContaining({ code: c });
const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
const v6 = fc.ipV6();
const port = fc.integer({ min: 0, max: 65535 });
const endpoints = (addr: fc.Arbitrary<string>) =>
  fc.record({
    source: fc.record({ address: addr, port }),
    destination: fc.record({ address: addr, port }),
  });

/** Splits `buf` at the given cut points (pushed chunk by chunk). */
function pushInPieces(parser: ProxyHeaderParser, buf: Buffer, cuts: number[]) {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  let result: ReturnType<ProxyHeaderParser['push']>;
  for (const to of [...points, buf.length]) {
    if (to <= from && to !== buf.length) continue;
    result = parser.push(buf.subarray(from, to));
    from = to;
    if (result !== undefined) return { result, unread: buf.subarray(from) };
  }
  return { result: undefined, unread: Buffer.alloc(0) };
}

describe('ProxyHeaderParser: properties', () => {
  it('round-trips any TCP4/TCP6 endpoints through v1 and v2, whatever the chunking', () => {
    fc.assert(
      fc.property(
        fc.oneof(endpoints(v4), endpoints(v6)),
        fc.constantFrom(1 as const, 2 as const),
        fc.uint8Array({ maxLength: 64 }),
        fc.array(fc.nat(400), { maxLength: 8 }),
        (ep, version, payload, cuts) => {
          const header = version === 1 ? encodeV1(ep) : encodeV2(ep);
          const wire = Buffer.concat([header, payload]);
          const { result, unread } = pushInPieces(new ProxyHeaderParser(), wire, cuts);
          expect(result).toBeDefined();
          const h = result!.header;
          expect(h.version).toBe(version);
          expect(h.length).toBe(header.length);
          const same = (a: ProxyEndpoint | undefined, b: ProxyEndpoint) => {
            expect(a?.port).toBe(b.port);
            // canonical text both ways: parse(format(x)) === x for the bytes
            expect(encodeV2({ source: a!, destination: a! })).toEqual(
              encodeV2({ source: b, destination: b }),
            );
          };
          same(h.source, ep.source);
          same(h.destination, ep.destination);
          expect(Buffer.concat([result!.rest, unread])).toEqual(Buffer.from(payload));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('never throws anything but a ProxyProtocolError and never holds more than the limit + a chunk', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          // mutations of valid headers: the interesting inputs
          fc
            .tuple(endpoints(v4), fc.boolean(), fc.nat(60), fc.nat(255))
            .map(([ep, one, at, byte]) => {
              const b = Buffer.from(one ? encodeV1(ep) : encodeV2(ep));
              b[at % b.length] = byte;
              return b;
            }),
        ),
        fc.constantFrom('v1' as const, 'v2' as const, 'any' as const),
        fc.integer({ min: 16, max: 300 }),
        (bytes, accept, max) => {
          const parser = new ProxyHeaderParser({ accept, maxHeaderBytes: max });
          try {
            for (let i = 0; i < bytes.length; i += 7) {
              const r = parser.push(bytes.subarray(i, i + 7));
              if (r !== undefined) {
                expect(r.header.length).toBeLessThanOrEqual(Math.max(max, 0));
                return;
              }
              expect(parser.buffered).toBeLessThanOrEqual(max + 7);
            }
          } catch (err) {
            expect((err as { code?: string }).code).toMatch(/^ERR_PROXY_PROTOCOL_/);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('ProxyHeaderParser: refusals', () => {
  it('never guesses: plain traffic is MissingHeaderError at its first byte', () => {
    const p = new ProxyHeaderParser();
    expect(() => p.push(Buffer.from('G'))).toThrow(code('ERR_PROXY_PROTOCOL_MISSING'));
  });

  it('accepts only the configured version', () => {
    const ep = {
      source: { address: '1.2.3.4', port: 1 },
      destination: { address: '5.6.7.8', port: 2 },
    };
    expect(() => parseProxyHeader(encodeV1(ep), { accept: 'v2' })).toThrow(
      code('ERR_PROXY_PROTOCOL_MISSING'),
    );
    expect(() => parseProxyHeader(encodeV2(ep), { accept: 'v1' })).toThrow(
      code('ERR_PROXY_PROTOCOL_MISSING'),
    );
    expect(parseProxyHeader(encodeV1(ep), { accept: 'v1' }).header.version).toBe(1);
  });

  it('waits for more bytes while a prefix is still possible', () => {
    const p = new ProxyHeaderParser();
    expect(p.push(Buffer.from('PROX'))).toBeUndefined();
    expect(p.push(Buffer.from('Y TCP4 1.2.3.4 5.6.7.8 1 2\r'))).toBeUndefined();
    expect(p.push(Buffer.from('\nhello'))?.rest.toString()).toBe('hello');
  });

  it.each([
    ['no CRLF within 107 bytes', `PROXY TCP4 ${'1'.repeat(120)}`],
    ['a lone LF', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n'],
    ['a CR without LF', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX'],
    ['leading zeroes in an address', 'PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n'],
    ['leading zeroes in a port', 'PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n'],
    ['a port above 65535', 'PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n'],
    ['an octet above 255', 'PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n'],
    ['an IPv6 address under TCP4', 'PROXY TCP4 ::1 ::1 1 2\r\n'],
    ['two spaces', 'PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n'],
    ['an unknown protocol', 'PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n'],
    ['a missing field', 'PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n'],
    ['a zone id', 'PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n'],
  ])('v1: rejects %s', (_what, text) => {
    expect(() => parseProxyHeader(Buffer.from(text))).toThrow(code('ERR_PROXY_PROTOCOL_INVALID'));
  });

  const sig = '0D0A0D0A000D0A515549540A';
  it.each([
    ['version 1 in the version nibble', `${sig} 11 11 000C ${'00'.repeat(12)}`],
    ['an unassigned command', `${sig} 22 11 000C ${'00'.repeat(12)}`],
    ['an unassigned family', `${sig} 21 41 0000`],
    ['an unassigned transport', `${sig} 21 13 000C ${'00'.repeat(12)}`],
    ['a length shorter than the address block', `${sig} 21 11 0008 ${'00'.repeat(8)}`],
    ['a TLV overrunning the header', `${sig} 21 11 000F ${'00'.repeat(12)} 040005`],
    ['a CRC32C TLV of the wrong size', `${sig} 21 11 0011 ${'00'.repeat(12)} 03000200 00`],
  ])('v2: rejects %s', (_what, h) => {
    expect(() => parseProxyHeader(Buffer.from(h.replace(/\s+/g, ''), 'hex'))).toThrow(
      code('ERR_PROXY_PROTOCOL_INVALID'),
    );
  });

  it('v2: refuses an announced length beyond the limit before buffering it', () => {
    const p = new ProxyHeaderParser({ maxHeaderBytes: 64 });
    const head = Buffer.from('0D0A0D0A000D0A515549540A2111FFFF', 'hex');
    expect(() => p.push(head)).toThrow(code('ERR_PROXY_PROTOCOL_TOO_LARGE'));
  });

  it('end() before the header is complete is TruncatedHeaderError', () => {
    const p = new ProxyHeaderParser();
    p.push(Buffer.from('PROXY TCP'));
    expect(() => p.end()).toThrow(code('ERR_PROXY_PROTOCOL_TRUNCATED'));
  });

  it('encode refuses what it cannot express', () => {
    const bad = {
      source: { address: 'example.com', port: 1 },
      destination: { address: '::1', port: 2 },
    };
    expect(() => encodeV1(bad)).toThrow(code('ERR_PROXY_PROTOCOL_ENCODE'));
    const badPort = {
      source: { address: '1.2.3.4', port: 70000 },
      destination: { address: '1.2.3.4', port: 2 },
    };
    expect(() => encodeV2(badPort)).toThrow(code('ERR_PROXY_PROTOCOL_ENCODE'));
  });

  it('mixed families become IPv4-mapped IPv6', () => {
    const out = encodeV1({
      source: { address: '1.2.3.4', port: 1 },
      destination: { address: '::1', port: 2 },
    });
    expect(out.toString()).toBe('PROXY TCP6 ::ffff:102:304 ::1 1 2\r\n');
  });
});
