import {
  ChannelClosedError,
  type Job,
  Notifier,
  type Task,
  type TaskRoutines,
} from '@tcpbalancer/job';
import type { Frame } from '@tcpbalancer/protocol';
import { answer } from './answer.js';
import type { Connection } from './connection.js';

export const newDispatchTask = (job: Job<Connection>): TaskRoutines<Connection> =>
  new DispatchTask(job.value);

/**
 * Starts one resize per request (the process-wide --concurrency semaphore bounds how many run);
 * answers go to the writer as they finish, so they overtake each other and carry the id.
 * While the socket pushes back dispatch takes no new request: a peer that does not read its
 * answers gets no more work done for it — `requests` then stops, the read task stops, the
 * socket is not read.
 */
class DispatchTask implements TaskRoutines<Connection> {
  /** Answers being made (resizing, or queued for a resize slot or for the writer). */
  #active = 0;
  readonly #settled = new Notifier();

  constructor(private readonly conn: Connection) {}

  async run(task: Task<Connection>): Promise<void> {
    const { conn } = this;
    let frame: Frame;
    try {
      const parked = conn.writer.whenWritable(task.signal);
      if (parked !== undefined) await parked;
      frame = await conn.requests.receive(task.signal);
    } catch (err) {
      if (!(err instanceof ChannelClosedError)) throw err;
      // No more requests: let the running ones answer, then the final frame, then close.
      while (this.#active > 0) await this.#settled.wait(task.signal);
      if (conn.finalFrame !== undefined)
        await conn.responses.send({ frame: conn.finalFrame, slot: false }, task.signal);
      conn.responses.close();
      task.done();
      return;
    }
    this.#active++;
    answer(conn, frame, task.signal)
      .then((item) => {
        conn.writer.made(item);
        return conn.responses.send(item, task.signal);
      })
      .catch(() => {}) // the job ended under it: nobody to answer
      .finally(() => {
        if (--this.#active === 0) this.#settled.notifyAll();
      });
  }
}
