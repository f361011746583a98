/**
 * Byte-exact against haproxy's doc/proxy-protocol.txt: the v1 example of §2.1, the maximum
 * line lengths it lists, the v2 layout of §2.2, and a v2 header captured from HAProxy itself.
 */
import { describe, expect, it } from 'vitest';
import { encodeV1, encodeV2, parseProxyHeader, V2_SIGNATURE } from '../src/index.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** The addresses of the spec's own example (§2.1), used again for the v2 layout (§2.2). */
const specExample = {
  source: { address: '192.168.0.1', port: 56324 },
  destination: { address: '192.168.0.11', port: 443 },
};
/** The addresses in the header captured from HAProxy. */
const captured = {
  source: { address: '172.19.0.1', port: 42578 },
  destination: { address: '172.19.0.3', port: 80 },
};

describe('v1 (spec §2.1)', () => {
  const line = 'PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n';
  const request = 'GET / HTTP/1.1\r\nHost: 192.168.0.11\r\n\r\n';

  it('encodes the example line of the spec exactly', () => {
    const out = encodeV1(specExample);
    expect(out.toString('latin1')).toBe(line);
  });

  it('decodes the example, leaving the HTTP request as the rest', () => {
    const { header, rest } = parseProxyHeader(Buffer.from(line + request));
    expect(header).toEqual({
      version: 1,
      command: 'proxy',
      family: 'tcp4',
      ...specExample,
      tlvs: [],
      length: line.length,
    });
    expect(rest.toString()).toBe(request);
  });

  it('accepts the longest lines the spec lists (56, 104, 15 and 107 bytes)', () => {
    const f = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';
    const cases = [
      ['PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n', 56],
      [`PROXY TCP6 ${f} ${f} 65535 65535\r\n`, 104],
      ['PROXY UNKNOWN\r\n', 15],
      [`PROXY UNKNOWN ${f} ${f} 65535 65535\r\n`, 107],
    ] as const;
    for (const [text, len] of cases) {
      expect(text.length).toBe(len);
      expect(parseProxyHeader(Buffer.from(text)).header.length).toBe(len);
    }
  });

  it('encodes UNKNOWN as the short form', () => {
    expect(encodeV1().toString()).toBe('PROXY UNKNOWN\r\n');
  });
});

describe('v2 (spec §2.2)', () => {
  it('starts with the 12-byte signature of the spec', () => {
    expect(Buffer.from(V2_SIGNATURE)).toEqual(hex('0D0A0D0A000D0A515549540A'));
  });

  it('encodes TCP over IPv4 as sig, \\x21, \\x11, length 12, addresses, ports', () => {
    const out = encodeV2(specExample);
    expect(out).toEqual(hex('0D0A0D0A000D0A515549540A 21 11 000C C0A80001 C0A8000B DC04 01BB'));
  });

  it('matches a header written by HAProxy (172.19.0.1:42578 -> 172.19.0.3:80)', () => {
    // Captured from HAProxy `send-proxy-v2` in front of netcat (seriousben/experiment-proxy-protocol).
    const wire = hex('0d0a0d0a000d0a515549540a2111000cac130001ac130003a6520050 474554202f');
    const { header, rest } = parseProxyHeader(wire);
    expect(header).toMatchObject({
      version: 2,
      command: 'proxy',
      family: 'tcp4',
      ...captured,
      length: 28,
    });
    expect(rest.toString()).toBe('GET /');
    expect(encodeV2(captured)).toEqual(wire.subarray(0, 28));
  });

  it('encodes TCP over IPv6 with a 36-byte address block', () => {
    const out = encodeV2({
      source: { address: '2001:db8::1', port: 1 },
      destination: { address: '::1', port: 2 },
    });
    expect(out.subarray(12, 16)).toEqual(hex('21 21 0024'));
    expect(out.length).toBe(16 + 36);
    expect(out.subarray(16, 32)).toEqual(hex('20010db8000000000000000000000001'));
  });

  it('encodes LOCAL with family UNSPEC and no address block', () => {
    expect(encodeV2({ command: 'local' })).toEqual(hex('0D0A0D0A000D0A515549540A 20 00 0000'));
    expect(parseProxyHeader(encodeV2()).header).toMatchObject({
      command: 'local',
      family: 'unknown',
    });
  });

  it('skips the address block of a LOCAL header by its length (never assumes zero)', () => {
    const wire = hex('0D0A0D0A000D0A515549540A 20 11 000C C0A80001 C0A8000B DC04 01BB 41');
    const { header, rest } = parseProxyHeader(wire);
    expect(header).toMatchObject({ command: 'local', family: 'unknown', length: 28 });
    expect(header.source).toBeUndefined();
    expect(rest.toString()).toBe('A');
  });

  it('writes TLVs after the addresses and a CRC32C that the parser verifies', () => {
    const out = encodeV2({
      source: { address: '10.0.0.1', port: 1000 },
      destination: { address: '10.0.0.2', port: 2000 },
      tlvs: [{ type: 0x02, value: Buffer.from('example.com') }],
      checksum: true,
    });
    const { header } = parseProxyHeader(out);
    expect(header.tlvs.map((t) => t.type)).toEqual([0x02, 0x03]);
    expect(Buffer.from(header.tlvs[0]!.value).toString()).toBe('example.com');
    const corrupt = Buffer.from(out);
    corrupt[17] = (corrupt[17] as number) ^ 1;
    expect(() => parseProxyHeader(corrupt)).toThrow(
      expect.objectContaining({ code: 'ERR_PROXY_PROTOCOL_INVALID' }),
    );
  });
});
