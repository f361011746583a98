import { ChannelClosedError, type Job, type Task, type TaskRoutines } from '@tcpbalancer/job';
import { linger } from '../linger.js';
import type { Connection } from './connection.js';
import type { OutItem } from './writer.js';

export const newWriteTask = (job: Job<Connection>): TaskRoutines<Connection> =>
  new WriteTask(job.value);

/**
 * Writes every answer, pong and error in the order they come; an answer's in-flight slot is
 * freed once it is written. When `responses` closes, ends our side and lingers (see linger.ts).
 */
class WriteTask implements TaskRoutines<Connection> {
  constructor(private readonly conn: Connection) {}

  async run(task: Task<Connection>): Promise<void> {
    const { conn } = this;
    let item: OutItem;
    try {
      item = await conn.responses.receive(task.signal);
    } catch (err) {
      if (!(err instanceof ChannelClosedError)) throw err;
      await this.#endGracefully();
      task.done();
      return;
    }
    const flushing = conn.writer.write(item, task.signal);
    if (flushing !== undefined) await flushing;
    if (item.slot) {
      conn.slots.release();
      if (conn.draining) conn.input.wake(); // the last answer out may complete the drain
    }
    conn.writeProgress(); // an answer written: progress (we tick ourselves by returning)
  }

  /** Every answer is written: end our side, linger until the peer closes (bounded), done. */
  async #endGracefully(): Promise<void> {
    const { conn } = this;
    conn.endingGracefully = true;
    conn.input.stop();
    await linger(conn.socket);
  }
}
