export { crc32c } from './crc32c.js';
export {
  type EncodeInput,
  type EncodeV2Input,
  encodeProxyHeader,
  encodeV1,
  encodeV2,
} from './encode.js';
export {
  EncodeError,
  HeaderTooLargeError,
  InvalidHeaderError,
  MissingHeaderError,
  ProxyProtocolError,
  TruncatedHeaderError,
} from './errors.js';
export {
  type ProxyEndpoint,
  type ProxyHeader,
  type ProxyTlv,
  TlvType,
  V1_MAX_LENGTH,
  V2_SIGNATURE,
} from './header.js';
export { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from './ip.js';
export {
  type AcceptedVersions,
  DEFAULT_MAX_HEADER_BYTES,
  type ParseResult,
  type ParserOptions,
  ProxyHeaderParser,
  parseProxyHeader,
} from './parser.js';
