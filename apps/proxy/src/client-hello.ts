/**
 * Reads the server name (SNI) out of a TLS ClientHello without consuming or changing anything:
 * the bytes are only looked at, then passed to the upstream as they came. Works on whatever has
 * arrived so far and says whether more is needed; the hello may span several TLS records.
 * Bounded: the caller passes the most bytes it will hold (`maxBytes`).
 */
export type HelloPeek =
  | { readonly kind: 'more' }
  | { readonly kind: 'hello'; readonly serverName: string | undefined }
  | { readonly kind: 'not-tls' }
  | { readonly kind: 'too-large' }
  | { readonly kind: 'malformed'; readonly why: string };

const MORE: HelloPeek = { kind: 'more' };
const HANDSHAKE = 0x16;
const CLIENT_HELLO = 0x01;
const SERVER_NAME_EXT = 0x0000;
/** TLSPlaintext.length ≤ 2^14 (RFC 8446 §5.1). */
const MAX_RECORD = 16_384;

const malformed = (why: string): HelloPeek => ({ kind: 'malformed', why });

export function peekClientHello(buf: Buffer, maxBytes: number): HelloPeek {
  if (buf.length === 0) return MORE;
  if (buf[0] !== HANDSHAKE) return { kind: 'not-tls' };
  if (buf.length >= 2 && buf[1] !== 0x03) return { kind: 'not-tls' };
  // Gather the handshake bytes of consecutive handshake records.
  const parts: Buffer[] = [];
  let have = 0;
  let need = -1; // the whole ClientHello message's length, once its header is in
  let at = 0;
  while (at + 5 <= buf.length) {
    if (buf[at] !== HANDSHAKE) return malformed('a non-handshake record inside the ClientHello');
    const len = buf.readUInt16BE(at + 3);
    if (len === 0 || len > MAX_RECORD) return malformed(`TLS record length ${len}`);
    const end = Math.min(at + 5 + len, buf.length);
    parts.push(buf.subarray(at + 5, end));
    have += end - (at + 5);
    if (need === -1 && have >= 4) {
      const hs = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
      if (hs[0] !== CLIENT_HELLO)
        return malformed('the first handshake message is not a ClientHello');
      need = 4 + hs.readUIntBE(1, 3);
      if (need > maxBytes) return { kind: 'too-large' };
    }
    if (need !== -1 && have >= need) return parseHello(Buffer.concat(parts).subarray(4, need));
    if (end < at + 5 + len) break; // this record is not complete yet
    at = end;
  }
  return buf.length >= maxBytes ? { kind: 'too-large' } : MORE;
}

/** The ClientHello body (RFC 8446 §4.1.2, also TLS 1.0–1.2): find server_name's host_name. */
function parseHello(b: Buffer): HelloPeek {
  let at = 2 + 32; // legacy_version, random
  if (at + 1 > b.length) return malformed('ClientHello cut before the session id');
  at += 1 + (b[at] as number); // legacy_session_id
  if (at + 2 > b.length) return malformed('ClientHello cut before the cipher suites');
  const suites = b.readUInt16BE(at);
  if (suites < 2 || suites % 2 !== 0) return malformed('bad cipher suites length');
  at += 2 + suites;
  if (at + 1 > b.length) return malformed('ClientHello cut before the compression methods');
  at += 1 + (b[at] as number);
  if (at > b.length) return malformed('ClientHello cut in the compression methods');
  if (at === b.length) return { kind: 'hello', serverName: undefined }; // no extensions
  if (at + 2 > b.length) return malformed('ClientHello cut in the extensions length');
  const extEnd = at + 2 + b.readUInt16BE(at);
  if (extEnd !== b.length) return malformed('extensions do not fill the ClientHello');
  at += 2;
  while (at + 4 <= extEnd) {
    const type = b.readUInt16BE(at);
    const len = b.readUInt16BE(at + 2);
    const start = at + 4;
    if (start + len > extEnd) return malformed('an extension overruns the ClientHello');
    if (type === SERVER_NAME_EXT) return serverName(b.subarray(start, start + len));
    at = start + len;
  }
  if (at !== extEnd) return malformed('trailing bytes after the extensions');
  return { kind: 'hello', serverName: undefined };
}

/** server_name extension (RFC 6066 §3): a list of (type, name); type 0 is host_name. */
function serverName(ext: Buffer): HelloPeek {
  if (ext.length < 2 || ext.readUInt16BE(0) !== ext.length - 2) {
    return malformed('bad server_name list length');
  }
  let at = 2;
  while (at + 3 <= ext.length) {
    const type = ext[at] as number;
    const len = ext.readUInt16BE(at + 1);
    if (at + 3 + len > ext.length) return malformed('a server name overruns its extension');
    if (type === 0) {
      const name = ext.subarray(at + 3, at + 3 + len);
      // A DNS name in ASCII (RFC 6066: no trailing dot; IDNs are A-labels): nothing else.
      if (len === 0 || len > 255 || !/^[A-Za-z0-9._-]+$/.test(name.toString('latin1'))) {
        return malformed('the server name is not a DNS name');
      }
      return { kind: 'hello', serverName: name.toString('latin1').toLowerCase() };
    }
    at += 3 + len;
  }
  return { kind: 'hello', serverName: undefined };
}
