/**
 * The two ways the backend's benches resize a corpus, shared so that every bench measures the
 * same thing: through the backend over loopback (pipelined connections, a closed loop), and with
 * sharp in this process (the like-for-like baseline: the backend's own pipeline and settings).
 */
import { once } from 'node:events';
import net from 'node:net';
import { encodeFrame, FrameDecoder, FrameType } from '@tcpbalancer/protocol';
import sharp from 'sharp';

export interface BenchImage {
  readonly name: string;
  readonly data: Buffer;
}

/** The box every image is resized into (`fit: inside`, the format kept). */
export interface Box {
  readonly width: number;
  readonly height: number;
}

/**
 * Sends `total` images (cycling over `images`) to the backend at `port` on `conns` connections,
 * `window` requests in flight on each; resolves with the seconds it took once every one is
 * answered. An error answer or a connection the backend closes fails the run.
 */
export async function resizeThroughBackend(
  port: number,
  images: readonly BenchImage[],
  total: number,
  { conns, window, box }: { conns: number; window: number; box: Box },
): Promise<number> {
  let next = 0;
  let answered = 0;
  const t0 = performance.now();
  const conn = async () => {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    let failed: Error | undefined;
    socket.on('error', (e) => {
      failed = e;
    });
    await once(socket, 'connect');
    const decoder = new FrameDecoder();
    let inflight = 0;
    let id = 0;
    await new Promise<void>((resolve, reject) => {
      socket.once('close', () => reject(failed ?? new Error('backend closed the connection')));
      const send = () => {
        while (inflight < window && next < total) {
          const img = images[next++ % images.length]!;
          inflight++;
          socket.cork();
          for (const part of encodeFrame({
            type: FrameType.Request,
            requestId: ++id,
            header: { ...box, fit: 'inside', name: img.name },
            payload: img.data,
          })) {
            socket.write(part);
          }
          socket.uncork();
        }
        if (inflight === 0 && next >= total) resolve();
      };
      socket.on('data', (chunk) => {
        for (const f of decoder.push(chunk)) {
          if (f.type !== FrameType.Response)
            reject(new Error(`error answer: ${JSON.stringify(f.header)}`));
          inflight--;
          answered++;
        }
        send();
      });
      send();
    });
    socket.end();
  };
  await Promise.all(Array.from({ length: conns }, conn));
  if (answered !== total) throw new Error(`answered ${answered} of ${total}`);
  return (performance.now() - t0) / 1000;
}

/**
 * Resizes `total` images (cycling over `images`) with sharp in this process, `concurrency` at a
 * time, the way the backend does (probe, then auto-orient and resize; call the backend's
 * configureSharp() first); resolves with the seconds it took.
 */
export async function resizeInProcess(
  images: readonly BenchImage[],
  total: number,
  { concurrency, box }: { concurrency: number; box: Box },
): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < total) {
      const img = images[next++ % images.length]!;
      const meta = await sharp(img.data, {
        failOn: 'warning',
        limitInputPixels: 40_000_000,
      }).metadata();
      if (!meta.width) throw new Error('no width');
      await sharp(img.data, {
        failOn: 'warning',
        limitInputPixels: 40_000_000,
        sequentialRead: true,
      })
        .rotate()
        .resize({ ...box, fit: 'inside' })
        .toBuffer();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return (performance.now() - t0) / 1000;
}
