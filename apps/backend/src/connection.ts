/**
 * One accepted socket = one job (go-work style), three recurrent tasks joined by channels:
 *
 *   read frames ──requests──▶ resize dispatch ──responses──▶ write responses
 *        └──────────── pongs, immediate errors ───────────────▲
 *
 * - read: decodes frames; takes a per-connection in-flight slot for each request before handing
 *   it on. With --max-inflight slots taken it stops reading the socket: the kernel buffers fill
 *   and the peer's writes block (backpressure, not buffering).
 * - dispatch: starts one resize per request (the process-wide --concurrency semaphore bounds how
 *   many run); results go out as they finish, so answers overtake each other and carry the id.
 *   While the socket pushes back (`writableNeedDrain`, or an answer not yet written) dispatch
 *   takes no new request and no queued request starts its resize: a peer that does not read
 *   its answers gets no more work done for it, and we hold at most about one unsent answer per
 *   resize slot — the requests channel then stops, the read task stops, the socket is not read.
 * - write: encodes and writes, waits for 'drain' when the socket pushes back, then frees the slot.
 *
 * Memory: every byte held for the peer (undecoded input, frames in progress, request payloads,
 * unsent answers) is charged to the process-wide BufferBudget; over it, no socket is read.
 *
 * Idle timeout: the read and write tasks are watched. Progress is a complete frame, a flushed
 * answer, or a resize at work — never a mere byte, so a trickling peer cannot keep the
 * connection open. A frame must also complete within --frame-timeout of its first byte.
 *
 * Graceful end (peer EOF, protocol error, drain): the read task closes `requests`; dispatch waits
 * for its resizes, sends the final frame if any (an error about the connection), closes
 * `responses`; write flushes, ends the socket, lingers a moment discarding input (so that our
 * last frame is not lost to a reset), and the job is done. Any other end (peer reset, timeout,
 * destroy) cancels the job; the finalizers release everything.
 */
import { once } from 'node:events';
import type { Socket } from 'node:net';
import {
  Channel,
  ChannelClosedError,
  Job,
  type JobState,
  type Task,
  TaskIdleTimeoutError,
} from '@tcpbalancer/job';
import {
  type DecoderLimits,
  ErrorCode,
  encodeFrame,
  encodeFrameToBuffer,
  errorFrame,
  type Frame,
  FrameDecoder,
  FrameType,
  ProtocolError,
  parseResizeRequest,
  pongFrame,
  type ResizeRequestHeader,
  type ResizeResponseHeader,
  responseFrame,
} from '@tcpbalancer/protocol';
import type { Logger } from 'pino';
import type { BufferBudget } from './buffer-budget.js';
import {
  BackendDestroyedError,
  BackendError,
  FrameTimeoutError,
  ImageError,
  PeerClosedError,
} from './errors.js';
import type { BackendMetrics } from './metrics.js';
import { classify, dryRun, type ResizeLimits, type ResizeOutput, resize } from './resize.js';
import { Semaphore } from './semaphore.js';

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
}

/** Bytes of undecoded input held per connection before the socket is paused. */
const INBOX_BYTES = 256 * 1024;

/** After our last frame and end(), how long we keep discarding input before destroying. */
const LINGER_MS = 1000;

interface OutItem {
  frame: Frame;
  /** It answers a request that holds an in-flight slot. */
  slot: boolean;
  /** For the requests counter; absent for pongs and connection errors. */
  outcome?: string;
  /** Bytes charged to the budget for this answer (released once written). */
  bytes?: number;
}

interface ConnState {
  readonly socket: Socket;
  readonly decoder: FrameDecoder;
  readonly requests: Channel<Frame>;
  readonly responses: Channel<OutItem>;
  readonly slots: Semaphore;
  /** Frames decoded and not yet handed on. */
  pending: Frame[];
  /** Requests holding a slot (received, not yet answered). */
  inflight: number;
  /** Requests in dispatch: queued for a resize slot or resizing (our work, not the peer's). */
  working: number;
  /** Resize promises of the dispatch task. */
  readonly active: Set<Promise<void>>;
  /** Sent after every answer, then the connection ends (protocol error, truncation). */
  finalFrame: Frame | undefined;
  draining: boolean;
  /** The read task's wait is cut short (drain, a slot freed while draining). */
  wake: (() => void) | undefined;
  /**
   * Chunks from 'data' events not yet decoded. Flowing mode hands over the socket's own
   * buffers (paused-mode read() would concatenate, a copy per byte); above INBOX_BYTES the
   * socket is paused, which is where backpressure reaches the kernel and the peer.
   */
  inbox: Buffer[];
  inboxBytes: number;
  /** The peer has ended its side and every chunk before it is in the inbox. */
  eof: boolean;
  /** performance.now() of the first byte of the frame in progress. */
  frameStartedAt: number | undefined;
  /** The frame deadline's timer (one per frame, not one per wait) and the frame it is for. */
  deadlineTimer: ReturnType<typeof setTimeout> | undefined;
  deadlineFor: number | undefined;
  /** The job is ending by our own choice: a 'close' now is expected, not a peer reset. */
  endingGracefully: boolean;
  closed: boolean;
  /** Bytes this connection has charged to the budget (input + unsent answers). */
  heldBytes: number;
  /** Of which input: inbox + the decoder's frame in progress + payloads not yet resized. */
  inputBytes: number;
  /** Payloads of decoded frames not yet released (their resize not finished). */
  payloadBytes: number;
  /** Answers produced and not yet written out (the write waits for 'drain'). */
  unsent: number;
  /** Requests waiting for the socket to stop pushing back. */
  readonly writableWaiters: Set<() => void>;
  /** Set while the socket is paused because the budget is spent: cancels the wake-up. */
  budgetWait: (() => void) | undefined;
  /** False once finalized: nothing more is charged (everything was released). */
  accounting: boolean;
}

export class Connection {
  readonly id: number;
  readonly log: Logger;
  readonly job: Job<ConnState>;
  /** Resolves once the job has ended and the socket is closed. */
  readonly closed: Promise<void>;
  readonly #ctx: ConnectionContext;
  readonly #socket: Socket;
  #readTask!: Task<ConnState>;
  /** Detaches our 'data' listener and drops the undecoded input. */
  #stopInput: () => void = () => {};
  #writeTask!: Task<ConnState>;

  constructor(id: number, socket: Socket, ctx: ConnectionContext, log: Logger) {
    this.id = id;
    this.#ctx = ctx;
    this.#socket = socket;
    this.log = log;
    const state: ConnState = {
      socket,
      decoder: new FrameDecoder(ctx.decoderLimits),
      requests: new Channel<Frame>(),
      // Room for every in-flight answer plus a few pongs/errors: senders rarely wait.
      responses: new Channel<OutItem>(ctx.maxInflight + 8),
      slots: new Semaphore(ctx.maxInflight),
      pending: [],
      inflight: 0,
      working: 0,
      active: new Set(),
      finalFrame: undefined,
      draining: false,
      wake: undefined,
      inbox: [],
      inboxBytes: 0,
      eof: false,
      frameStartedAt: undefined,
      deadlineTimer: undefined,
      deadlineFor: undefined,
      endingGracefully: false,
      closed: false,
      heldBytes: 0,
      inputBytes: 0,
      payloadBytes: 0,
      unsent: 0,
      writableWaiters: new Set(),
      budgetWait: undefined,
      accounting: true,
    };
    this.job = new Job<ConnState>(state, { name: `conn-${id}`, logger: log });
    this.closed = new Promise<void>((resolve) => {
      if (socket.destroyed) resolve();
      else socket.once('close', () => resolve());
    });
    this.#build();
  }

  /** Starts the job; resolves with its end state. Never rejects. */
  run(): Promise<JobState> {
    return this.job.run();
  }

  /** Graceful: new requests get ERR_SHUTTING_DOWN; in-flight ones are answered; then the end. */
  drain(): void {
    const s = this.job.value;
    if (s.draining) return;
    s.draining = true;
    s.wake?.();
  }

  /** Abort: the socket is destroyed at once; in-flight work is dropped. */
  destroy(): void {
    this.job.cancel(new BackendDestroyedError());
    this.#socket.destroy();
  }

  /** Resets the idle clocks: the connection is doing something useful. */
  #progress(): void {
    this.#readTask.tick();
    this.#writeTask.tick();
  }

  #build(): void {
    const job = this.job;
    const s = job.value;
    const ctx = this.#ctx;
    const socket = this.#socket;
    const log = this.log;
    const watched = ctx.idleTimeout > 0 ? { idleTimeout: ctx.idleTimeout } : {};

    // Oneshot: socket set-up; its finalizer (run last) is the single cleanup point of the socket.
    let keepAlive: ReturnType<typeof setInterval> | undefined;
    const onData = (chunk: Buffer) => {
      s.inbox.push(chunk);
      s.inboxBytes += chunk.length;
      s.inputBytes += chunk.length;
      this.#charge(chunk.length);
      if (s.inboxBytes >= INBOX_BYTES) socket.pause();
      else if (ctx.budget.over) this.#pauseForBudget();
      s.wake?.();
    };
    const onEnd = () => {
      s.eof = true;
      s.wake?.();
    };
    this.#stopInput = () => {
      socket.off('data', onData);
      s.budgetWait?.();
      s.budgetWait = undefined;
      s.inputBytes -= s.inboxBytes;
      this.#charge(-s.inboxBytes);
      s.inbox = [];
      s.inboxBytes = 0;
    };
    const onClose = () => {
      s.closed = true;
      s.wake?.();
      if (!s.endingGracefully) job.cancel(new PeerClosedError());
    };
    job.addOneshotTask(() => ({
      init: () => {
        socket.setNoDelay(true);
        socket.on('close', onClose);
        socket.on('end', onEnd);
        socket.on('data', onData);
        if (socket.destroyed) onClose();
        // A request queued or resizing for longer than the idle timeout is our work, not the
        // peer's idleness. (Answers the peer does not read are not work: they time out.)
        if (ctx.idleTimeout > 0) {
          keepAlive = setInterval(
            () => {
              if (s.working > 0) this.#progress();
            },
            Math.max(20, Math.floor(ctx.idleTimeout / 3)),
          );
          keepAlive.unref();
        }
      },
      finalize: () => {
        if (keepAlive) clearInterval(keepAlive);
        if (s.deadlineTimer) clearTimeout(s.deadlineTimer);
        socket.off('close', onClose);
        socket.off('end', onEnd);
        this.#stopInput();
        s.requests.close();
        s.responses.close();
        if (s.inflight > 0) ctx.metrics.inflight.dec(s.inflight);
        s.inflight = 0;
        // Whatever is still held for this peer is dropped with the job: give it back.
        this.#charge(-s.heldBytes);
        s.accounting = false;
        for (const w of [...s.writableWaiters]) w();
        const err = job.interruptedBy?.error;
        if (err === undefined || socket.destroyed) return;
        if (err instanceof TaskIdleTimeoutError || err instanceof FrameTimeoutError) {
          // Tell the peer why, best effort, then close without waiting for it.
          const code = err instanceof FrameTimeoutError ? err.code : ErrorCode.IdleTimeout;
          ctx.metrics.connectionErrors.inc({ code });
          log.info({ code }, 'closing: timeout');
          if (socket.writable && socket.writableLength < 65536) {
            socket.write(encodeFrameToBuffer(errorFrame(0, code, (err as Error).message)));
          }
          this.#stopInput();
          lingerThenDestroy(socket);
          return;
        }
        if (!(err instanceof BackendError)) log.warn({ err }, 'connection failed');
        socket.destroy();
      },
    }));

    // ── read frames ────────────────────────────────────────────────────────────────────────
    this.#readTask = job.addTask(
      () => ({
        run: async (task: Task<ConnState>) => {
          if (s.pending.length > 0) {
            await this.#handOn(task);
            return; // progress: whole frames were handled
          }
          for (;;) {
            const chunk = s.inbox.shift();
            if (chunk !== undefined) {
              s.inboxBytes -= chunk.length;
              if (s.inboxBytes < INBOX_BYTES && socket.isPaused() && s.budgetWait === undefined) {
                if (ctx.budget.over) this.#pauseForBudget();
                else socket.resume();
              }
              ctx.metrics.bytesIn.inc(chunk.length);
              let frames: Frame[];
              try {
                frames = s.decoder.push(chunk);
              } catch (err) {
                await this.#protocolError(err, task);
                return;
              }
              for (const f of frames) s.payloadBytes += f.payload.length;
              this.#recountInput();
              s.frameStartedAt = s.decoder.inFrame
                ? (s.frameStartedAt ?? performance.now())
                : undefined;
              if (frames.length > 0) {
                if (s.decoder.inFrame) s.frameStartedAt = performance.now();
                s.pending = frames;
                this.#writeTask.tick();
                return; // a complete frame: progress (the run loop ticks us)
              }
              continue;
            }
            if (s.closed) {
              task.done();
              return;
            }
            if (s.eof) {
              this.#eof(task);
              return;
            }
            if (s.draining && s.inflight === 0 && !s.decoder.inFrame) {
              log.debug('drained');
              s.requests.close();
              task.done();
              return;
            }
            await this.#waitReadable(task);
          }
        },
      }),
      watched,
    );

    // ── resize dispatch ────────────────────────────────────────────────────────────────────
    job.addTask(() => ({
      run: async (task: Task<ConnState>) => {
        let frame: Frame;
        try {
          // A peer whose answers pile up gets no new request dispatched: we stop taking from
          // `requests`, so the read task stops, so the socket is not read (backpressure).
          await this.#whenWritable(task.signal);
          frame = await s.requests.receive(task.signal);
        } catch (err) {
          if (!(err instanceof ChannelClosedError)) throw err;
          // No more requests: let the running ones answer, then the final frame, then close.
          while (s.active.size > 0) await Promise.allSettled([...s.active]);
          if (s.finalFrame)
            await s.responses.send({ frame: s.finalFrame, slot: false }, task.signal);
          s.responses.close();
          task.done();
          return;
        }
        const p: Promise<void> = this.#process(frame, task.signal).then(
          (item) => {
            item.bytes = item.frame.payload.length;
            this.#charge(item.bytes);
            s.unsent++;
            return s.responses.send(item, task.signal);
          },
          () => {}, // the job ended under it: nobody to answer
        );
        const tracked = p.catch(() => {}).finally(() => s.active.delete(tracked));
        s.active.add(tracked);
      },
    }));

    // ── write responses ────────────────────────────────────────────────────────────────────
    this.#writeTask = job.addTask(
      () => ({
        run: async (task: Task<ConnState>) => {
          let item: OutItem;
          try {
            item = await s.responses.receive(task.signal);
          } catch (err) {
            if (!(err instanceof ChannelClosedError)) throw err;
            await this.#endGracefully(task);
            task.done();
            return;
          }
          const parts = encodeFrame(item.frame);
          socket.cork();
          let ok = true;
          for (const part of parts) if (part.length > 0) ok = socket.write(part);
          socket.uncork();
          ctx.metrics.bytesOut.inc(parts[0]!.length + parts[1]!.length);
          if (!ok) await once(socket, 'drain', { signal: task.signal });
          if (item.bytes !== undefined) this.#charge(-item.bytes);
          if (item.outcome !== undefined) ctx.metrics.requests.inc({ outcome: item.outcome });
          if (item.slot) {
            s.inflight--;
            s.unsent--;
            ctx.metrics.inflight.dec();
            s.slots.release();
            if (s.draining) s.wake?.();
          }
          this.#notifyWritable();
          this.#readTask.tick(); // an answer written: progress (we tick ourselves by returning)
        },
      }),
      watched,
    );
  }

  /** Hands the decoded frames on, one at a time; a request waits for an in-flight slot. */
  async #handOn(task: Task<ConnState>): Promise<void> {
    const s = this.job.value;
    while (s.pending.length > 0) {
      const frame = s.pending[0]!;
      switch (frame.type) {
        case FrameType.Ping:
          await s.responses.send({ frame: pongFrame(frame.requestId), slot: false }, task.signal);
          this.#releasePayload(frame.payload.length);
          break;
        case FrameType.Request:
          if (s.draining) {
            this.#releasePayload(frame.payload.length);
            await s.responses.send(
              {
                frame: errorFrame(
                  frame.requestId,
                  ErrorCode.ShuttingDown,
                  'the backend is shutting down',
                ),
                slot: false,
                outcome: ErrorCode.ShuttingDown,
              },
              task.signal,
            );
            break;
          }
          // Backpressure: with every slot taken we stop here, and so stop reading the socket.
          await s.slots.acquire(task.signal);
          if (s.draining) {
            // The drain began while we waited for the slot: shed this one too.
            s.slots.release();
            continue;
          }
          s.inflight++;
          this.#ctx.metrics.inflight.inc();
          await s.requests.send(frame, task.signal);
          break;
        default:
          // Responses, errors and pongs are ours to send, not to receive: refuse that frame only.
          this.#releasePayload(frame.payload.length);
          await s.responses.send(
            {
              frame: errorFrame(
                frame.requestId,
                ErrorCode.BadFrameType,
                `frame type ${frame.type} is not accepted by a backend`,
              ),
              slot: false,
              outcome: ErrorCode.BadFrameType,
            },
            task.signal,
          );
      }
      s.pending.shift();
    }
  }

  /** Waits for input, EOF, close, a wake-up (drain, a freed slot), or the frame deadline (throws). */
  #waitReadable(task: Task<ConnState>): Promise<void> {
    const s = this.job.value;
    const frameTimeout = this.#ctx.frameTimeout;
    if (frameTimeout > 0 && s.frameStartedAt !== undefined) {
      const left = s.frameStartedAt + frameTimeout - performance.now();
      if (left <= 0) return Promise.reject(new FrameTimeoutError(frameTimeout));
      if (s.deadlineFor !== s.frameStartedAt) {
        // One timer per frame rather than one per wait (a large body arrives in many pieces, a
        // wait each): it only wakes us, and the check above then throws. A timer left over
        // from a finished frame wakes us for nothing, which is harmless.
        if (s.deadlineTimer) clearTimeout(s.deadlineTimer);
        s.deadlineFor = s.frameStartedAt;
        s.deadlineTimer = setTimeout(() => {
          s.deadlineTimer = undefined;
          s.deadlineFor = undefined;
          s.wake?.();
        }, Math.ceil(left));
        s.deadlineTimer.unref();
      }
    }
    return new Promise<void>((resolve, reject) => {
      const signal = task.signal;
      const cleanup = () => {
        signal.removeEventListener('abort', onAbort);
        s.wake = undefined;
      };
      const wake = () => {
        cleanup();
        resolve();
      };
      const onAbort = () => {
        cleanup();
        reject(signal.reason);
      };
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      s.wake = wake;
    });
  }

  /** A malformed or oversized frame: answer what came before it, then the error, then close. */
  async #protocolError(err: unknown, task: Task<ConnState>): Promise<void> {
    const s = this.job.value;
    const pe = err instanceof ProtocolError ? err : undefined;
    const code = pe?.code ?? ErrorCode.BadHeader;
    const message = err instanceof Error ? err.message : String(err);
    this.log.warn({ code, message }, 'protocol error: closing');
    this.#ctx.metrics.connectionErrors.inc({ code });
    s.finalFrame = errorFrame(0, code, message);
    s.frameStartedAt = undefined;
    // The whole frames before the bad one are still answered.
    s.pending = pe?.decodedFrames ?? [];
    for (const f of s.pending) s.payloadBytes += f.payload.length;
    this.#recountInput();
    await this.#handOn(task);
    s.requests.close();
    task.done();
  }

  /** The peer has half-closed: answer everything, then end (a cut frame gets an error first). */
  #eof(task: Task<ConnState>): void {
    const s = this.job.value;
    try {
      s.decoder.end();
    } catch (err) {
      const code = err instanceof ProtocolError ? err.code : ErrorCode.TruncatedFrame;
      this.#ctx.metrics.connectionErrors.inc({ code });
      s.finalFrame = errorFrame(0, code, err instanceof Error ? err.message : String(err));
      this.log.info({ code }, 'peer ended inside a frame');
    }
    s.requests.close();
    task.done();
  }

  /** Every answer is written: end our side, linger until the peer closes (bounded), done. */
  async #endGracefully(task: Task<ConnState>): Promise<void> {
    const s = this.job.value;
    const socket = this.#socket;
    s.endingGracefully = true;
    if (socket.destroyed) return;
    // Discard whatever the peer still sends: closing with unread bytes would send a reset that
    // can destroy our last frame before the peer reads it.
    this.#stopInput();
    socket.on('data', () => {});
    socket.resume();
    socket.end();
    if (s.closed) return;
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    try {
      await once(socket, 'close', { signal: task.signal });
    } catch {
      // cancelled meanwhile: the finalizer destroys the socket
    } finally {
      clearTimeout(timer);
    }
  }

  /** Charges (or, negative, releases) bytes held for this peer to the process-wide budget. */
  #charge(bytes: number): void {
    const s = this.job.value;
    if (!s.accounting || bytes === 0) return;
    s.heldBytes += bytes;
    if (bytes > 0) this.#ctx.budget.add(bytes);
    else this.#ctx.budget.sub(-bytes);
  }

  /** After decoding: input held = undecoded chunks + the frame in progress + payloads. */
  #recountInput(): void {
    const s = this.job.value;
    const now = s.inboxBytes + s.decoder.bufferedBytes + s.payloadBytes;
    this.#charge(now - s.inputBytes);
    s.inputBytes = now;
  }

  /** A decoded frame's payload is no longer needed (answered, or resized). */
  #releasePayload(bytes: number): void {
    const s = this.job.value;
    s.payloadBytes -= bytes;
    s.inputBytes -= bytes;
    this.#charge(-bytes);
  }

  /** The budget is spent: stop reading this socket until it drops under the limit. */
  #pauseForBudget(): void {
    const s = this.job.value;
    const socket = this.#socket;
    socket.pause();
    if (s.budgetWait !== undefined) return;
    this.#ctx.metrics.budgetPauses.inc();
    s.budgetWait = this.#ctx.budget.onBelow(() => {
      s.budgetWait = undefined;
      if (s.accounting && s.inboxBytes < INBOX_BYTES) socket.resume();
      s.wake?.();
    });
  }

  /** The socket pushes back, or an answer of ours is not written yet: start no more work. */
  #pushingBack(): boolean {
    const s = this.job.value;
    return s.accounting && (this.#socket.writableNeedDrain || s.unsent > 0);
  }

  /** Resolves once the socket no longer pushes back; rejects if the job ends. */
  #whenWritable(signal: AbortSignal): Promise<void> {
    if (!this.#pushingBack()) return Promise.resolve();
    if (signal.aborted) return Promise.reject(signal.reason);
    const waiters = this.job.value.writableWaiters;
    return new Promise<void>((resolve, reject) => {
      const check = () => {
        if (this.#pushingBack()) return;
        cleanup();
        resolve();
      };
      const onAbort = () => {
        cleanup();
        reject(signal.reason);
      };
      const cleanup = () => {
        waiters.delete(check);
        signal.removeEventListener('abort', onAbort);
      };
      waiters.add(check);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  #notifyWritable(): void {
    const s = this.job.value;
    if (s.writableWaiters.size === 0 || this.#pushingBack()) return;
    for (const w of [...s.writableWaiters]) w();
  }

  /**
   * Waits for a process-wide resize slot, counted as our work (the idle clock is kept running
   * only by work, not by waiting for a peer to read). If, once the slot is ours, the socket
   * pushes back (an answer of this connection finished meanwhile and is not written), the slot
   * goes to the next waiter and we wait for the peer first: so a peer that pipelines many
   * requests and never reads has at most one answer per resize slot made for it.
   */
  async #takeResizeSlot(signal: AbortSignal): Promise<void> {
    const s = this.job.value;
    const slots = this.#ctx.resizeSlots;
    for (;;) {
      await this.#whenWritable(signal);
      s.working++;
      try {
        await slots.acquire(signal);
      } catch (err) {
        s.working--;
        throw err;
      }
      if (!this.#pushingBack()) return;
      slots.release();
      s.working--;
    }
  }

  /** One request to one answer; its input is released once the answer is made. */
  async #process(frame: Frame, signal: AbortSignal): Promise<OutItem> {
    try {
      return await this.#answer(frame, signal);
    } finally {
      this.#releasePayload(frame.payload.length);
    }
  }

  /** One request to one answer (a response or an error frame). Rejects only if the job ended. */
  async #answer(frame: Frame, signal: AbortSignal): Promise<OutItem> {
    const ctx = this.#ctx;
    const s = this.job.value;
    const id = frame.requestId;
    let req: ResizeRequestHeader;
    try {
      req = parseResizeRequest(frame.header);
    } catch (err) {
      const code = err instanceof ProtocolError ? err.code : ErrorCode.BadRequest;
      return { frame: errorFrame(id, code, (err as Error).message), slot: true, outcome: code };
    }
    let out: ResizeOutput;
    const started = performance.now();
    let working = false;
    try {
      if (req.dryRun) {
        s.working++;
        working = true;
        out = await dryRun(frame.payload, req, ctx.resizeLimits);
      } else {
        await this.#takeResizeSlot(signal);
        working = true;
        const t0 = performance.now();
        try {
          out = await resize(frame.payload, req, ctx.resizeLimits);
        } finally {
          ctx.resizeSlots.release();
          ctx.metrics.resizeSeconds.observe((performance.now() - t0) / 1000);
        }
      }
    } catch (err) {
      if (signal.aborted) throw err;
      const e = err instanceof ImageError ? err : classify(err);
      if (this.log.isLevelEnabled('debug'))
        this.log.debug({ id, code: e.code, name: req.name, err: e.message }, 'request failed');
      return { frame: errorFrame(id, e.code, e.message), slot: true, outcome: e.code };
    } finally {
      if (working) {
        s.working--;
        this.#progress();
      }
    }
    const ms = Math.round((performance.now() - started) * 100) / 100;
    const header: ResizeResponseHeader = {
      backend: ctx.name,
      width: out.width,
      height: out.height,
      format: out.format,
      bytes: out.data.length,
      ms,
    };
    if (req.dryRun) header.dryRun = true;
    // Per request: at the default level not even the log object is built.
    if (this.log.isLevelEnabled('debug'))
      this.log.debug({ id, name: req.name, ms, width: out.width, height: out.height }, 'resized');
    return {
      frame: responseFrame(id, header, out.data),
      slot: true,
      outcome: req.dryRun ? 'dry_run' : 'ok',
    };
  }
}

function lingerThenDestroy(socket: Socket): void {
  socket.on('data', () => {});
  socket.resume();
  socket.end();
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}
