/**
 * One accepted socket = one job (go-work style): a oneshot that owns the socket, and three
 * recurrent tasks joined by channels:
 *
 *   read frames ──requests──▶ resize dispatch ──responses──▶ write responses
 *        └──────────── pongs, immediate errors ───────────────▲
 *
 * Each task is a small TaskRoutines class in its own file (read-task, dispatch-task,
 * write-task, socket-task); the connection's state is owned by small objects with one concern
 * each: MeteredInput (decoding, pause/resume, the input's share of the budget, the frame
 * deadline), Writer (writes with backpressure, unsent answers), RequestSlots (--max-inflight),
 * OurWork (work in progress keeps the idle clock running), and linger() for every polite close.
 *
 * Idle timeout: the read and write tasks are watched. Progress is a complete frame, a flushed
 * answer, or a resize at work — never a mere byte, so a trickling peer cannot keep the
 * connection open. A frame must also complete within --frame-timeout of its first byte.
 *
 * Graceful end (peer EOF, protocol error, drain): the read task closes `requests`; dispatch waits
 * for its resizes, sends the final frame if any (an error about the connection), closes
 * `responses`; write flushes, ends the socket, lingers a moment discarding input (so that our
 * last frame is not lost to a reset), and the job is done. Any other end (peer reset, timeout,
 * destroy) cancels the job; the socket task's finalizer releases everything.
 */
import type { Socket } from 'node:net';
import { Channel, Job, type JobState, type Task } from '@tcpbalancer/job';
import type { DecoderLimits, Frame } from '@tcpbalancer/protocol';
import type { Logger } from 'pino';
import type { BufferBudget } from '../buffer-budget.js';
import { BackendDestroyedError, PeerClosedError } from '../errors.js';
import type { BackendMetrics } from '../metrics.js';
import type { ResizeLimits } from '../resize.js';
import type { Semaphore } from '../semaphore.js';
import { newDispatchTask } from './dispatch-task.js';
import { MeteredInput, tagInput } from './metered-input.js';
import { OurWork } from './our-work.js';
import { newReadTask } from './read-task.js';
import { RequestSlots } from './request-slots.js';
import { newSocketTask } from './socket-task.js';
import { newWriteTask } from './write-task.js';
import { type OutItem, Writer } from './writer.js';

/** What every connection shares with the backend. */
export interface ConnectionContext {
  readonly name: string;
  readonly maxInflight: number;
  readonly idleTimeout: number;
  readonly frameTimeout: number;
  readonly decoderLimits: Partial<DecoderLimits>;
  readonly resizeLimits: ResizeLimits;
  /** Process-wide: resizes at a time. */
  readonly resizeSlots: Semaphore;
  /** Process-wide: bytes held for peers; over it no socket is read. */
  readonly budget: BufferBudget;
  readonly metrics: BackendMetrics;
  /** --proxy-protocol: the header's deadline, ms; undefined: no header is looked for. */
  readonly proxyProtocolTimeout: number | undefined;
}

/**
 * The socket carries its Connection under this key, so that the socket listeners are shared
 * module-level functions (`this` is the socket when an EventEmitter calls a listener) rather than
 * closures made per connection — the proxy's model (apps/proxy/src/connection.ts).
 */
const kConn = Symbol('tcpb.connection');
type Tagged = Socket & { [kConn]: Connection };
const connOf = (socket: Socket): Connection => (socket as Tagged)[kConn];

/** The peer closed or reset (or we destroyed the socket): see Connection.socketClosed. */
export function onSocketClose(this: Socket): void {
  connOf(this).socketClosed();
}
/** The peer's FIN: every byte before it has been decoded. */
export function onSocketEnd(this: Socket): void {
  connOf(this).input.end();
}

export class Connection {
  readonly job: Job<Connection>;
  /** Resolves once the job has ended and the socket is closed. */
  readonly closed: Promise<void>;
  readonly input: MeteredInput;
  readonly writer: Writer;
  readonly slots: RequestSlots;
  readonly work = new OurWork();
  /** read → dispatch: requests holding an in-flight slot. */
  readonly requests = new Channel<Frame>();
  /** dispatch and read → write. Room for every in-flight answer plus a few pongs/errors. */
  readonly responses: Channel<OutItem>;
  /** Sent after every answer, then the connection ends (protocol error, truncation). */
  finalFrame: Frame | undefined = undefined;
  /** New requests get ERR_SHUTTING_DOWN; the connection ends once the in-flight ones are answered. */
  draining = false;
  /** The job is ending by our own choice: a 'close' now is expected, not a peer reset. */
  endingGracefully = false;
  isSocketClosed = false;
  readonly #readTask: Task<Connection>;
  readonly #writeTask: Task<Connection>;
  #resolveClosed!: () => void;

  constructor(
    readonly id: number,
    readonly socket: Socket,
    readonly ctx: ConnectionContext,
    /** Rebound with the real client's address once a PROXY header gives it. */
    public log: Logger,
  ) {
    // The socket's 'error' listener went on in the tick it was accepted (backend.ts): an error
    // is followed by 'close', which ends this job, never the process.
    (socket as Tagged)[kConn] = this;
    this.input = new MeteredInput(
      socket,
      ctx.decoderLimits,
      ctx.frameTimeout,
      ctx.budget,
      ctx.metrics,
    );
    tagInput(socket, this.input);
    this.writer = new Writer(socket, ctx.budget, ctx.metrics);
    this.slots = new RequestSlots(ctx.maxInflight, ctx.metrics.inflight);
    this.responses = new Channel<OutItem>(ctx.maxInflight + 8);
    this.closed = new Promise<void>((resolve) => {
      this.#resolveClosed = resolve;
    });
    const watched = ctx.idleTimeout > 0 ? { idleTimeout: ctx.idleTimeout } : {};
    const job = new Job<Connection>(this, { name: `conn-${id}`, logger: log });
    // The oneshot is added first, so its finalizer (the socket's single cleanup point) runs last.
    job.addOneshotTask(newSocketTask);
    this.#readTask = job.addTask(newReadTask, watched);
    job.addTask(newDispatchTask);
    this.#writeTask = job.addTask(newWriteTask, watched);
    this.job = job;
  }

  /** Starts the job; resolves with its end state. Never rejects. */
  run(): Promise<JobState> {
    return this.job.run();
  }

  /** Graceful: new requests get ERR_SHUTTING_DOWN; in-flight ones are answered; then the end. */
  drain(): void {
    if (this.draining) return;
    this.draining = true;
    this.input.wake();
  }

  /** Abort: the socket is destroyed at once; in-flight work is dropped. */
  destroy(): void {
    this.job.cancel(new BackendDestroyedError());
    this.socket.destroy();
  }

  /** Resets both idle clocks: the connection is doing something useful. */
  progress(): void {
    this.#readTask.tick();
    this.#writeTask.tick();
  }

  /** A whole frame was handed on: progress for the write side too (the read side returns). */
  readProgress(): void {
    this.#writeTask.tick();
  }

  /** An answer was written: progress for the read side too (the write side returns). */
  writeProgress(): void {
    this.#readTask.tick();
  }

  /** @internal the socket's 'close'. */
  socketClosed(): void {
    if (this.isSocketClosed) return;
    this.isSocketClosed = true;
    this.#resolveClosed();
    this.input.wake();
    if (!this.endingGracefully) this.job.cancel(new PeerClosedError());
  }
}
