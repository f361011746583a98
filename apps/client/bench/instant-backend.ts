/**
 * A backend that answers every request at once with a fixed dry-run answer, no image work:
 * what the client can drive when the server costs (almost) nothing. Prints the `listening` line.
 */
import net from 'node:net';
import {
  encodeFrame,
  type Frame,
  FrameDecoder,
  FrameType,
  responseFrame,
} from '@tcpbalancer/protocol';

const EMPTY = Buffer.alloc(0);
const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  socket.on('error', () => socket.destroy());
  const decoder = new FrameDecoder();
  socket.on('data', (chunk: Buffer) => {
    let frames: Frame[];
    try {
      frames = decoder.push(chunk);
    } catch {
      socket.destroy();
      return;
    }
    socket.cork();
    for (const f of frames) {
      if (f.type !== FrameType.Request) continue;
      const answer = responseFrame(
        f.requestId,
        {
          backend: 'instant',
          width: 64,
          height: 64,
          format: 'jpeg',
          bytes: 0,
          ms: 0,
          dryRun: true,
        },
        EMPTY,
      );
      for (const part of encodeFrame(answer)) socket.write(part);
    }
    socket.uncork();
  });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as net.AddressInfo;
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
