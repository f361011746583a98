import type { Socket } from 'node:net';
import type { Task, TaskRoutines } from '@tcpbalancer/job';
import type { Connection } from './connection.js';
import { PeerError } from './errors.js';
import type { Upstream } from './upstream.js';

/**
 * Every socket of a proxied connection carries its Connection under this key, so that all the
 * socket listeners are shared module-level functions (`this` is the socket when an
 * EventEmitter calls a listener) instead of closures made per connection: on a connect–echo–close
 * churn the closures, and the garbage they make, were a visible share of the cost of a connection.
 */
const kConn = Symbol('tcpb.connection');
type Tagged = Socket & { [kConn]: Connection };
const connOf = (socket: Socket): Connection => (socket as Tagged)[kConn];

/** Tags the client socket and puts its 'error' listener on (in the tick the socket exists). */
export function watchClient(conn: Connection): void {
  (conn.client as Tagged)[kConn] = conn;
  conn.client.on('error', onClientError);
}

/** Tags a connected upstream socket and puts its 'error' listener on, in the same tick. */
export function watchUpstream(conn: Connection, socket: Socket): void {
  (socket as Tagged)[kConn] = conn;
  socket.on('error', onUpstreamError);
}

function onClientError(this: Socket, err: Error): void {
  connOf(this).job.cancel(new PeerError('client', err));
}
function onUpstreamError(this: Socket, err: Error): void {
  connOf(this).job.cancel(new PeerError('upstream', err));
}
/** client → upstream; the source is paused as soon as the destination's buffer is full. */
function onClientData(this: Socket, chunk: Buffer): void {
  const conn = connOf(this);
  conn.bytesIn += chunk.length;
  (conn.up as Upstream).bytesToUpstream += chunk.length;
  if (!(conn.upstream as Socket).write(chunk)) this.pause();
}
/** A destination drained: resume the source that writes into it (upstream → client: see deliver). */
function onClientDrain(this: Socket): void {
  connOf(this).upstream?.resume();
}
function onUpstreamDrain(this: Socket): void {
  connOf(this).client.resume();
}
/** A FIN from one side is passed on once everything before it is flushed. */
function onClientEnd(this: Socket): void {
  connOf(this).upstream?.end();
}
function onUpstreamEnd(this: Socket): void {
  connOf(this).client.end();
}
/**
 * 'finish': the socket has flushed everything and sent its FIN, so the direction that writes
 * into it is complete. Not emitted when the write side fails (the 'error' listener cancels the
 * job then), nor on destroy().
 */
function onFinish(this: Socket): void {
  connOf(this).directionEnded();
}

/** Wires both directions of the relay (the relay task's init). */
export function wireRelay(conn: Connection): void {
  const client = conn.client;
  const upstream = conn.upstream as Socket;
  client.on('data', onClientData);
  client.on('drain', onClientDrain);
  upstream.on('drain', onUpstreamDrain);
  client.on('finish', onFinish);
  upstream.on('finish', onFinish);
  // net reads the FIN even while nobody consumes the socket, and with no data pending it emits
  // 'end' at once: a client that connects and half-closes before the upstream is connected has
  // already ended here.
  if (client.readableEnded) upstream.end();
  else client.on('end', onClientEnd);
  if (upstream.readableEnded) client.end();
  else upstream.on('end', onUpstreamEnd);
  // A client whose first bytes were read before this connection existed (PROXY header, TLS
  // hello) was paused then, and a 'data' listener does not resume an explicitly paused stream.
  if (client.readableFlowing === false) client.resume();
  // The upstream was connected paused: its reads go to Connection.deliver() through the
  // UpstreamReader, not to 'data' listeners, and start now.
  upstream.resume();
}

/**
 * The relay, both directions in one task: 'in' moves client → upstream, 'out' upstream → client.
 * Event-driven on purpose: `init` wires each source's 'data' to the other socket's write(),
 * pausing the source when write() returns false and resuming it on 'drain' (so at most the
 * destination's writable buffer plus one read chunk sit in the proxy per direction), and
 * forwards each FIN (half-close: the other direction keeps flowing). `run` awaits the end of
 * both directions once, not once per chunk: a promise and a task hop per chunk would cost a
 * measurable share of the request rate (see README, Benchmark). One task for both directions
 * rather than one each: a task, its promise and its closures fewer per connection.
 */
export class RelayTask implements TaskRoutines<Connection> {
  constructor(private readonly conn: Connection) {}

  init(): void {
    wireRelay(this.conn);
  }

  run(task: Task<Connection>): Promise<void> | undefined {
    if (this.conn.relayEnded) {
      task.done();
      return undefined;
    }
    // One promise for the connection's lifetime; the next run (after it resolves) sees
    // relayEnded and marks the task done, or the job has ended meanwhile and there is no next run.
    return this.conn.relayWait();
  }

  finalize(): void {
    this.conn.wakeRelay();
  }
}
