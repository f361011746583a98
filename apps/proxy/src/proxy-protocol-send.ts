import { encodeProxyHeader, encodeV1, encodeV2 } from '@tcpbalancer/proxy-protocol';
import type { Connection } from './connection.js';

/**
 * The PROXY protocol header a pool sends as the first bytes to its upstream: the client (from
 * the socket, or from the header the listener accepted) and the address it connected to.
 */
export function upstreamPreface(version: 1 | 2): (conn: Connection) => Buffer {
  return (conn) => {
    const { client, identity } = conn;
    const destination = identity?.destination ?? {
      address: client.localAddress ?? '',
      port: client.localPort ?? 0,
    };
    try {
      return encodeProxyHeader(version, {
        source: { address: conn.clientAddress, port: conn.clientPort },
        destination,
      });
    } catch {
      // No usable addresses (the socket is already gone, or a UNIX peer): the spec's "unknown"
      // forms, which tell the server to use the connection's own endpoints.
      return version === 1 ? encodeV1() : encodeV2({ command: 'local' });
    }
  };
}
