import { Job } from '@tcpbalancer/job';
import { ClientConnection } from './client-connection.js';
import { ConnectTask } from './connect-task.js';
import type { ConnectionContext } from './connection-context.js';
import { FeederTask } from './feeder-task.js';
import { ReaderTask } from './reader-task.js';
import { SaverTask } from './saver-task.js';
import { WriterTask } from './writer-task.js';

const newConnect = (job: Job<ClientConnection>) => new ConnectTask(job.value);
const newWriter = (job: Job<ClientConnection>) => new WriterTask(job.value);
const newReader = (job: Job<ClientConnection>) => new ReaderTask(job.value);
const newFeeder = (job: Job<ClientConnection>) => new FeederTask(job.value);
const newSaver = (job: Job<ClientConnection>) => new SaverTask(job.value);

/**
 * One connection, go-work style: a oneshot task connects; then a writer, a reader, a feeder
 * (pulls work within the window) and a saver (checks and saves answers, with an idle timeout)
 * run together, handing off through channels. Any failure ends this job only; what it held is
 * then in `job.value.held` for the caller to requeue.
 */
export function createConnectionJob(ctx: ConnectionContext, name: string): Job<ClientConnection> {
  const conn = new ClientConnection(ctx);
  const job = new Job<ClientConnection>(conn, { signal: ctx.signal, logger: ctx.logger, name });
  conn.job = job;
  job.addOneshotTask(newConnect);
  job.addTask(newWriter);
  job.addTask(newReader);
  job.addTask(newFeeder);
  job.addTaskWithIdleTimeout(newSaver, ctx.timeoutMs + 1000);
  return job;
}
