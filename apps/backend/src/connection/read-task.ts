import type { Job, Task, TaskRoutines } from '@tcpbalancer/job';
import { ErrorCode, errorFrame, type Frame, FrameType, pongFrame } from '@tcpbalancer/protocol';
import { FrameTimeoutError } from '../errors.js';
import type { Connection } from './connection.js';
import type { OutItem } from './writer.js';

export const newReadTask = (job: Job<Connection>): TaskRoutines<Connection> =>
  new ReadTask(job.value);

/**
 * Takes decoded frames from the input and hands each on: a request, once it holds an in-flight
 * slot, to dispatch; a ping's pong and a refusal straight to the writer. With every slot taken
 * it waits, the input pauses the socket, and the peer's writes block (backpressure).
 *
 * A run returns (the job counts it as progress) only after whole frames were handed on, or when
 * the task is done: bytes that complete no frame do not reset the idle clock.
 */
class ReadTask implements TaskRoutines<Connection> {
  constructor(private readonly conn: Connection) {}

  async run(task: Task<Connection>): Promise<void> {
    const { input } = this.conn;
    for (;;) {
      if (input.hasFrames) {
        for (let frame = input.next(); frame !== undefined; frame = input.next()) {
          await this.#handOn(frame, task);
        }
        this.conn.readProgress();
        return;
      }
      if (this.#ending(task)) return;
      if (input.deadline.expired) throw new FrameTimeoutError(input.deadline.timeoutMs);
      await input.waitForInput(task.signal);
    }
  }

  /** Nothing left to hand on: is the input over (and if so, the task done)? */
  #ending(task: Task<Connection>): boolean {
    const { conn } = this;
    const { input } = conn;
    const failure = input.failure;
    if (failure !== undefined) {
      // A malformed or oversized frame: the whole frames before it were handed on; its error
      // goes out after every answer, then the connection closes.
      const { code, message } = failure;
      conn.log.warn({ code, message }, 'protocol error: closing');
      conn.ctx.metrics.connectionErrors.inc({ code });
      conn.finalFrame = errorFrame(0, code, message);
    } else if (conn.isSocketClosed) {
      task.done();
      return true;
    } else if (input.ended) {
      // The peer half-closed: answer everything, then end (a cut frame gets an error first).
      const cut = input.truncation();
      if (cut !== undefined) {
        conn.ctx.metrics.connectionErrors.inc({ code: cut.code });
        conn.finalFrame = errorFrame(0, cut.code, cut.message);
        conn.log.info({ code: cut.code }, 'peer ended inside a frame');
      }
    } else if (conn.draining && conn.slots.count === 0 && !input.inFrame) {
      conn.log.debug('drained');
    } else {
      return false;
    }
    this.#finish(task);
    return true;
  }

  /** No more requests: dispatch answers what it has, then the final frame, then the end. */
  #finish(task: Task<Connection>): void {
    this.conn.input.stop();
    this.conn.requests.close();
    task.done();
  }

  /**
   * Not async itself: a ping's pong is one channel send, and an async wrapper around it would
   * cost a second promise per frame (+5 % CPU per frame in bench/frames.ts).
   */
  #handOn(frame: Frame, task: Task<Connection>): Promise<void> {
    const { conn } = this;
    if (frame.type === FrameType.Request && !conn.draining) return this.#request(frame, task);
    conn.input.release(frame.payload.length);
    let item: OutItem;
    switch (frame.type) {
      case FrameType.Ping:
        item = { frame: pongFrame(frame.requestId), slot: false };
        break;
      case FrameType.Request:
        item = shed(frame.requestId);
        break;
      default:
        // Responses, errors and pongs are ours to send, not to receive: refuse that frame only.
        item = {
          frame: errorFrame(
            frame.requestId,
            ErrorCode.BadFrameType,
            `frame type ${frame.type} is not accepted by a backend`,
          ),
          slot: false,
          outcome: ErrorCode.BadFrameType,
        };
    }
    return conn.responses.send(item, task.signal);
  }

  /** A request takes an in-flight slot, then goes to dispatch. */
  async #request(frame: Frame, task: Task<Connection>): Promise<void> {
    const { conn } = this;
    // Backpressure: with every slot taken we stop here, and so stop reading the socket.
    await conn.slots.acquire(task.signal);
    if (!conn.draining) {
      await conn.requests.send(frame, task.signal);
      return;
    }
    conn.slots.release(); // the drain began while we waited for the slot: shed this one too
    conn.input.release(frame.payload.length);
    await conn.responses.send(shed(frame.requestId), task.signal);
  }
}

/** A request that arrives while the backend drains. */
function shed(requestId: number): OutItem {
  return {
    frame: errorFrame(requestId, ErrorCode.ShuttingDown, 'the backend is shutting down'),
    slot: false,
    outcome: ErrorCode.ShuttingDown,
  };
}
