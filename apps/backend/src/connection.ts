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
 * - write: encodes and writes, waits for 'drain' when the socket pushes back, then frees the slot.
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
  /** The job is ending by our own choice: a 'close' now is expected, not a peer reset. */
  endingGracefully: boolean;
  closed: boolean;
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
      endingGracefully: false,
      closed: false,
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
      if (s.inboxBytes >= INBOX_BYTES) socket.pause();
      s.wake?.();
    };
    const onEnd = () => {
      s.eof = true;
      s.wake?.();
    };
    this.#stopInput = () => {
      socket.off('data', onData);
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
        socket.off('close', onClose);
        socket.off('end', onEnd);
        this.#stopInput();
        s.requests.close();
        s.responses.close();
        if (s.inflight > 0) ctx.metrics.inflight.dec(s.inflight);
        s.inflight = 0;
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
              if (s.inboxBytes < INBOX_BYTES && socket.isPaused()) socket.resume();
              ctx.metrics.bytesIn.inc(chunk.length);
              let frames: Frame[];
              try {
                frames = s.decoder.push(chunk);
              } catch (err) {
                await this.#protocolError(err, task);
                return;
              }
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
          (item) => s.responses.send(item, task.signal),
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
          if (item.outcome !== undefined) ctx.metrics.requests.inc({ outcome: item.outcome });
          if (item.slot) {
            s.inflight--;
            ctx.metrics.inflight.dec();
            s.slots.release();
            if (s.draining) s.wake?.();
          }
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
          break;
        case FrameType.Request:
          if (s.draining) {
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
    let timeoutMs: number | undefined;
    if (frameTimeout > 0 && s.frameStartedAt !== undefined) {
      timeoutMs = s.frameStartedAt + frameTimeout - performance.now();
      if (timeoutMs <= 0) return Promise.reject(new FrameTimeoutError(frameTimeout));
    }
    return new Promise<void>((resolve, reject) => {
      const signal = task.signal;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const cleanup = () => {
        signal.removeEventListener('abort', onAbort);
        if (timer) clearTimeout(timer);
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
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          cleanup();
          reject(new FrameTimeoutError(frameTimeout));
        }, Math.ceil(timeoutMs));
      }
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

  /** One request to one answer (a response or an error frame). Rejects only if the job ended. */
  async #process(frame: Frame, signal: AbortSignal): Promise<OutItem> {
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
    s.working++;
    try {
      if (req.dryRun) {
        out = await dryRun(frame.payload, req, ctx.resizeLimits);
      } else {
        await ctx.resizeSlots.acquire(signal);
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
      this.log.debug({ id, code: e.code, name: req.name, err: e.message }, 'request failed');
      return { frame: errorFrame(id, e.code, e.message), slot: true, outcome: e.code };
    } finally {
      s.working--;
      this.#progress();
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
