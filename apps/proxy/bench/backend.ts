/**
 * The bench backend, one port for every scenario (so each proxy under test runs once, pointed at
 * one upstream). The first byte a client sends picks the mode:
 *   'E' — echo everything after it, forever (request/response, connection rate, idle memory);
 *   'B' + uint32 MiB count — send that many MiB of zeros back, then FIN (bulk throughput).
 */
import { createServer, type Socket } from 'node:net';

const port = Number(process.argv[2] ?? 0);
const MIB = Buffer.alloc(1024 * 1024);

function bulk(socket: Socket, mib: number): void {
  let left = mib;
  const pump = () => {
    while (left > 0) {
      left--;
      if (!socket.write(MIB)) return void socket.once('drain', pump);
    }
    socket.end();
  };
  pump();
}

const server = createServer({ noDelay: true, allowHalfOpen: false }, (socket) => {
  socket.on('error', () => socket.destroy());
  let head: Buffer | undefined;
  const onFirst = (chunk: Buffer) => {
    head = head ? Buffer.concat([head, chunk]) : chunk;
    if (head[0] === 0x45 /* E */) {
      socket.off('data', onFirst);
      socket.pipe(socket);
      if (head.length > 1) socket.write(head.subarray(1));
    } else if (head[0] === 0x42 /* B */ && head.length >= 5) {
      socket.off('data', onFirst);
      socket.resume();
      bulk(socket, head.readUInt32BE(1));
    }
  };
  socket.on('data', onFirst);
});
server.listen(port, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(
    `${JSON.stringify({ port: typeof addr === 'object' && addr ? addr.port : 0 })}\n`,
  );
});
