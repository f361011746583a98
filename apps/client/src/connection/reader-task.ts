import { ChannelClosedError, type Task, type TaskRoutines } from '@tcpbalancer/job';
import { encodeFrame, type Frame, FrameType, pongFrame } from '@tcpbalancer/protocol';
import { readErrorAnswer } from '../error-answer.js';
import { BackendError, ConnectionLostError, errorMessage } from '../errors.js';
import type { ClientConnection } from './client-connection.js';
import { chargeAndRequeue, RETRYABLE_BACKEND_CODES } from './connection-context.js';

/**
 * Pongs waiting for the outbox: a server pings once in a while, not thousands of times at once;
 * a flood from a peer that does not read would otherwise queue a pong each, without bound.
 */
const MAX_PONGS_WAITING = 64;

/**
 * Bytes → frames → answers. Answers go to the saver through a channel; a busy/shutting-down
 * answer gives its request back to the queue; pings are answered. The peer closing is fine only
 * once nothing is in flight and nothing more will be sent.
 */
export class ReaderTask implements TaskRoutines<ClientConnection> {
  constructor(private readonly conn: ClientConnection) {}

  async run(task: Task<ClientConnection>): Promise<void> {
    const { conn } = this;
    let chunk: Buffer;
    try {
      chunk = await conn.chunks.receive(task.signal);
    } catch (err) {
      if (!(err instanceof ChannelClosedError)) throw err;
      if (conn.pending.size > 0 || !conn.feederDone) {
        throw new ConnectionLostError(
          `connection closed by the peer with ${conn.pending.size} request(s) in flight`,
        );
      }
      task.done();
      conn.wakeAll();
      return;
    }
    conn.ctx.stats.bytesReceived += chunk.length;
    conn.received += chunk.length;
    let frames: Frame[];
    try {
      frames = conn.decoder.push(chunk);
    } catch (err) {
      throw new ConnectionLostError(`bad frame from the server: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    for (const frame of frames) await this.#onFrame(task, frame);
  }

  finalize(): void {
    for (const f of this.conn.pending.values()) clearTimeout(f.timer);
  }

  async #onFrame(task: Task<ClientConnection>, frame: Frame): Promise<void> {
    const { conn } = this;
    if (frame.type === FrameType.Ping) {
      this.#pong(task, frame.requestId);
      return;
    }
    if (frame.type !== FrameType.Response && frame.type !== FrameType.Error) return;
    const inflight = conn.pending.get(frame.requestId);
    if (!inflight) {
      if (frame.type === FrameType.Error && frame.requestId === 0) {
        // About the connection (ERR_BUSY, ERR_SHUTTING_DOWN, a framing error): it is going away.
        const e = readErrorAnswer(frame);
        throw new ConnectionLostError(`server error on the connection: ${e.code}: ${e.message}`);
      }
      task.job.log.debug({ requestId: frame.requestId }, 'answer to no pending request, ignored');
      return;
    }
    conn.pending.delete(frame.requestId);
    clearTimeout(inflight.timer);
    conn.answered++;
    conn.ctx.stats.answers++;
    const now = performance.now();
    const latencyMs = now - inflight.startMs;
    const uncorrectedMs = inflight.sentMs !== inflight.startMs ? now - inflight.sentMs : undefined;
    conn.feederWake.notifyAll();
    if (frame.type === FrameType.Error) {
      const e = readErrorAnswer(frame);
      if (RETRYABLE_BACKEND_CODES.has(e.code)) {
        // Not the image's fault: give it back to the queue, charged like a broken connection.
        conn.held.delete(inflight.item);
        conn.sent.delete(inflight.item);
        chargeAndRequeue(conn.ctx, inflight.item, new BackendError(e.code, e.message));
        conn.saverWake.notifyAll();
        return;
      }
    }
    await conn.answers.send({ item: inflight.item, frame, latencyMs, uncorrectedMs }, task.signal);
    conn.saverWake.notifyAll();
  }

  /** Answered through the outbox so that it never interleaves with a request's bytes. */
  #pong(task: Task<ClientConnection>, requestId: number): void {
    const { conn } = this;
    if (conn.pongsWaiting >= MAX_PONGS_WAITING)
      throw new ConnectionLostError('the server sends pings faster than they can be answered');
    conn.pongsWaiting++;
    conn.outbox
      .send(encodeFrame(pongFrame(requestId)), task.signal)
      .catch(() => {})
      .finally(() => conn.pongsWaiting--);
  }
}
