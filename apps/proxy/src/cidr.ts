import { BlockList, isIP } from 'node:net';

/** One parsed address range, e.g. `10.0.0.0/8`, `::1/128`, or a bare address (a /32 or /128). */
export interface Cidr {
  readonly text: string;
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

/** Parses `ADDRESS[/PREFIX]`; throws Error with a human message. */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  const address = slash === -1 ? text : text.slice(0, slash);
  const v = isIP(address);
  if (v === 0) throw new Error(`"${text}" is not an IP address or CIDR range`);
  const max = v === 4 ? 32 : 128;
  const prefixText = slash === -1 ? String(max) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) {
    throw new Error(`"${text}": prefix length must be 0-${max}`);
  }
  return Object.freeze({
    text,
    address,
    prefix: Number(prefixText),
    family: v === 4 ? ('ipv4' as const) : ('ipv6' as const),
  });
}

/**
 * Membership test for a set of ranges, on node:net's BlockList. An IPv4-mapped IPv6 peer
 * (`::ffff:10.1.2.3`, what a dual-stack socket reports) is matched as the IPv4 address it is.
 */
export function cidrMatcher(ranges: readonly Cidr[]): (address: string) => boolean {
  const list = new BlockList();
  for (const r of ranges) list.addSubnet(r.address, r.prefix, r.family);
  return (address) => {
    const v = isIP(address);
    if (v === 4) return list.check(address, 'ipv4');
    if (v !== 6) return false;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return list.check(mapped[1] as string, 'ipv4');
    return list.check(address, 'ipv6');
  };
}
