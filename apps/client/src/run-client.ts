import { randomInt } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Job, Logger } from '@tcpbalancer/job';
import {
  type Frame,
  FrameType,
  parseResizeResponse,
  type ResizeRequestHeader,
} from '@tcpbalancer/protocol';
import type { ClientConfig } from './config.js';
import {
  type ConnectionContext,
  type ConnectionState,
  chargeAndRequeue,
  createConnectionJob,
} from './connection-job.js';
import { readErrorAnswer } from './error-answer.js';
import {
  AbortedError,
  BackendError,
  BadResponseError,
  ConfigError,
  ConnectError,
  ConnectionLostError,
  errorCode,
  errorMessage,
  NoBackendError,
  ReadImageError,
} from './errors.js';
import { checkImage, MalformedImageError } from './image-check/check-image.js';
import { type CheckedResult, checkResult, outputFileName, planOutputs } from './output-name.js';
import { OutputWriter } from './output-writer.js';
import { preflightInput, preflightOutput } from './preflight.js';
import { createProgress } from './progress.js';
import { RateScheduler } from './rate-scheduler.js';
import { readImageFile } from './read-image.js';
import { scanDirectory } from './scan.js';
import { Stats } from './stats.js';
import { type Failure, formatSummary, type Skipped, type Summary } from './summary.js';
import { type ImageSource, type WorkItem, WorkQueue } from './work-queue.js';

export interface RunOptions {
  readonly logger: Logger;
  /** Where the summary goes (the table, or with --json the JSON object). Absent: not printed. */
  readonly stdout?: NodeJS.WritableStream;
  /** Where the progress bar goes when it is a TTY, and the one-line headline of a run given up. */
  readonly stderr?: NodeJS.WritableStream;
  /** Aborts the run (SIGINT/SIGTERM): connections end, what was not answered is failed as ERR_ABORTED. */
  readonly signal?: AbortSignal;
}

/** Failures kept for the report in load mode (the count is exact either way). */
const MAX_FAILURES_LISTED = 1000;
/** Skipped files kept in the summary (the count is exact either way). */
const MAX_SKIPPED_LISTED = 1000;
const BACKOFF_BASE_MS = 100;
const BACKOFF_MAX_MS = 2000;
/** Failure log lines per error code; past it one line counts the rest (the summary lists them). */
const MAX_FAILURE_LOGS_PER_CODE = 5;
/**
 * Connections in a row (per connection of the round) accepted and then closed by the peer before
 * any answer, with no answer anywhere meanwhile, after which the round is given up: a proxy whose
 * backends are all down does exactly that, and retrying each image would only repeat it.
 */
const CLOSED_EARLY_PER_CONN = 3;

/**
 * What the connections of one round see of an outage: connections accepted then closed before
 * any answer, in a row (an answer on any connection breaks the row).
 */
interface Outage {
  streak: number;
  /** stats.answers when the streak started: a change means something answered meanwhile. */
  answersAtStart: number;
  readonly threshold: number;
  /** Set once the round is given up: what the rest fails with. */
  reason: NoBackendError | undefined;
  /** The running connection jobs, cancelled when the round is given up. */
  readonly jobs: Set<Job<ConnectionState>>;
  /**
   * The error of the last connection that carried nothing (refused, closed at once): the cause
   * to report when the round ends (a short --duration) before any slot used up its retries.
   */
  lastFruitless: unknown;
}

/**
 * The output folder's real path when it lies inside the input (and exists): the scan skips it,
 * so that a run never sends its own results (or an earlier run's) again.
 */
async function excludedFromScan(
  inputRoot: string,
  output: string | undefined,
  saving: boolean,
): Promise<string[]> {
  if (output === undefined) return [];
  const real = await realpath(output).catch(() => undefined);
  if (real === undefined) return [];
  const rel = path.relative(inputRoot, real);
  if (rel === '') {
    if (saving) throw new ConfigError(`--output ${output} is the --input folder itself`);
    return [];
  }
  return !rel.startsWith('..') && !path.isAbsolute(rel) ? [real] : [];
}

/**
 * The payload must be a complete image of the announced format and size before it is counted
 * ok or saved: a header that says png/20x15 proves nothing about the bytes behind it.
 */
function verifyAnswerImage(result: CheckedResult, payload: Buffer): void {
  try {
    checkImage(result.format, payload, result.width, result.height);
  } catch (err) {
    if (!(err instanceof MalformedImageError)) throw err;
    throw new BadResponseError(`answer is not a complete image: ${err.message}`);
  }
}

/**
 * Runs the client: resize every image of --input through --proxy (--times rounds), or in load
 * mode (--duration) cycle over them for a time. Resolves with the summary (also printed on
 * `stdout`); a usage problem rejects with ConfigError. Never touches `process`.
 */
export async function runClient(config: ClientConfig, opts: RunOptions): Promise<Summary> {
  const log = opts.logger;
  const loadMode = config.durationMs !== undefined;
  const inputRoot = await preflightInput(config.input);
  if (config.ignoredOutput !== undefined) {
    // Not an error (a script may pass the same flags to every run), but not silent either.
    const warning = `--output ${config.ignoredOutput} is ignored in ${config.dryRun ? 'dry-run' : 'load'} mode: nothing is saved`;
    if (opts.stderr) opts.stderr.write(`warning: ${warning}\n`);
    else log.warn({ output: config.ignoredOutput }, warning);
  }
  const outputRoot = config.output !== undefined ? await preflightOutput(config.output) : undefined;
  const writer = outputRoot !== undefined ? new OutputWriter(outputRoot) : undefined;

  const exclude = await excludedFromScan(
    inputRoot,
    outputRoot ?? config.ignoredOutput,
    outputRoot !== undefined,
  );
  if (exclude.length > 0)
    log.info(
      { input: config.input, output: config.output ?? config.ignoredOutput },
      'the output folder is inside the input folder: it and everything under it is not scanned',
    );
  const scan = await scanDirectory(inputRoot, { exclude, signal: opts.signal });
  for (const s of scan.skipped)
    log.warn({ path: s.relPath, reason: s.reason, format: s.format }, 'skipped');
  const plans = writer ? planOutputs(scan.images) : undefined;
  const sources: ImageSource[] = [];
  const skipped: Skipped[] = scan.skipped.map((s) =>
    s.format
      ? { path: s.relPath, reason: s.reason, format: s.format }
      : { path: s.relPath, reason: s.reason },
  );
  for (const img of scan.images) {
    let data: Buffer | undefined;
    if (loadMode) {
      // Load mode reads each image once; the run then costs no disk I/O.
      try {
        data = await readImageFile(img.absPath);
      } catch (err) {
        skipped.push({ path: img.relPath, reason: errorCode(err) });
        continue;
      }
    }
    sources.push({
      relPath: img.relPath,
      absPath: img.absPath,
      data,
      plan: plans?.get(img.relPath),
    });
  }
  if (loadMode && sources.length === 0 && !opts.signal?.aborted)
    throw new ConfigError(`--input ${config.input} has no images to send`);
  if (sources.length === 0) log.warn({ input: config.input }, 'no images found');
  log.info(
    {
      images: sources.length,
      skipped: skipped.length,
      proxy: `${config.proxy.host}:${config.proxy.port}`,
    },
    'starting',
  );

  const request: ResizeRequestHeader = {};
  if (config.width !== undefined) request.width = config.width;
  if (config.height !== undefined) request.height = config.height;
  if (config.fit !== undefined) request.fit = config.fit;
  if (config.format !== undefined) request.format = config.format;
  if (config.quality !== undefined) request.quality = config.quality;
  if (config.dryRun) request.dryRun = true;

  const stats = new Stats();
  const failures: Failure[] = [];
  const written = new Set<string>();
  /** The headline of a run given up (every backend down, proxy unreachable), once. */
  let aborted: string | undefined;
  const failureLogs = new Map<string, number>();
  const abort = new AbortController();
  // Every connection job and back-off sleep listens on it: thousands with many connections.
  setMaxListeners(0, abort.signal);
  const onAbort = () => abort.abort(opts.signal?.reason);
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  const progress = createProgress({
    stream: opts.stderr,
    logger: log,
    total: loadMode ? undefined : sources.length * config.times,
    durationMs: config.durationMs,
  });

  let seq = 0;
  const started = performance.now();
  let rounds = 0;
  try {
    if (loadMode) {
      rounds = 1;
      let i = 0;
      const queue = new WorkQueue(() => {
        const image = sources[i++ % sources.length]!;
        return {
          seq: seq++,
          image,
          round: 1,
          attempts: 0,
          scheduledAt: undefined,
          lastError: undefined,
          settled: false,
        };
      });
      const end = started + config.durationMs!;
      // Closed loop: no new request after the duration. Open loop: the timetable ends itself,
      // and every slot it issued goes out, late if need be (dropping late slots would hide a stall).
      const timer =
        config.rate === undefined ? setTimeout(() => queue.close(), config.durationMs) : undefined;
      try {
        const scheduler =
          config.rate !== undefined ? new RateScheduler(config.rate, started, end) : undefined;
        await runRound(queue, scheduler, 1);
      } finally {
        clearTimeout(timer);
      }
    } else {
      // A round given up (nothing reachable) ends the run: the next rounds would only repeat it.
      for (
        let round = 1;
        round <= config.times && !abort.signal.aborted && aborted === undefined;
        round++
      ) {
        rounds = round;
        const items: WorkItem[] = sources.map((image) => ({
          seq: seq++,
          image,
          round,
          attempts: 0,
          scheduledAt: undefined,
          lastError: undefined,
          settled: false,
        }));
        const scheduler =
          config.rate !== undefined ? new RateScheduler(config.rate, performance.now()) : undefined;
        await runRound(WorkQueue.of(items), scheduler, round);
      }
    }
  } finally {
    progress.stop();
    opts.signal?.removeEventListener('abort', onAbort);
  }
  for (const [code, n] of failureLogs) {
    if (n > MAX_FAILURE_LOGS_PER_CODE)
      log.error(
        { code, more: n - MAX_FAILURE_LOGS_PER_CODE },
        'more failures with this code (listed in the summary)',
      );
  }
  const seconds = (performance.now() - started) / 1000;
  // A run that completed no request at all fails, whatever its length; the cause when known
  // was announced above, else this says it.
  if (stats.requests === 0 && sources.length > 0 && !abort.signal.aborted)
    announce(`no request completed in ${seconds.toFixed(1)} s`);

  const summary: Summary = {
    mode: loadMode ? 'load' : 'resize',
    dryRun: config.dryRun,
    openLoop: config.rate !== undefined,
    requests: stats.requests,
    ok: stats.ok,
    failed: stats.failed,
    seconds: Math.round(seconds * 1000) / 1000,
    rps: seconds > 0 ? Math.round((stats.requests / seconds) * 10) / 10 : 0,
    latencyMs: stats.latency(),
    bytesSent: stats.bytesSent,
    bytesReceived: stats.bytesReceived,
    backends: Object.fromEntries(stats.backends),
    retries: stats.retries,
    connections: stats.connections,
    rounds,
    images: sources.length,
    skipped: skipped.slice(0, MAX_SKIPPED_LISTED),
    skippedCount: skipped.length,
    errors: Object.fromEntries(stats.errors),
    failures,
    written: written.size,
    ...(aborted !== undefined ? { aborted } : {}),
  };
  log.info(
    { requests: summary.requests, ok: summary.ok, failed: summary.failed, rps: summary.rps },
    'finished',
  );
  if (opts.stdout)
    opts.stdout.write(config.json ? `${JSON.stringify(summary)}\n` : formatSummary(summary));
  return summary;

  /** States once, on stderr and in the log, why the run was given up. */
  function announce(headline: string): void {
    if (aborted !== undefined) return;
    aborted = headline;
    log.error({ proxy: `${config.proxy.host}:${config.proxy.port}` }, headline);
    opts.stderr?.write(`error: ${headline}\n`);
  }

  function noBackend(closed: number): NoBackendError {
    return new NoBackendError(
      `no backend answered through ${config.proxy.host}:${config.proxy.port}: ${closed} connection${closed === 1 ? '' : 's'} closed before any answer (are the backends up?)`,
    );
  }

  /** Marks an item settled; false (and a loud log) if it already was: never count one twice. */
  function claim(item: WorkItem): boolean {
    if (item.settled) {
      log.error(
        { path: item.image.relPath, round: item.round },
        'internal: item settled twice, ignored',
      );
      return false;
    }
    item.settled = true;
    return true;
  }

  function settleFailed(queue: WorkQueue, item: WorkItem, error: unknown): void {
    if (!claim(item)) return;
    queue.settle(item);
    // A load run stopped by a signal: its cut-off requests are not failures of the system under test.
    if (loadMode && error instanceof AbortedError) return;
    stats.failed++;
    const code = error instanceof BackendError ? error.backendCode : errorCode(error);
    stats.recordError(code);
    if (!loadMode || failures.length < MAX_FAILURES_LISTED) {
      failures.push({
        path: item.image.relPath,
        round: item.round,
        code,
        message: errorMessage(error),
      });
    }
    const logged = (failureLogs.get(code) ?? 0) + 1;
    failureLogs.set(code, logged);
    // The first few per code: 200 identical lines would bury the cause (the summary has them all).
    if (!loadMode && logged <= MAX_FAILURE_LOGS_PER_CODE)
      log.error(
        { path: item.image.relPath, round: item.round, code, err: errorMessage(error) },
        'failed',
      );
    progress.update(stats.requests, stats.failed);
  }

  function settleOk(queue: WorkQueue, item: WorkItem): void {
    if (!claim(item)) return;
    queue.settle(item);
    stats.ok++;
    progress.update(stats.requests, stats.failed);
  }

  async function handleAnswer(
    queue: WorkQueue,
    item: WorkItem,
    frame: Frame,
    latencyMs: number,
  ): Promise<void> {
    stats.recordLatency(latencyMs);
    try {
      if (frame.type === FrameType.Error) {
        const e = readErrorAnswer(frame);
        throw new BackendError(e.code, e.message);
      }
      let header: ReturnType<typeof parseResizeResponse>;
      try {
        header = parseResizeResponse(frame.header);
      } catch (err) {
        throw new BadResponseError(errorMessage(err));
      }
      stats.recordBackend(header.backend);
      const result = checkResult(frame.header, config.dryRun);
      if (!config.dryRun) {
        if (frame.payload.length !== header.bytes || frame.payload.length === 0) {
          throw new BadResponseError(
            `answer payload is ${frame.payload.length} bytes, header says ${header.bytes}`,
          );
        }
        verifyAnswerImage(result, frame.payload);
        if (writer && item.image.plan) {
          const rel = await writer.write(
            item.image.plan.dirs,
            outputFileName(item.image.plan, result),
            frame.payload,
          );
          written.add(rel);
          log.debug(
            { path: item.image.relPath, out: rel, backend: header.backend, ms: latencyMs },
            'saved',
          );
        }
      }
      settleOk(queue, item);
    } catch (err) {
      settleFailed(queue, item, err);
    }
  }

  async function runRound(
    queue: WorkQueue,
    scheduler: RateScheduler | undefined,
    round: number,
  ): Promise<void> {
    const conns = config.conns ?? randomInt(config.minConns, config.maxConns + 1);
    log.debug({ round, conns }, 'round');
    const ctx: ConnectionContext = {
      host: config.proxy.host,
      port: config.proxy.port,
      queue,
      scheduler,
      window: config.window,
      timeoutMs: config.timeoutMs,
      retries: config.retries,
      request,
      stats,
      logger: log,
      signal: abort.signal,
      loadImage: async (item) => {
        if (item.image.data) return item.image.data;
        try {
          return await readImageFile(item.image.absPath);
        } catch (err) {
          throw new ReadImageError(`cannot read ${item.image.relPath}: ${errorMessage(err)}`, {
            cause: err,
          });
        }
      },
      handleAnswer: (item, frame, latencyMs) => {
        const p = handleAnswer(queue, item, frame, latencyMs);
        saving.add(p);
        return p.finally(() => saving.delete(p));
      },
      fail: (item, error) => settleFailed(queue, item, error),
    };
    const saving = new Set<Promise<void>>();
    const outage: Outage = {
      streak: 0,
      answersAtStart: stats.answers,
      threshold: CLOSED_EARLY_PER_CONN * conns,
      reason: undefined,
      jobs: new Set(),
      lastFruitless: undefined,
    };
    const answersAtStart = stats.answers;
    const slots: Promise<unknown>[] = [];
    for (let i = 0; i < conns; i++) slots.push(runSlot(ctx, outage, `conn-${round}-${i}`));
    const gaveUp = await Promise.all(slots);
    // Saves that outlived their connection (it broke during the write) finish before the round.
    await Promise.all(saving);
    if (abort.signal.aborted) {
      for (const item of queue.drainRetries()) {
        queue.outstanding++;
        settleFailed(queue, item, new AbortedError());
      }
      // Resize mode: the images never sent are listed too (a load run's source never ends).
      if (!loadMode) {
        for (let item = queue.take(); item; item = queue.take())
          settleFailed(queue, item, new AbortedError());
      }
      return;
    }
    // Every slot gave up connecting: what is left fails with the last connect error. In load
    // mode the source never runs dry: one failure is recorded for it (the exit status says so).
    // Nothing answered in the whole round and its connections carried nothing: that is the
    // cause even when the time ran out (--duration 1s against a dead port) before the retries did.
    const silent = stats.answers === answersAtStart ? outage.lastFruitless : undefined;
    let reason = outage.reason ?? gaveUp.find((e) => e !== undefined) ?? silent;
    if (reason !== undefined && (queue.hasWork || silent !== undefined)) {
      // Say why once, before the per-image failures: the last connections of every slot closed
      // before any answer (fewer than the threshold with a low --retries), or none could connect.
      if (!(reason instanceof NoBackendError) && outage.streak >= conns)
        reason = noBackend(outage.streak);
      if (reason instanceof NoBackendError) announce(reason.message);
      else if (reason instanceof ConnectError) announce(`${reason.message} (is the proxy up?)`);
      if (loadMode) {
        const next = queue.take();
        queue.close();
        if (next) settleFailed(queue, next, reason);
      }
      for (let item = queue.take(); item; item = queue.take()) settleFailed(queue, item, reason);
    }
  }

  /**
   * One connection slot: runs connection jobs one after another while the round has work. A
   * broken connection's requests go back to the queue (charged: each survives --retries broken
   * connections), then a new connection is made after a back-off (100 ms doubling, up to 2 s,
   * jittered). A slot whose connections fail --retries + 1 times in a row without carrying
   * anything (refused, closed at once) gives up and resolves with the error; otherwise undefined.
   */
  async function runSlot(ctx: ConnectionContext, outage: Outage, name: string): Promise<unknown> {
    let fruitless = 0;
    let generation = 0;
    while (!abort.signal.aborted && outage.reason === undefined && ctx.queue.hasWork) {
      const job = createConnectionJob(ctx, `${name}.${generation++}`);
      outage.jobs.add(job);
      const end = await job.run();
      outage.jobs.delete(job);
      const st = job.value;
      const held = [...st.held];
      if (end === 'done' && held.length === 0) {
        fruitless = 0;
        outage.streak = 0;
        continue;
      }
      const error = job.interruptedBy?.error ?? new AbortedError();
      if (abort.signal.aborted) {
        for (const item of held) settleFailed(ctx.queue, item, new AbortedError());
        break;
      }
      if (outage.reason === undefined) noteOutage(outage, st, error);
      if (outage.reason !== undefined) {
        // The round is given up: what this connection held fails with the cause, uncharged.
        for (const item of held) ctx.queue.requeue(item);
        return outage.reason;
      }
      let charged = 0;
      for (const item of held) {
        if (st.sent.has(item)) {
          chargeAndRequeue(ctx, item, error);
          charged++;
        } else {
          ctx.queue.requeue(item);
        }
      }
      const progress = charged > 0 || st.answered > 0;
      fruitless = progress ? 0 : fruitless + 1;
      outage.lastFruitless = progress ? undefined : error;
      job.log.warn(
        { err: errorMessage(error), code: errorCode(error), requeued: held.length },
        'connection failed',
      );
      if (fruitless > config.retries) return error;
      const backoff = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(fruitless, 10));
      await sleep(backoff * (0.5 + Math.random() / 2), undefined, { signal: abort.signal }).catch(
        () => {},
      );
    }
    return undefined;
  }

  /**
   * Counts a connection accepted and closed by the peer before a single byte came back; anything else (an
   * answer, a refusal, a timeout) breaks the row. At the threshold the round is given up and its
   * running connections are cancelled.
   */
  function noteOutage(outage: Outage, st: ConnectionState, error: unknown): void {
    // Silent: not a byte came back. A server that sent anything (ERR_BUSY on the connection,
    // garbage) is up, and its own error says more than "no backend".
    const closedEarly = st.connected && st.received === 0 && error instanceof ConnectionLostError;
    if (!closedEarly || stats.answers !== outage.answersAtStart) {
      outage.streak = 0;
      outage.answersAtStart = stats.answers;
    }
    if (!closedEarly) return;
    outage.streak++;
    if (outage.streak < outage.threshold) return;
    outage.reason = noBackend(outage.streak);
    announce(outage.reason.message);
    for (const job of outage.jobs) job.cancel(outage.reason);
  }
}
