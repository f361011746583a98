/**
 * The baseline: the minimal Node TCP proxy — socket.pipe() both ways, noDelay on both sockets
 * (without it, Nagle + delayed ACK add ~40 ms per small exchange and the comparison is moot).
 * No balancing, no health, no metrics, no logs, no limits.
 */
import { connect, createServer } from 'node:net';

const [listenPort, upstreamPort] = process.argv.slice(2).map(Number);

const server = createServer({ noDelay: true }, (client) => {
  const upstream = connect({ port: upstreamPort as number, host: '127.0.0.1', noDelay: true });
  client.pipe(upstream).pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
});
server.listen(listenPort, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(
    `${JSON.stringify({ msg: 'listening', port: typeof addr === 'object' && addr ? addr.port : 0 })}\n`,
  );
});
