import type { Task, TaskRoutines } from '@tcpbalancer/job';
import type { ClientConnection } from './client-connection.js';

/** How long the saver naps when nothing is in flight (a return counts as progress). */
const SAVER_NAP_MS = 500;

/**
 * Checks and saves answers, one at a time, through the run's answer handler. It runs with an
 * idle timeout (--timeout + 1 s, set by createConnectionJob) while answers are owed, so a stalled
 * connection ends; with nothing owed it naps, and a nap's return counts as progress. When the
 * feeder is done and nothing is owed, the job is finished.
 */
export class SaverTask implements TaskRoutines<ClientConnection> {
  constructor(private readonly conn: ClientConnection) {}

  async run(task: Task<ClientConnection>): Promise<void> {
    const { conn } = this;
    if (conn.answers.size === 0 && conn.pending.size === 0) {
      if (conn.feederDone) {
        task.finishJob();
        return;
      }
      await conn.saverWake.wait(task.signal, SAVER_NAP_MS);
      return;
    }
    const answer = await conn.answers.receive(task.signal);
    // From here the answer owns the item: if the connection dies during the save, the item is
    // not requeued (that would do it twice); the run awaits the save instead.
    conn.held.delete(answer.item);
    conn.sent.delete(answer.item);
    await conn.ctx.handleAnswer(answer.item, answer.frame, answer.latencyMs, answer.uncorrectedMs);
  }
}
