import type { Socket } from 'node:net';
import { Notifier } from '@tcpbalancer/job';
import {
  type DecoderLimits,
  ErrorCode,
  type Frame,
  FrameDecoder,
  ProtocolError,
} from '@tcpbalancer/protocol';
import type { BufferBudget } from '../buffer-budget.js';
import type { BackendMetrics } from '../metrics.js';
import { FrameDeadline } from './frame-deadline.js';

/**
 * The socket's input side: decodes frames as bytes arrive, holds them until the read task takes
 * them, pauses and resumes the socket, and charges what it holds to the process-wide budget.
 *
 * One counter, `held`: the decoder's frame in progress plus the payloads of decoded frames not
 * yet released (their resize not finished). Each read changes it by exactly what the decoder
 * kept and the frames it made; nothing else is counted twice or kept in step by hand.
 *
 * Backpressure: the socket is paused (a) when bytes arrive while the read task is not parked for
 * input (it is waiting for an in-flight slot: taking more bytes would only buffer them here),
 * resumed when it parks again with nothing left to take; (b) while the budget is spent, resumed
 * when it drops under the limit. Paused, the kernel's buffers fill and the peer's writes block.
 *
 * Flowing mode hands over the socket's own buffers; the decoder keeps large bodies as views of
 * them (no copy), see FrameDecoder.
 */
export class MeteredInput {
  /** The read task parks here; notified on frames, EOF, failure, deadline, and by `wake()`. */
  readonly changed = new Notifier();
  readonly deadline: FrameDeadline;
  readonly #decoder: FrameDecoder;
  readonly #pending: Frame[] = [];
  #held = 0;
  #paused = false;
  #ended = false;
  #failure: ProtocolError | undefined = undefined;
  /** Attached to the socket's 'data' (false once stopped: nothing more is read). */
  #reading = false;
  /** False once closed: nothing more is charged (everything was released). */
  #accounting = true;
  /** Set while a budget wait is pending; aborted on close. */
  #budgetWait: AbortController | undefined = undefined;

  constructor(
    private readonly socket: Socket,
    limits: Partial<DecoderLimits>,
    frameTimeoutMs: number,
    private readonly budget: BufferBudget,
    private readonly metrics: BackendMetrics,
  ) {
    this.#decoder = new FrameDecoder(limits);
    this.deadline = new FrameDeadline(frameTimeoutMs, () => this.wake());
  }

  /** Bytes held for the peer's input (charged to the budget). */
  get held(): number {
    return this.#held;
  }

  /** Bytes of an unfinished frame are held. */
  get inFrame(): boolean {
    return this.#decoder.inFrame;
  }

  /** The peer ended its side (every byte before the FIN is decoded). */
  get ended(): boolean {
    return this.#ended;
  }

  /** The malformed frame that stopped the input (the frames before it were taken first). */
  get failure(): ProtocolError | undefined {
    return this.#pending.length === 0 ? this.#failure : undefined;
  }

  get hasFrames(): boolean {
    return this.#pending.length > 0;
  }

  /** Starts reading the socket; `first`: bytes already read from it (after a PROXY header). */
  start(first?: Buffer): void {
    if (this.#reading || !this.#accounting) return;
    this.#reading = true;
    this.socket.on('data', onData);
    if (first !== undefined && first.length > 0) this.push(first);
    // A socket paused by an earlier reader stays paused when a 'data' listener is added.
    if (!this.#paused) this.socket.resume();
  }

  /** Bytes from the socket (the 'data' listener). */
  push(chunk: Buffer): void {
    this.metrics.bytesIn.inc(chunk.length);
    const decoder = this.#decoder;
    const before = decoder.bufferedBytes;
    let frames: Frame[];
    try {
      frames = decoder.push(chunk);
    } catch (err) {
      // The decoder is closed now: it holds nothing; the whole frames before the bad one are
      // still answered, then the connection ends with the error.
      const pe =
        err instanceof ProtocolError ? err : new ProtocolError(ErrorCode.BadHeader, String(err));
      this.#failure = pe;
      this.#take(pe.decodedFrames, -before);
      this.stop();
      this.wake();
      return;
    }
    this.#take(frames, decoder.bufferedBytes - before);
    this.deadline.update(decoder.inFrame, frames.length > 0);
    if (this.changed.waiting === 0) {
      // The read task is busy handing frames on (waiting for a slot): let the kernel hold the
      // rest. It resumes the socket when it parks again with nothing left to take.
      this.#pause();
    } else if (frames.length > 0) {
      this.changed.notify();
    }
    if (this.budget.over) {
      this.#pause();
      this.#waitForBudget();
    }
  }

  /** The peer's FIN (the 'end' listener). */
  end(): void {
    this.#ended = true;
    this.wake();
  }

  /** The next decoded frame; its payload stays charged until `release()`. */
  next(): Frame | undefined {
    return this.#pending.shift();
  }

  /** A taken frame's payload is no longer needed (answered, or resized). */
  release(bytes: number): void {
    this.#charge(-bytes);
  }

  /** At EOF: the frame cut by the FIN, if any (its bytes are released). */
  truncation(): ProtocolError | undefined {
    const held = this.#decoder.bufferedBytes;
    try {
      this.#decoder.end();
      return undefined;
    } catch (err) {
      this.#charge(-held);
      return err instanceof ProtocolError
        ? err
        : new ProtocolError(ErrorCode.TruncatedFrame, String(err));
    }
  }

  /** Wakes the parked read task (close, drain, a freed slot, the deadline). */
  wake(): void {
    this.changed.notify();
  }

  /** The read task has taken everything and parks until something changes. */
  waitForInput(signal: AbortSignal): Promise<boolean> {
    this.#resume();
    return this.changed.wait(signal);
  }

  /** No more reading (the job is ending, or a graceful end): detaches from the socket. */
  stop(): void {
    this.deadline.stop();
    if (!this.#reading) return;
    this.#reading = false;
    this.socket.off('data', onData);
  }

  /** The job ended: stop, and give back everything still held (frames not answered included). */
  close(): void {
    this.stop();
    this.#budgetWait?.abort();
    this.#pending.length = 0;
    this.#charge(-this.#held);
    this.#accounting = false;
  }

  #take(frames: Frame[], decoderDelta: number): void {
    let bytes = decoderDelta;
    for (const f of frames) {
      bytes += f.payload.length;
      this.#pending.push(f);
    }
    this.#charge(bytes);
  }

  #charge(bytes: number): void {
    if (!this.#accounting || bytes === 0) return;
    this.#held += bytes;
    if (bytes > 0) this.budget.add(bytes);
    else this.budget.sub(-bytes);
  }

  #pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.socket.pause();
  }

  /** Resumes when nothing waits for the read task and the budget allows it. */
  #resume(): void {
    if (!this.#paused || !this.#reading || this.#pending.length > 0) return;
    if (this.budget.over) {
      this.#waitForBudget();
      return;
    }
    this.#paused = false;
    this.socket.resume();
  }

  /** The budget is spent: stay paused until it drops under the limit (counted once per pause). */
  #waitForBudget(): void {
    if (this.#budgetWait !== undefined) return;
    this.metrics.budgetPauses.inc();
    const wait = new AbortController();
    this.#budgetWait = wait;
    this.budget.whenBelow(wait.signal).then(
      () => {
        this.#budgetWait = undefined;
        this.#resume();
      },
      () => {}, // closed meanwhile: nothing to resume
    );
  }
}

/**
 * The shared 'data' listener (`this` is the socket): one function for every connection rather
 * than a closure each, like the proxy's listeners (see apps/proxy/src/connection.ts).
 */
const kInput = Symbol('tcpb.input');
type Tagged = Socket & { [kInput]: MeteredInput };

export function tagInput(socket: Socket, input: MeteredInput): void {
  (socket as Tagged)[kInput] = input;
}

function onData(this: Socket, chunk: Buffer): void {
  (this as Tagged)[kInput].push(chunk);
}
