import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Channel, ChannelClosedError, Job, type Logger, type Task } from '@tcpbalancer/job';
import {
  encodeFrame,
  type Frame,
  FrameDecoder,
  FrameType,
  pongFrame,
  type ResizeRequestHeader,
  requestFrame,
} from '@tcpbalancer/protocol';
import { readErrorAnswer } from './error-answer.js';
import {
  BackendError,
  ConnectError,
  ConnectionLostError,
  errorMessage,
  RequestTimeoutError,
} from './errors.js';
import type { RateScheduler } from './rate-scheduler.js';
import type { Stats } from './stats.js';
import type { WorkItem, WorkQueue } from './work-queue.js';

/** Error codes a backend uses for "not now": the request goes to another connection instead of failing. */
export const RETRYABLE_BACKEND_CODES: ReadonlySet<string> = new Set([
  'ERR_BUSY',
  'ERR_SHUTTING_DOWN',
]);

/** What a connection needs from the run it belongs to. */
export interface ConnectionContext {
  readonly host: string;
  readonly port: number;
  readonly queue: WorkQueue;
  readonly scheduler: RateScheduler | undefined;
  readonly window: number;
  readonly timeoutMs: number;
  /** Connection failures a request survives before it fails for good. */
  readonly retries: number;
  readonly request: ResizeRequestHeader;
  readonly stats: Stats;
  readonly logger: Logger;
  /** The run's signal: its abort cancels every connection. */
  readonly signal: AbortSignal;
  /** The request payload; a rejection fails the item (not retried). */
  loadImage(item: WorkItem): Promise<Buffer>;
  /** Handles an answer (checks it, saves the result) and settles the item. Never rejects. */
  handleAnswer(item: WorkItem, frame: Frame, latencyMs: number): Promise<void>;
  /** Settles an item as failed for good. */
  fail(item: WorkItem, error: unknown): void;
}

interface InFlight {
  readonly item: WorkItem;
  /** performance.now() ms latency counts from: the scheduled time in open loop, else the send. */
  readonly startMs: number;
  readonly timer: ReturnType<typeof setTimeout>;
}

interface Answer {
  readonly item: WorkItem;
  readonly frame: Frame;
  readonly latencyMs: number;
}

/** The shared state of one connection's tasks (the job value). */
export interface ConnectionState {
  socket: net.Socket | undefined;
  readonly chunks: Channel<Buffer>;
  /** Encoded request frames, feeder → writer; at most a window of them. */
  readonly outbox: Channel<Buffer[]>;
  /** Answers, reader → saver. */
  readonly answers: Channel<Answer>;
  readonly decoder: FrameDecoder;
  /** Sent and not answered yet, by request id. */
  readonly pending: Map<number, InFlight>;
  /** Taken from the queue and not settled: what goes back to the queue if the connection dies. */
  readonly held: Set<WorkItem>;
  /** Of `held`, those that went on the wire (a connection failure is charged to them). */
  readonly sent: Set<WorkItem>;
  nextId: number;
  feederDone: boolean;
  /** The request in flight is a retry, sent alone. */
  isolated: boolean;
  /** Answers received: a connection that got some made progress. */
  answered: number;
  /** The TCP connection was established (a close after this is the peer's doing, not a refusal). */
  connected: boolean;
  /** Bytes received on this connection: a server that said anything at all (even an error) is there. */
  received: number;
  /** Wakes a waiting feeder (window) or saver (nothing to save yet). */
  wake: (() => void) | undefined;
  saverWake: (() => void) | undefined;
  /** Pongs queued behind the outbox, not yet written. */
  pongsWaiting: number;
}

const CHUNK_BUFFER = 16;
/** Pongs waiting for the outbox: a server pings once in a while, not thousands of times at once. */
const MAX_PONGS_WAITING = 64;
/** How long the saver sleeps when nothing is in flight (a return counts as progress). */
const SAVER_NAP_MS = 500;

/**
 * Parks a task until `state[key]()` is called: by the other tasks, or by the job's end (one
 * abort listener per job wakes everything, not one per wait). `ms`: also wake after that long.
 */
function wait(state: ConnectionState, key: 'wake' | 'saverWake', ms?: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = ms === undefined ? undefined : setTimeout(() => done(), ms);
    const done = () => {
      if (timer !== undefined) clearTimeout(timer);
      if (state[key] === done) state[key] = undefined;
      resolve();
    };
    state[key] = done;
  });
}

function poke(state: ConnectionState): void {
  state.wake?.();
  state.saverWake?.();
}

/**
 * One connection, go-work style: a oneshot task connects; then a writer, a reader, a feeder
 * (pulls work within the window) and a saver (checks and saves answers, with an idle timeout)
 * run together, handing off through channels. Any failure ends this job only; what it held is
 * then in `job.value.held` for the caller to requeue.
 */
export function createConnectionJob(ctx: ConnectionContext, name: string): Job<ConnectionState> {
  const state: ConnectionState = {
    socket: undefined,
    chunks: new Channel<Buffer>(CHUNK_BUFFER),
    outbox: new Channel<Buffer[]>(ctx.window),
    answers: new Channel<Answer>(ctx.window),
    decoder: new FrameDecoder(),
    pending: new Map(),
    held: new Set(),
    sent: new Set(),
    nextId: 1,
    feederDone: false,
    isolated: false,
    answered: 0,
    connected: false,
    received: 0,
    wake: undefined,
    saverWake: undefined,
    pongsWaiting: 0,
  };
  const job = new Job<ConnectionState>(state, { signal: ctx.signal, logger: ctx.logger, name });
  job.signal.addEventListener('abort', () => poke(state), { once: true });

  // --- connect (oneshot) ---
  job.addOneshotTask(() => ({
    async run(task: Task<ConnectionState>) {
      const socket = net.connect({ host: ctx.host, port: ctx.port, noDelay: true });
      state.socket = socket;
      let connected = false;
      // Listeners in the tick the socket exists: an unhandled 'error' would kill the process.
      socket.on('error', (err) => {
        job.cancel(
          connected
            ? new ConnectionLostError(`connection lost: ${err.message}`, { cause: err })
            : new ConnectError(`cannot connect to ${ctx.host}:${ctx.port}: ${err.message}`, {
                cause: err,
              }),
        );
      });
      socket.on('data', (chunk: Buffer) => {
        const sending = state.chunks.send(chunk);
        if (state.chunks.size >= CHUNK_BUFFER) {
          socket.pause();
          sending.then(
            () => socket.resume(),
            () => {},
          );
        } else {
          sending.catch(() => {});
        }
      });
      socket.on('end', () => state.chunks.close());
      socket.on('close', () => {
        state.chunks.close();
        if (!connected) job.cancel(new ConnectError(`cannot connect to ${ctx.host}:${ctx.port}`));
      });
      const timer = setTimeout(
        () => socket.destroy(new Error(`connect timeout after ${ctx.timeoutMs} ms`)),
        ctx.timeoutMs,
      );
      try {
        await new Promise<void>((resolve, reject) => {
          socket.once('connect', resolve);
          const onAbort = () => reject(task.signal.reason);
          if (task.signal.aborted) onAbort();
          task.signal.addEventListener('abort', onAbort, { once: true });
          socket.once('connect', () => task.signal.removeEventListener('abort', onAbort));
        });
      } finally {
        clearTimeout(timer);
      }
      connected = true;
      state.connected = true;
      ctx.stats.connections++;
      task.done();
    },
    finalize() {
      state.socket?.destroy();
    },
  }));

  // --- writer: frames from the outbox onto the socket, with backpressure ---
  job.addTask(() => ({
    async run(task: Task<ConnectionState>) {
      let parts: Buffer[];
      try {
        parts = await state.outbox.receive(task.signal);
      } catch (err) {
        if (err instanceof ChannelClosedError) {
          task.done();
          return;
        }
        throw err;
      }
      const socket = state.socket!;
      // Everything queued goes out in one corked batch: one writev for several requests.
      socket.cork();
      let ok = true;
      for (;;) {
        for (const p of parts) {
          ok = socket.write(p) && ok;
          ctx.stats.bytesSent += p.length;
        }
        if (state.outbox.size === 0) break;
        parts = await state.outbox.receive(task.signal);
      }
      socket.uncork();
      if (!ok && !socket.destroyed) {
        await new Promise<void>((resolve) => {
          const done = () => {
            socket.off('drain', done);
            socket.off('close', done);
            task.signal.removeEventListener('abort', done);
            resolve();
          };
          socket.on('drain', done);
          socket.on('close', done);
          task.signal.addEventListener('abort', done, { once: true });
        });
      }
    },
  }));

  // --- reader: bytes → frames → answers ---
  job.addTask(() => ({
    async run(task: Task<ConnectionState>) {
      let chunk: Buffer;
      try {
        chunk = await state.chunks.receive(task.signal);
      } catch (err) {
        if (!(err instanceof ChannelClosedError)) throw err;
        // The peer closed. Fine once everything is answered and nothing more will be sent.
        if (state.pending.size > 0 || !state.feederDone) {
          throw new ConnectionLostError(
            `connection closed by the peer with ${state.pending.size} request(s) in flight`,
          );
        }
        task.done();
        poke(state);
        return;
      }
      ctx.stats.bytesReceived += chunk.length;
      state.received += chunk.length;
      let frames: Frame[];
      try {
        frames = state.decoder.push(chunk);
      } catch (err) {
        throw new ConnectionLostError(`bad frame from the server: ${errorMessage(err)}`, {
          cause: err,
        });
      }
      for (const frame of frames) await onFrame(task, frame);
    },
    finalize() {
      for (const f of state.pending.values()) clearTimeout(f.timer);
    },
  }));

  async function onFrame(task: Task<ConnectionState>, frame: Frame): Promise<void> {
    if (frame.type === FrameType.Ping) {
      // Answered through the outbox so that it never interleaves with a request's bytes. A
      // peer that pings faster than the pongs drain would grow the waiting sends without bound.
      if (state.pongsWaiting >= MAX_PONGS_WAITING)
        throw new ConnectionLostError('the server sends pings faster than they can be answered');
      state.pongsWaiting++;
      void state.outbox
        .send(encodeFrame(pongFrame(frame.requestId)), task.signal)
        .catch(() => {})
        .finally(() => state.pongsWaiting--);
      return;
    }
    if (frame.type !== FrameType.Response && frame.type !== FrameType.Error) return;
    const inflight = state.pending.get(frame.requestId);
    if (!inflight) {
      if (frame.type === FrameType.Error && frame.requestId === 0) {
        // About the connection (ERR_BUSY, ERR_SHUTTING_DOWN, a framing error): it is going away.
        const e = readErrorAnswer(frame);
        throw new ConnectionLostError(`server error on the connection: ${e.code}: ${e.message}`);
      }
      job.log.debug({ requestId: frame.requestId }, 'answer to no pending request, ignored');
      return;
    }
    state.pending.delete(frame.requestId);
    clearTimeout(inflight.timer);
    state.answered++;
    ctx.stats.answers++;
    const latencyMs = performance.now() - inflight.startMs;
    state.wake?.();
    if (frame.type === FrameType.Error) {
      const e = readErrorAnswer(frame);
      if (RETRYABLE_BACKEND_CODES.has(e.code)) {
        // Not the image's fault: give it back to the queue, charged like a broken connection.
        state.held.delete(inflight.item);
        state.sent.delete(inflight.item);
        chargeAndRequeue(ctx, inflight.item, new BackendError(e.code, e.message));
        state.saverWake?.();
        return;
      }
    }
    await state.answers.send({ item: inflight.item, frame, latencyMs }, task.signal);
    state.saverWake?.();
  }

  // --- feeder: work from the shared queue, at most `window` in flight ---
  job.addTask(() => ({
    async run(task: Task<ConnectionState>) {
      // A retried request goes out alone (nothing else in flight, nothing sent beside it): if it
      // is what breaks connections (a poison request), it cannot take innocent requests down with it.
      const isolating = state.pending.size > 0 && (ctx.queue.hasRetry || state.isolated);
      if (state.pending.size >= ctx.window || isolating) {
        await wait(state, 'wake');
        return;
      }
      let item = ctx.queue.takeRetry();
      state.isolated = item !== undefined;
      let startMs: number | undefined;
      if (item) {
        startMs = ctx.scheduler ? item.scheduledAt : undefined;
      } else {
        const due = ctx.scheduler ? ctx.scheduler.next() : undefined;
        if (ctx.scheduler && due === undefined) {
          // The timetable is over: no new work for any connection (retries still go out).
          ctx.queue.close();
          return stopFeeding(task);
        }
        // The item is taken with its slot, before the wait: a slot once issued always goes out
        // (another connection closing the queue meanwhile must not drop it). Held, not sent: a
        // broken connection gives it back uncharged.
        item = ctx.queue.takeNew();
        if (!item) return stopFeeding(task);
        state.held.add(item);
        item.scheduledAt = due;
        startMs = due;
        if (due !== undefined) {
          const delay = due - performance.now();
          if (delay >= 1) await sleep(delay, undefined, { signal: task.signal });
        }
      }
      state.held.add(item);
      let payload: Buffer;
      try {
        payload = await ctx.loadImage(item);
      } catch (err) {
        state.held.delete(item);
        ctx.fail(item, err);
        return;
      }
      if (task.signal.aborted) return;
      const id = state.nextId;
      state.nextId = id >= 0xffff_ffff ? 1 : id + 1;
      const header: ResizeRequestHeader = {
        ...ctx.request,
        name: item.image.relPath.slice(0, 1024),
      };
      const parts = encodeFrame(requestFrame(id, header, payload));
      const timer = setTimeout(
        () => job.cancel(new RequestTimeoutError(ctx.timeoutMs)),
        ctx.timeoutMs,
      );
      state.pending.set(id, { item, startMs: startMs ?? performance.now(), timer });
      state.sent.add(item);
      await state.outbox.send(parts, task.signal);
      state.saverWake?.();
    },
  }));

  function stopFeeding(task: Task<ConnectionState>): void {
    state.feederDone = true;
    state.outbox.close();
    task.done();
    poke(state);
  }

  // --- saver: checks and saves answers; stalls longer than the timeout end the connection ---
  job.addTaskWithIdleTimeout(
    () => ({
      async run(task: Task<ConnectionState>) {
        if (state.answers.size === 0 && state.pending.size === 0) {
          if (state.feederDone) {
            task.finishJob();
            return;
          }
          // Nothing expected: a nap whose return counts as progress, so a quiet timetable is no stall.
          await wait(state, 'saverWake', SAVER_NAP_MS);
          return;
        }
        const answer = await state.answers.receive(task.signal);
        // From here the answer owns the item: if the connection dies during the save, the item
        // is not requeued (that would do it twice); the run awaits the save instead.
        state.held.delete(answer.item);
        state.sent.delete(answer.item);
        await ctx.handleAnswer(answer.item, answer.frame, answer.latencyMs);
      },
    }),
    ctx.timeoutMs + 1000,
  );

  return job;
}

/** One more failed attempt for `item`: back to the queue, or failed for good past --retries. */
export function chargeAndRequeue(ctx: ConnectionContext, item: WorkItem, error: unknown): void {
  item.attempts++;
  item.lastError = error;
  if (item.attempts > ctx.retries) {
    ctx.fail(item, error);
  } else {
    ctx.stats.retries++;
    ctx.queue.requeue(item);
  }
}
