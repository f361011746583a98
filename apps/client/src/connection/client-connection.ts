import type net from 'node:net';
import { Channel, type Job, Notifier } from '@tcpbalancer/job';
import { type Frame, FrameDecoder } from '@tcpbalancer/protocol';
import { ConnectError, ConnectionLostError } from '../errors.js';
import type { WorkItem } from '../work-queue.js';
import type { ConnectionContext } from './connection-context.js';

/** Chunks read and not yet decoded; past it the socket is paused (backpressure on the server). */
export const CHUNK_BUFFER = 16;

export interface InFlight {
  readonly item: WorkItem;
  /** performance.now() ms latency counts from: the scheduled time in open loop, else the send. */
  readonly startMs: number;
  /** performance.now() ms it was handed to the writer (equal to startMs in closed loop). */
  readonly sentMs: number;
  readonly timer: ReturnType<typeof setTimeout>;
}

export interface Answer {
  readonly item: WorkItem;
  readonly frame: Frame;
  readonly latencyMs: number;
  /** Open loop: the latency from the send, not the slot (coordinated omission uncorrected). */
  readonly uncorrectedMs: number | undefined;
}

/**
 * The socket of a connection carries its ClientConnection under this key, so that the socket
 * listeners are shared module-level functions (`this` is the socket) rather than closures made
 * per connection: the proxy's model (apps/proxy/src/connection.ts).
 */
const kConn = Symbol('tcpb.client-connection');
type Tagged = net.Socket & { [kConn]: ClientConnection };
const connOf = (socket: net.Socket): ClientConnection => (socket as Tagged)[kConn];

function onSocketError(this: net.Socket, err: Error): void {
  const conn = connOf(this);
  const { host, port } = conn.ctx;
  conn.job.cancel(
    conn.connected
      ? new ConnectionLostError(`connection lost: ${err.message}`, { cause: err })
      : new ConnectError(`cannot connect to ${host}:${port}: ${err.message}`, { cause: err }),
  );
}
/** Bytes go to the reader through a bounded channel; a full channel pauses the socket. */
function onSocketData(this: net.Socket, chunk: Buffer): void {
  const conn = connOf(this);
  const sending = conn.chunks.send(chunk);
  if (conn.chunks.size >= CHUNK_BUFFER) {
    this.pause();
    sending.then(resumeSocket.bind(this), ignore);
  } else {
    sending.catch(ignore);
  }
}
function resumeSocket(this: net.Socket): void {
  this.resume();
}
function onSocketEnd(this: net.Socket): void {
  connOf(this).chunks.close();
}
function onSocketClose(this: net.Socket): void {
  const conn = connOf(this);
  conn.chunks.close();
  if (!conn.connected)
    conn.job.cancel(new ConnectError(`cannot connect to ${conn.ctx.host}:${conn.ctx.port}`));
}
function onConnectTimeout(socket: net.Socket, ms: number): void {
  socket.destroy(new Error(`connect timeout after ${ms} ms`));
}
function ignore(): void {}

/**
 * One connection of the client: the job's value, shared by its five tasks (connect, writer,
 * reader, feeder, saver; one class each beside this file). It owns the socket and its listeners,
 * the hand-off channels, what is in flight, and the two wake-ups (job package Notifiers).
 */
export class ClientConnection {
  socket: net.Socket | undefined = undefined;
  readonly chunks = new Channel<Buffer>(CHUNK_BUFFER);
  /** Encoded request frames, feeder → writer; at most a window of them. */
  readonly outbox: Channel<Buffer[]>;
  /** Answers, reader → saver. */
  readonly answers: Channel<Answer>;
  readonly decoder = new FrameDecoder();
  /** Sent and not answered yet, by request id. */
  readonly pending = new Map<number, InFlight>();
  /** Taken from the queue and not settled: what goes back to the queue if the connection dies. */
  readonly held = new Set<WorkItem>();
  /** Of `held`, those that went on the wire (a connection failure is charged to them). */
  readonly sent = new Set<WorkItem>();
  nextId = 1;
  feederDone = false;
  /** The request in flight is a retry, sent alone. */
  isolated = false;
  /** Answers received: a connection that got some made progress. */
  answered = 0;
  /** The TCP connection was established (a close after this is the peer's doing, not a refusal). */
  connected = false;
  /** Bytes received: a server that said anything at all (even an error) is there. */
  received = 0;
  /** Pongs queued behind the outbox, not yet written. */
  pongsWaiting = 0;
  /** Wakes the feeder: a window slot freed, the reader or the run says stop. */
  readonly feederWake = new Notifier();
  /** Wakes the saver: an answer queued, a request sent, a retry handed back. */
  readonly saverWake = new Notifier();
  job!: Job<ClientConnection>;

  constructor(readonly ctx: ConnectionContext) {
    this.outbox = new Channel<Buffer[]>(ctx.window);
    this.answers = new Channel<Answer>(ctx.window);
  }

  /**
   * The connect task's socket: tagged, and every listener on in this tick (an unhandled
   * 'error' would kill the process). A connect timeout destroys it with an error.
   */
  attach(socket: net.Socket): ReturnType<typeof setTimeout> {
    (socket as Tagged)[kConn] = this;
    this.socket = socket;
    socket.on('error', onSocketError);
    socket.on('data', onSocketData);
    socket.on('end', onSocketEnd);
    socket.on('close', onSocketClose);
    return setTimeout(onConnectTimeout, this.ctx.timeoutMs, socket, this.ctx.timeoutMs);
  }

  /** Wakes every parked task: something they wait on changed (or the connection is ending). */
  wakeAll(): void {
    this.feederWake.notifyAll();
    this.saverWake.notifyAll();
  }
}
