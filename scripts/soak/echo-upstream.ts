// An echo upstream in its own process, so that its descriptors do not count against the soak's.
// Usage: node --import tsx echo-upstream.ts PORT — prints {"msg":"listening","port":N}.
import net from 'node:net';

const server = net.createServer({ allowHalfOpen: true }, (c) => {
  c.on('error', () => {});
  c.setNoDelay(true);
  c.pipe(c);
});
server.on('error', (err) => {
  console.error(err);
  process.exit(1);
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', 2048, () => {
  const { port } = server.address() as net.AddressInfo;
  console.log(JSON.stringify({ msg: 'listening', port }));
});
