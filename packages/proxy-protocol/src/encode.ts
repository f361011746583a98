import { crc32c } from './crc32c.js';
import { EncodeError } from './errors.js';
import { type ProxyEndpoint, type ProxyTlv, TlvType, V2_SIGNATURE } from './header.js';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from './ip.js';

/** What a sender knows about the connection it relays. */
export interface EncodeInput {
  /** The original client (the peer of the accepted connection). */
  readonly source: ProxyEndpoint;
  /** The address the client connected to (the proxy's own local endpoint). */
  readonly destination: ProxyEndpoint;
}

export interface EncodeV2Input extends Partial<EncodeInput> {
  /** 'local': a connection made by the proxy itself (health check); no addresses are sent. */
  readonly command?: 'proxy' | 'local';
  readonly tlvs?: readonly ProxyTlv[];
  /** Append a CRC32C TLV covering the whole header (spec §2.2.5). */
  readonly checksum?: boolean;
}

interface Pair {
  readonly family: 4 | 6;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
}

/**
 * Both addresses in one family. When they differ (a dual-stack socket), the IPv4 one is written
 * as its IPv4-mapped IPv6 form (::ffff:a.b.c.d), so nothing is lost.
 */
function addressPair(input: EncodeInput): Pair {
  const src4 = parseIPv4(input.source.address);
  const dst4 = parseIPv4(input.destination.address);
  if (src4 && dst4) return { family: 4, src: src4, dst: dst4 };
  const v6 = (text: string, v4: Uint8Array | undefined): Uint8Array => {
    const b = v4 ? parseIPv6(`::ffff:${formatIPv4(v4)}`) : parseIPv6(text);
    if (b === undefined) throw new EncodeError(`not an IP address: "${text}"`);
    return b;
  };
  return {
    family: 6,
    src: v6(input.source.address, src4),
    dst: v6(input.destination.address, dst4),
  };
}

function checkPort(port: number, what: string): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new EncodeError(`${what} port must be an integer 0-65535, got ${port}`);
  }
}

/**
 * A v1 (text) header: `PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n`. Without endpoints,
 * `PROXY UNKNOWN\r\n` (for connections whose addresses cannot be told).
 */
export function encodeV1(input?: EncodeInput): Buffer {
  if (input === undefined) return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
  checkPort(input.source.port, 'source');
  checkPort(input.destination.port, 'destination');
  const p = addressPair(input);
  const fmt = p.family === 4 ? formatIPv4 : formatIPv6;
  const line = `PROXY TCP${p.family} ${fmt(p.src)} ${fmt(p.dst)} ${input.source.port} ${input.destination.port}\r\n`;
  return Buffer.from(line, 'latin1');
}

/**
 * A v2 (binary) header: the 12-byte signature, version 2 + command, family/transport (TCP), the
 * address block, then any TLVs. Without endpoints (or with `command: 'local'`) a LOCAL header
 * with an empty address block.
 */
export function encodeV2(input: EncodeV2Input = {}): Buffer {
  const local = input.command === 'local' || !input.source || !input.destination;
  if (input.command === 'proxy' && local) {
    throw new EncodeError('a PROXY command needs source and destination');
  }
  const tlvs = input.tlvs ?? [];
  let tlvBytes = 0;
  for (const t of tlvs) {
    if (!Number.isInteger(t.type) || t.type < 0 || t.type > 255) {
      throw new EncodeError(`TLV type must be 0-255, got ${t.type}`);
    }
    if (t.type === TlvType.CRC32C) throw new EncodeError('use `checksum: true` for a CRC32C TLV');
    tlvBytes += 3 + t.value.length;
  }
  if (input.checksum) tlvBytes += 7;
  let pair: Pair | undefined;
  if (!local) {
    const full = input as EncodeInput;
    checkPort(full.source.port, 'source');
    checkPort(full.destination.port, 'destination');
    pair = addressPair(full);
  }
  const addrLen = pair === undefined ? 0 : pair.family === 4 ? 12 : 36;
  const length = addrLen + tlvBytes;
  if (length > 0xffff) throw new EncodeError(`v2 header body of ${length} bytes exceeds 65535`);
  const out = Buffer.alloc(16 + length);
  out.set(V2_SIGNATURE, 0);
  out[12] = local ? 0x20 : 0x21;
  out[13] = pair === undefined ? 0x00 : pair.family === 4 ? 0x11 : 0x21;
  out.writeUInt16BE(length, 14);
  let at = 16;
  if (pair !== undefined) {
    const full = input as EncodeInput;
    out.set(pair.src, at);
    out.set(pair.dst, at + pair.src.length);
    at += pair.src.length * 2;
    out.writeUInt16BE(full.source.port, at);
    out.writeUInt16BE(full.destination.port, at + 2);
    at += 4;
  }
  for (const t of tlvs) {
    if (t.value.length > 0xffff) throw new EncodeError('TLV value exceeds 65535 bytes');
    out[at] = t.type;
    out.writeUInt16BE(t.value.length, at + 1);
    out.set(t.value, at + 3);
    at += 3 + t.value.length;
  }
  if (input.checksum) {
    out[at] = TlvType.CRC32C;
    out.writeUInt16BE(4, at + 1);
    // The checksum is computed with its own value field zeroed (already zero: Buffer.alloc).
    out.writeUInt32BE(crc32c(out), at + 3);
  }
  return out;
}

/** `encodeV1` or `encodeV2` by number, for configuration-driven senders. */
export function encodeProxyHeader(version: 1 | 2, input: EncodeInput): Buffer {
  return version === 1 ? encodeV1(input) : encodeV2(input);
}
