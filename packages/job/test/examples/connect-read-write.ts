import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { Channel, Job, type JobState, type Task } from '../../src/index.js';

interface Conn {
  socket?: Socket;
}

/**
 * A oneshot task connects; then a reader and a writer task run over the socket together.
 * `runInBackground()` returns once connected, so the caller can feed the writer; the server's
 * end of the stream finishes the job, and any error anywhere cancels all of it.
 */
export async function exchangeLines(
  port: number,
  lines: readonly string[],
): Promise<{ state: JobState; replies: string[]; error?: unknown }> {
  const job = new Job<Conn>({}, { name: `client:${port}`, timeout: 5000 });
  const outbox = new Channel<string>(16);
  const replies: string[] = [];

  job.addOneshotTask((j) => ({
    async run(task: Task<Conn>) {
      const socket = connect({ port, host: '127.0.0.1', noDelay: true });
      socket.on('error', (err) => j.cancel(err)); // in the tick the socket is created
      j.value.socket = socket;
      await once(socket, 'connect', { signal: task.signal });
      task.done();
    },
    finalize() {
      j.value.socket?.destroy();
    },
  }));

  job.addTask((j) => {
    let received: AsyncIterator<string>;
    return {
      init(task: Task<Conn>) {
        task.assertNotNil(j.value.socket);
        const rl = createInterface({ input: j.value.socket, signal: task.signal });
        received = rl[Symbol.asyncIterator]();
      },
      async run(task: Task<Conn>) {
        const next = await received.next();
        if (next.done) return task.finishJob(); // the server ended the stream
        replies.push(next.value);
        task.tick();
      },
    };
  });

  job.addTask((j) => ({
    async run(task: Task<Conn>) {
      const socket = j.value.socket;
      task.assertNotNil(socket);
      for await (const line of outbox.values(task.signal)) {
        if (!socket.write(`${line}\n`)) await once(socket, 'drain', { signal: task.signal });
      }
      socket.end(); // half-close: we are done writing; the reader goes on
      task.done();
    },
  }));

  if ((await job.runInBackground()) === 'recurrent-running') {
    for (const line of lines) await outbox.send(line, job.signal).catch(() => {});
    outbox.close();
  }
  const state = await job.done;
  return { state, replies, error: job.interruptedBy?.error };
}
