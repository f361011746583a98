import { crc32c } from './crc32c.js';
import { InvalidHeaderError } from './errors.js';
import { type ProxyHeader, type ProxyTlv, TlvType } from './header.js';
import { formatIPv4, formatIPv6 } from './ip.js';

/** Address block sizes by family nibble (spec §2.2): INET, INET6, UNIX. */
const ADDRESS_BYTES: Record<number, number> = { 1: 12, 2: 36, 3: 216 };

/**
 * Decodes one complete v2 header (`buf` holds exactly 16 + length bytes, signature checked by
 * the caller). Unassigned version, command, family or transport values are rejected, the
 * address block must fit in the announced length, TLVs must tile the rest exactly, and a CRC32C
 * TLV, when present, must match.
 */
export function parseV2(buf: Buffer): ProxyHeader {
  const verCmd = buf[12] as number;
  if (verCmd >> 4 !== 2)
    throw new InvalidHeaderError(`v2 version nibble must be 2, got ${verCmd >> 4}`);
  const cmd = verCmd & 0x0f;
  if (cmd > 1) throw new InvalidHeaderError(`v2 command must be LOCAL or PROXY, got ${cmd}`);
  const fam = buf[13] as number;
  const af = fam >> 4;
  const transport = fam & 0x0f;
  if (af > 3) throw new InvalidHeaderError(`v2 address family ${af} is unassigned`);
  if (transport > 2) throw new InvalidHeaderError(`v2 transport ${transport} is unassigned`);
  const length = buf.length;
  const addrBytes = af === 0 ? 0 : (ADDRESS_BYTES[af] as number);
  if (16 + addrBytes > length) {
    throw new InvalidHeaderError(
      `v2 length ${length - 16} is too short for the ${addrBytes}-byte address block`,
    );
  }
  const tlvs = parseTlvs(buf, 16 + addrBytes);
  const local = cmd === 0;
  const base = {
    version: 2 as const,
    command: local ? ('local' as const) : ('proxy' as const),
    tlvs,
    length,
  };
  // LOCAL: the receiver must use the real endpoints and ignore the block (spec §2.2).
  if (local || af === 0 || transport === 0) return { ...base, family: 'unknown' };
  if (af === 3) return { ...base, family: 'unix' };
  const v4 = af === 1;
  const size = v4 ? 4 : 16;
  const fmt = v4 ? formatIPv4 : formatIPv6;
  const ports = 16 + size * 2;
  const stream = transport === 1;
  return {
    ...base,
    family: v4 ? (stream ? 'tcp4' : 'udp4') : stream ? 'tcp6' : 'udp6',
    source: { address: fmt(buf, 16), port: buf.readUInt16BE(ports) },
    destination: { address: fmt(buf, 16 + size), port: buf.readUInt16BE(ports + 2) },
  };
}

function parseTlvs(buf: Buffer, from: number): ProxyTlv[] {
  const tlvs: ProxyTlv[] = [];
  let at = from;
  while (at < buf.length) {
    if (at + 3 > buf.length) throw new InvalidHeaderError('v2 TLV header cut by the header length');
    const type = buf[at] as number;
    const len = buf.readUInt16BE(at + 1);
    if (at + 3 + len > buf.length) {
      throw new InvalidHeaderError(
        `v2 TLV 0x${type.toString(16)} of ${len} bytes overruns the header`,
      );
    }
    const value = buf.subarray(at + 3, at + 3 + len);
    if (type === TlvType.CRC32C) {
      if (len !== 4) throw new InvalidHeaderError('v2 CRC32C TLV must be 4 bytes');
      const expected = value.readUInt32BE(0);
      const copy = Buffer.from(buf);
      copy.fill(0, at + 3, at + 7);
      if (crc32c(copy) !== expected) throw new InvalidHeaderError('v2 CRC32C checksum mismatch');
    }
    tlvs.push({ type, value: Uint8Array.from(value) });
    at += 3 + len;
  }
  return tlvs;
}
