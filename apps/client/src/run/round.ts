import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Job, Logger } from '@tcpbalancer/job';
import type { ResizeRequestHeader } from '@tcpbalancer/protocol';
import type { ClientConfig } from '../config.js';
import type { ClientConnection } from '../connection/client-connection.js';
import { type ConnectionContext, chargeAndRequeue } from '../connection/connection-context.js';
import { createConnectionJob } from '../connection/connection-job.js';
import {
  AbortedError,
  ConnectError,
  ConnectionLostError,
  errorCode,
  errorMessage,
  NoBackendError,
  ReadImageError,
} from '../errors.js';
import type { RateScheduler } from '../rate-scheduler.js';
import { ImageTooLargeError, readImageFile } from '../read-image.js';
import type { WorkItem, WorkQueue } from '../work-queue.js';
import type { AnswerHandler } from './answer-handler.js';
import type { RunRecord } from './run-record.js';

const BACKOFF_BASE_MS = 100;
const BACKOFF_MAX_MS = 2000;
/**
 * Connections in a row (per connection of the round) accepted and then closed by the peer before
 * any answer, with no answer anywhere meanwhile, after which the round is given up: a proxy whose
 * backends are all down does exactly that, and retrying each image would only repeat it.
 */
const CLOSED_EARLY_PER_CONN = 3;

/** What every round of a run shares. */
export interface RoundDeps {
  readonly config: ClientConfig;
  readonly request: ResizeRequestHeader;
  readonly record: RunRecord;
  readonly answers: AnswerHandler;
  readonly logger: Logger;
  /** The run's signal (SIGINT/SIGTERM). */
  readonly signal: AbortSignal;
  readonly loadMode: boolean;
}

/**
 * One round: its queue spread over N connection slots, each running connection jobs one after
 * another. It watches for an outage (connections accepted then closed before any answer, in a
 * row: a proxy with every backend down) and gives the round up with one headline when it sees
 * one, or when every slot gave up connecting.
 */
export class Round {
  readonly #ctx: ConnectionContext;
  readonly #saving = new Set<Promise<void>>();
  /** Connections accepted then closed before any answer, in a row (an answer anywhere breaks it). */
  #streak = 0;
  /** stats.answers when the streak started: a change means something answered meanwhile. */
  #answersAtStreak: number;
  readonly #threshold: number;
  readonly #conns: number;
  /** Set once the round is given up: what the rest fails with. */
  #reason: NoBackendError | undefined = undefined;
  /** The running connection jobs, cancelled when the round is given up. */
  readonly #jobs = new Set<Job<ClientConnection>>();
  /**
   * The error of the last connection that carried nothing (refused, closed at once): the cause
   * to report when the round ends (a short --duration) before any slot used up its retries.
   */
  #lastFruitless: unknown = undefined;

  constructor(
    private readonly deps: RoundDeps,
    private readonly queue: WorkQueue,
    scheduler: RateScheduler | undefined,
    private readonly round: number,
  ) {
    const { config, record } = deps;
    this.#conns = config.conns ?? randomInt(config.minConns, config.maxConns + 1);
    this.#threshold = CLOSED_EARLY_PER_CONN * this.#conns;
    this.#answersAtStreak = record.stats.answers;
    this.#ctx = {
      host: config.proxy.host,
      port: config.proxy.port,
      queue,
      scheduler,
      window: config.window,
      timeoutMs: config.timeoutMs,
      retries: config.retries,
      request: deps.request,
      stats: record.stats,
      logger: deps.logger,
      signal: deps.signal,
      loadImage,
      handleAnswer: (item, frame, latencyMs, uncorrectedMs) => {
        const p = deps.answers.handle(queue, item, frame, latencyMs, uncorrectedMs);
        this.#saving.add(p);
        return p.finally(() => this.#saving.delete(p));
      },
      fail: (item, error) => record.settleFailed(queue, item, error),
    };
  }

  async run(): Promise<void> {
    const { deps, queue } = this;
    const { record, signal } = deps;
    deps.logger.debug({ round: this.round, conns: this.#conns }, 'round');
    const answersAtStart = record.stats.answers;
    const slots: Promise<unknown>[] = [];
    for (let i = 0; i < this.#conns; i++) slots.push(this.#runSlot(`conn-${this.round}-${i}`));
    const gaveUp = await Promise.all(slots);
    // Saves that outlived their connection (it broke during the write) finish before the round.
    await Promise.all(this.#saving);
    if (signal.aborted) {
      this.#failAborted();
      return;
    }
    // Nothing answered in the whole round and its connections carried nothing: that is the
    // cause even when the time ran out (--duration 1s against a dead port) before the retries did.
    const silent = record.stats.answers === answersAtStart ? this.#lastFruitless : undefined;
    let reason = this.#reason ?? gaveUp.find((e) => e !== undefined) ?? silent;
    if (reason === undefined || !(queue.hasWork || silent !== undefined)) return;
    // Say why once, before the per-image failures: the last connections of every slot closed
    // before any answer (fewer than the threshold with a low --retries), or none could connect.
    if (!(reason instanceof NoBackendError) && this.#streak >= this.#conns)
      reason = this.#noBackend(this.#streak);
    if (reason instanceof NoBackendError) record.announce(reason.message);
    else if (reason instanceof ConnectError)
      record.announce(`${reason.message} (is the proxy up?)`);
    // Every slot gave up connecting: what is left fails with the cause. In load mode the source
    // never runs dry: one failure is recorded for it (the exit status says so).
    if (deps.loadMode) {
      const next = queue.take();
      queue.close();
      if (next) record.settleFailed(queue, next, reason);
    }
    for (let item = queue.take(); item; item = queue.take())
      record.settleFailed(queue, item, reason);
  }

  /** Stopped by a signal: requeued items, and in resize mode the unsent ones, fail as aborted. */
  #failAborted(): void {
    const { queue, deps } = this;
    for (const item of queue.drainRetries()) {
      queue.outstanding++;
      deps.record.settleFailed(queue, item, new AbortedError());
    }
    // Resize mode: the images never sent are listed too (a load run's source never ends).
    if (!deps.loadMode) {
      for (let item = queue.take(); item; item = queue.take())
        deps.record.settleFailed(queue, item, new AbortedError());
    }
  }

  /**
   * One connection slot: runs connection jobs one after another while the round has work. A
   * broken connection's requests go back to the queue (charged: each survives --retries broken
   * connections), then a new connection is made after a back-off (100 ms doubling, up to 2 s,
   * jittered). A slot whose connections fail --retries + 1 times in a row without carrying
   * anything (refused, closed at once) gives up and resolves with the error; otherwise undefined.
   */
  async #runSlot(name: string): Promise<unknown> {
    const { deps, queue } = this;
    const { signal, record } = deps;
    let fruitless = 0;
    let generation = 0;
    while (!signal.aborted && this.#reason === undefined && queue.hasWork) {
      const job = createConnectionJob(this.#ctx, `${name}.${generation++}`);
      this.#jobs.add(job);
      const end = await job.run();
      this.#jobs.delete(job);
      const conn = job.value;
      const held = [...conn.held];
      if (end === 'done' && held.length === 0) {
        fruitless = 0;
        this.#streak = 0;
        continue;
      }
      const error = job.interruptedBy?.error ?? new AbortedError();
      if (signal.aborted) {
        for (const item of held) record.settleFailed(queue, item, new AbortedError());
        break;
      }
      if (this.#reason === undefined) this.#noteOutage(conn, error);
      if (this.#reason !== undefined) {
        // The round is given up: what this connection held fails with the cause, uncharged.
        for (const item of held) queue.requeue(item);
        return this.#reason;
      }
      const progress = this.#giveBack(conn, held, error) > 0 || conn.answered > 0;
      fruitless = progress ? 0 : fruitless + 1;
      this.#lastFruitless = progress ? undefined : error;
      job.log.warn(
        { err: error, code: errorCode(error), requeued: held.length },
        'connection failed',
      );
      if (fruitless > deps.config.retries) return error;
      const backoff = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(fruitless, 10));
      await sleep(backoff * (0.5 + Math.random() / 2), undefined, { signal }).catch(() => {});
    }
    return undefined;
  }

  /** A broken connection's items back to the queue: those sent are charged. Returns how many. */
  #giveBack(conn: ClientConnection, held: WorkItem[], error: unknown): number {
    let charged = 0;
    for (const item of held) {
      if (conn.sent.has(item)) {
        chargeAndRequeue(this.#ctx, item, error);
        charged++;
      } else {
        this.queue.requeue(item);
      }
    }
    return charged;
  }

  /**
   * Counts a connection accepted and closed by the peer before a single byte came back; anything
   * else (an answer, a refusal, a timeout) breaks the row. At the threshold the round is given up
   * and its running connections are cancelled.
   */
  #noteOutage(conn: ClientConnection, error: unknown): void {
    const { stats } = this.deps.record;
    // Silent: not a byte came back. A server that sent anything (ERR_BUSY on the connection,
    // garbage) is up, and its own error says more than "no backend".
    const closedEarly =
      conn.connected && conn.received === 0 && error instanceof ConnectionLostError;
    if (!closedEarly || stats.answers !== this.#answersAtStreak) {
      this.#streak = 0;
      this.#answersAtStreak = stats.answers;
    }
    if (!closedEarly) return;
    this.#streak++;
    if (this.#streak < this.#threshold) return;
    this.#reason = this.#noBackend(this.#streak);
    this.deps.record.announce(this.#reason.message);
    for (const job of this.#jobs) job.cancel(this.#reason);
  }

  #noBackend(closed: number): NoBackendError {
    const { host, port } = this.deps.config.proxy;
    return new NoBackendError(
      `no backend answered through ${host}:${port}: ${closed} connection${closed === 1 ? '' : 's'} closed before any answer (are the backends up?)`,
    );
  }
}

/** The request payload: in memory in load mode, else read now (bounded by the payload limit). */
async function loadImage(item: WorkItem): Promise<Buffer> {
  if (item.image.data) return item.image.data;
  try {
    return await readImageFile(item.image.absPath);
  } catch (err) {
    if (err instanceof ImageTooLargeError) throw err;
    throw new ReadImageError(`cannot read ${item.image.relPath}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}
