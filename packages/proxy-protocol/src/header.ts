/** One endpoint of the proxied connection. `address` is canonical text (IPv6 compressed, lowercase). */
export interface ProxyEndpoint {
  readonly address: string;
  readonly port: number;
}

/** A type-length-value extension of a v2 header (spec §2.2.x); value bytes as received. */
export interface ProxyTlv {
  readonly type: number;
  readonly value: Uint8Array;
}

/** Well-known TLV types (spec §2.2.1–2.2.7). */
export const TlvType = {
  ALPN: 0x01,
  AUTHORITY: 0x02,
  CRC32C: 0x03,
  NOOP: 0x04,
  UNIQUE_ID: 0x05,
  SSL: 0x20,
  NETNS: 0x30,
} as const;

/**
 * A decoded PROXY header, either version.
 * - `command: 'proxy'` with `family` 'tcp4'/'tcp6' (or 'udp4'/'udp6' in v2): `source` and
 *   `destination` are the original connection's endpoints.
 * - `command: 'local'` (v2 LOCAL: health checks) or `family: 'unknown'` (v1 UNKNOWN, v2 UNSPEC or
 *   UNIX): no usable addresses; the receiver uses the real connection's endpoints.
 */
export interface ProxyHeader {
  readonly version: 1 | 2;
  readonly command: 'proxy' | 'local';
  readonly family: 'tcp4' | 'tcp6' | 'udp4' | 'udp6' | 'unix' | 'unknown';
  readonly source?: ProxyEndpoint;
  readonly destination?: ProxyEndpoint;
  /** v2 only; empty for v1. */
  readonly tlvs: readonly ProxyTlv[];
  /** Length of the header on the wire, in bytes. */
  readonly length: number;
}

/** The v2 signature: \r\n\r\n\0\r\nQUIT\n (spec §2.2). */
export const V2_SIGNATURE: Uint8Array = Uint8Array.of(
  0x0d,
  0x0a,
  0x0d,
  0x0a,
  0x00,
  0x0d,
  0x0a,
  0x51,
  0x55,
  0x49,
  0x54,
  0x0a,
);

/** "PROXY " — how every v1 header starts. */
export const V1_PREFIX: Uint8Array = Uint8Array.of(0x50, 0x52, 0x4f, 0x58, 0x59, 0x20);

/** The longest v1 line the spec allows, CRLF included (the UNKNOWN worst case, §2.1). */
export const V1_MAX_LENGTH = 107;
