import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIPv6, parseIPv4, parseIPv6 } from '../src/index.js';

describe('ip', () => {
  it('formats IPv6 as RFC 5952 (longest zero run compressed, lowercase)', () => {
    const cases: [string, string][] = [
      ['2001:0DB8:0:0:0:0:0:1', '2001:db8::1'],
      ['0:0:0:0:0:0:0:0', '::'],
      ['::1', '::1'],
      ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
      ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
      ['::ffff:1.2.3.4', '::ffff:102:304'],
    ];
    for (const [input, out] of cases) expect(formatIPv6(parseIPv6(input)!)).toBe(out);
  });

  it('accepts exactly what node:net accepts as IPv6 (zone ids aside)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV6(), fc.string({ maxLength: 40 })), (s) => {
        const ours = parseIPv6(s) !== undefined;
        expect(ours).toBe(isIP(s) === 6 && !s.includes('%'));
      }),
      { numRuns: 2000 },
    );
  });

  it('IPv4: no leading zeroes, each octet 0-255', () => {
    expect(parseIPv4('0.0.0.0')).toEqual(Uint8Array.of(0, 0, 0, 0));
    expect(parseIPv4('010.0.0.1')).toBeUndefined();
    expect(parseIPv4('256.0.0.1')).toBeUndefined();
    expect(parseIPv4('1.2.3')).toBeUndefined();
  });
});
