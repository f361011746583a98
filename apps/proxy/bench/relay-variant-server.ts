/**
 * Two ways to write a connection's relay with @tcpbalancer/job, stripped of everything else
 * (no balancing, logs, metrics) so that only the relay differs: `relay-variant-server.ts
 * <events|channel> <listenPort> <upstreamPort>`.
 *
 * - events: what src/connection.ts does — one task per direction whose `init` wires 'data' to
 *   write() with pause/resume, and whose `run` awaits the end of the direction once.
 * - channel: go-work style — per direction a read task (awaits 'readable', read()s, sends the
 *   chunk on a Channel) and a write task (receives, write()s, awaits 'drain' when needed): a few
 *   promises per chunk.
 */
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { Channel, Job, type Task } from '@tcpbalancer/job';

const [mode, listenPort, upstreamPort] = process.argv.slice(2);

interface Conn {
  client: Socket;
  upstream: Socket;
}

function eventsRelay(job: Job<Conn>, src: Socket, dst: Socket): void {
  let ended = false;
  let wake: (() => void) | undefined;
  job.addTask(() => ({
    init() {
      src.on('data', (c: Buffer) => {
        if (!dst.write(c)) src.pause();
      });
      dst.on('drain', () => src.resume());
      src.once('end', () =>
        dst.end(() => {
          ended = true;
          wake?.();
        }),
      );
    },
    run(task: Task<Conn>) {
      if (ended) return task.done();
      return new Promise<void>((r) => {
        wake = () => {
          if (ended) task.done();
          r();
        };
      });
    },
    finalize() {
      wake?.();
    },
  }));
}

/** One promise, both listeners removed when it settles (a race of two once() would leak one). */
function readableOrEnd(src: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      src.off('readable', done);
      src.off('end', done);
      resolve();
    };
    src.on('readable', done);
    src.on('end', done);
  });
}

function channelRelay(job: Job<Conn>, src: Socket, dst: Socket): void {
  const ch = new Channel<Buffer | null>(1);
  job.addTask(() => ({
    async run(task: Task<Conn>) {
      const chunk = src.read() as Buffer | null;
      if (chunk !== null) return ch.send(chunk, task.signal);
      if (src.readableEnded) {
        await ch.send(null, task.signal);
        return task.done();
      }
      await readableOrEnd(src);
    },
  }));
  job.addTask(() => ({
    async run(task: Task<Conn>) {
      const chunk = await ch.receive(task.signal);
      if (chunk === null) {
        await new Promise<void>((r) => dst.end(r));
        return task.done();
      }
      if (!dst.write(chunk)) await new Promise((r) => dst.once('drain', r));
    },
  }));
}

const server = createServer({ noDelay: true, allowHalfOpen: true }, (client) => {
  client.on('error', () => {});
  const upstream = connect({
    port: Number(upstreamPort),
    host: '127.0.0.1',
    noDelay: true,
    allowHalfOpen: true,
  });
  upstream.on('error', () => {});
  const job = new Job<Conn>({ client, upstream });
  job.addOneshotTask(() => ({
    init: () => once(upstream, 'connect').then(() => undefined),
    finalize() {
      client.destroy();
      upstream.destroy();
    },
  }));
  const relay = mode === 'channel' ? channelRelay : eventsRelay;
  relay(job, client, upstream);
  relay(job, upstream, client);
  client.on('close', () => job.cancel());
  upstream.on('close', () => job.cancel());
  void job.run();
});
server.listen(Number(listenPort), '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(
    `${JSON.stringify({ msg: 'listening', port: typeof addr === 'object' && addr ? addr.port : 0 })}\n`,
  );
});
