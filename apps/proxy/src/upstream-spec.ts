import { isIP } from 'node:net';

/** One `--upstream` value: a host (name or IP literal), a port and a weight. */
export interface UpstreamSpec {
  /** Host name or IP literal, without IPv6 brackets. */
  readonly host: string;
  readonly port: number;
  /** 0–1000; 0 keeps the upstream configured but gives it no new connections. */
  readonly weight: number;
  /** The text as given, for logs and /stats. */
  readonly text: string;
}

export const MAX_WEIGHT = 1000;

const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/;

/**
 * Parses `HOST:PORT[@WEIGHT]`, where HOST is a DNS name, an IPv4 literal or a bracketed IPv6
 * literal (`[::1]:9000@2`). Throws `Error` with a human message (the caller names the flag).
 */
export function parseUpstreamSpec(text: string): UpstreamSpec {
  const raw = text.trim();
  let hostPort = raw;
  let weight = 1;
  const at = raw.lastIndexOf('@');
  if (at !== -1) {
    hostPort = raw.slice(0, at);
    const w = raw.slice(at + 1);
    if (!/^\d+$/.test(w) || Number(w) > MAX_WEIGHT) {
      throw new Error(`"${text}": weight must be an integer 0-${MAX_WEIGHT}`);
    }
    weight = Number(w);
  }
  let host: string;
  let portText: string;
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close === -1 || hostPort[close + 1] !== ':') {
      throw new Error(`"${text}": expected [IPv6]:PORT`);
    }
    host = hostPort.slice(1, close);
    portText = hostPort.slice(close + 2);
    if (isIP(host) !== 6) throw new Error(`"${text}": "${host}" is not an IPv6 address`);
  } else {
    const colon = hostPort.lastIndexOf(':');
    if (colon === -1) throw new Error(`"${text}": expected HOST:PORT`);
    host = hostPort.slice(0, colon);
    portText = hostPort.slice(colon + 1);
    if (host.includes(':')) throw new Error(`"${text}": IPv6 addresses need brackets: [::1]:PORT`);
    if (isIP(host) === 0 && !HOST_NAME.test(host)) {
      throw new Error(`"${text}": "${host}" is not a valid host`);
    }
  }
  if (!/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
    throw new Error(`"${text}": port must be 1-65535`);
  }
  return Object.freeze({ host, port: Number(portText), weight, text: raw });
}

/** `host:port` with IPv6 brackets, the form used in logs, metrics labels and /stats. */
export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
