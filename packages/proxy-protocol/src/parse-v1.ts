import { InvalidHeaderError } from './errors.js';
import type { ProxyEndpoint, ProxyHeader } from './header.js';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from './ip.js';

const PORT = /^(0|[1-9]\d{0,4})$/;

function port(text: string, what: string): number {
  const n = PORT.test(text) ? Number(text) : Number.NaN;
  if (!(n <= 65535)) throw new InvalidHeaderError(`v1 ${what} port "${text}" is not 0-65535`);
  return n;
}

/**
 * Decodes one complete v1 line, `line` being the bytes before the CRLF (spec §2.1): exactly
 * `PROXY TCP4|TCP6 SRC DST SPORT DPORT`, single spaces, canonical addresses of the announced
 * family. `PROXY UNKNOWN` may carry anything up to the CRLF, which is ignored.
 */
export function parseV1Line(line: Buffer): ProxyHeader {
  const length = line.length + 2;
  // Only printable US-ASCII may appear: a stray CR or LF (a lone line end) is not tolerated.
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as number;
    if (c < 0x20 || c > 0x7e) {
      throw new InvalidHeaderError(
        `v1 header has a non-printable byte 0x${c.toString(16)} at ${i}`,
      );
    }
  }
  const text = line.toString('latin1');
  if (text === 'PROXY UNKNOWN' || text.startsWith('PROXY UNKNOWN ')) {
    return { version: 1, command: 'proxy', family: 'unknown', tlvs: [], length };
  }
  const parts = text.split(' ');
  if (parts.length !== 6) {
    throw new InvalidHeaderError(`v1 header must have 6 space-separated fields, got "${text}"`);
  }
  const [, proto, src, dst, sport, dport] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  let family: 'tcp4' | 'tcp6';
  let parse: (t: string) => Uint8Array | undefined;
  let format: (b: Uint8Array) => string;
  if (proto === 'TCP4') {
    family = 'tcp4';
    parse = parseIPv4;
    format = formatIPv4;
  } else if (proto === 'TCP6') {
    family = 'tcp6';
    parse = parseIPv6;
    format = formatIPv6;
  } else {
    throw new InvalidHeaderError(`v1 protocol must be TCP4, TCP6 or UNKNOWN, got "${proto}"`);
  }
  const endpoint = (addr: string, p: string, what: string): ProxyEndpoint => {
    const bytes = parse(addr);
    if (bytes === undefined) {
      throw new InvalidHeaderError(`v1 ${what} address "${addr}" is not a valid ${proto} address`);
    }
    return { address: format(bytes), port: port(p, what) };
  };
  return {
    version: 1,
    command: 'proxy',
    family,
    source: endpoint(src, sport, 'source'),
    destination: endpoint(dst, dport, 'destination'),
    tlvs: [],
    length,
  };
}
