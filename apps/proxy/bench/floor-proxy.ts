/**
 * The floor: the least a Node TCP proxy on `net.Socket` can do per connection — less than the
 * pipe() baseline (pipe-proxy.ts) and far less than ours. Per connection: the accepted socket,
 * one `net.connect`, each socket's 'data' written to the other with pause/resume on backpressure,
 * FINs passed on, and a destroy of the other side on close or error. The listeners are shared
 * module-level functions (no closure per connection), the upstream reads go into one reused
 * buffer through `onread` as ours do. No pipe(), job, balancing, limits, timeouts, logs or
 * metrics.
 *
 * With `job`, the same relay runs under one @tcpbalancer/job Job per connection, as the
 * architecture asks of the proxy: a oneshot task whose init connects, a task whose run waits for
 * both sockets to close, a finalizer that destroys both. That is the floor under a proxy built
 * on the job pattern: what the job itself costs per connection, with nothing else of ours.
 *
 * Neither is a proxy anyone should run (no connect timeout, no error reporting): they are in the
 * bench to show how low a net.Socket proxy can go on this machine, so that a target stated as a
 * ratio to the pipe proxy can be checked against what net.Socket (and the job) itself costs.
 *
 *   floor-proxy.js <listenPort> <upstreamPort> [job]
 */
import { connect, createServer, type Socket } from 'node:net';
import { Job, type Task, type TaskRoutines } from '@tcpbalancer/job';

const [listenPort, upstreamPort] = process.argv.slice(2, 4).map(Number);
const WITH_JOB = process.argv[4] === 'job';

const kPeer = Symbol('peer');
type Peered = Socket & { [kPeer]: Socket };
const peerOf = (s: Socket): Socket => (s as Peered)[kPeer];

/** One process-wide read buffer for every upstream; the bytes are copied out before the write. */
const readBuffer = Buffer.allocUnsafe(64 * 1024);

function onUpstreamRead(this: Socket, n: number, buf: Uint8Array): boolean {
  const out = Buffer.allocUnsafe(n);
  out.set(buf.subarray(0, n));
  if (!peerOf(this).write(out)) this.pause();
  return true;
}
function onData(this: Socket, chunk: Buffer): void {
  if (!peerOf(this).write(chunk)) this.pause();
}
function onDrain(this: Socket): void {
  peerOf(this).resume();
}
function onEnd(this: Socket): void {
  peerOf(this).end();
}
function onGone(this: Socket): void {
  peerOf(this).destroy();
}

function relay(client: Socket): Socket {
  const upstream = connect({
    port: upstreamPort as number,
    host: '127.0.0.1',
    noDelay: true,
    onread: { buffer: readBuffer, callback: onUpstreamRead },
  });
  (client as Peered)[kPeer] = upstream;
  (upstream as Peered)[kPeer] = client;
  client.on('data', onData);
  client.on('drain', onDrain);
  upstream.on('drain', onDrain);
  client.on('end', onEnd);
  upstream.on('end', onEnd);
  client.on('error', onGone);
  upstream.on('error', onGone);
  client.on('close', onGone);
  upstream.on('close', onGone);
  return upstream;
}

/**
 * The job's value; both sockets carry it under kPair, so that the job's listeners are shared
 * functions too (no closure per connection but the two promises' executors).
 */
interface Pair {
  readonly client: Socket;
  upstream: Socket | undefined;
  connected: ((value?: undefined) => void) | undefined;
  failed: ((err: Error) => void) | undefined;
  closed: (() => void) | undefined;
}
const kPair = Symbol('pair');
type Paired = Socket & { [kPair]: Pair };
const pairOf = (s: Socket): Pair => (s as Paired)[kPair];

function onUpstreamConnect(this: Socket): void {
  pairOf(this).connected?.();
}
function onUpstreamClose(this: Socket): void {
  pairOf(this).failed?.(new Error('upstream closed'));
}
function onClientClose(this: Socket): void {
  pairOf(this).closed?.();
}

/** Oneshot: connect (the relay is wired at once, as in the plain floor), then wait for 'connect'. */
class Connect implements TaskRoutines<Pair> {
  constructor(private readonly pair: Pair) {}
  init(): Promise<void> {
    const pair = this.pair;
    const upstream = relay(pair.client);
    (pair.client as Paired)[kPair] = pair;
    (upstream as Paired)[kPair] = pair;
    pair.upstream = upstream;
    upstream.once('connect', onUpstreamConnect);
    upstream.once('close', onUpstreamClose);
    return new Promise((resolve, reject) => {
      pair.connected = resolve;
      pair.failed = reject;
    });
  }
  run(task: Task<Pair>): void {
    task.done();
  }
  finalize(): void {
    this.pair.client.destroy();
    this.pair.upstream?.destroy();
  }
}

/** The connection's life: done when the client has closed. */
class Life implements TaskRoutines<Pair> {
  constructor(private readonly pair: Pair) {}
  init(): void {
    this.pair.client.once('close', onClientClose);
  }
  run(task: Task<Pair>): Promise<void> | undefined {
    if (this.pair.client.closed) {
      task.done();
      return undefined;
    }
    return new Promise((resolve) => {
      this.pair.closed = resolve;
    });
  }
}

const newConnect = (job: Job<Pair>) => new Connect(job.value);
const newLife = (job: Job<Pair>) => new Life(job.value);

const server = createServer({ noDelay: true }, (client) => {
  if (!WITH_JOB) {
    relay(client);
    return;
  }
  const job = new Job<Pair>({
    client,
    upstream: undefined,
    connected: undefined,
    failed: undefined,
    closed: undefined,
  });
  job.addOneshotTask(newConnect);
  job.addTask(newLife);
  job.start();
});
server.listen(listenPort, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(
    `${JSON.stringify({ msg: 'listening', port: typeof addr === 'object' && addr ? addr.port : 0 })}\n`,
  );
});
