import { setMaxListeners } from 'node:events';
import type { Logger } from '@tcpbalancer/job';
import type { ResizeRequestHeader } from '@tcpbalancer/protocol';
import type { ClientConfig } from './config.js';
import { createProgress } from './progress.js';
import { RateScheduler } from './rate-scheduler.js';
import { AnswerHandler } from './run/answer-handler.js';
import { Round, type RoundDeps } from './run/round.js';
import { RunRecord } from './run/run-record.js';
import { saveRun } from './run/save-run.js';
import { prepareRun } from './run/sources.js';
import { describeEnvironment } from './series/environment.js';
import { IntervalRecorder } from './series/interval-recorder.js';
import { startSeriesClock } from './series/series-clock.js';
import { formatSummary, type Skipped, type Summary } from './summary.js';
import { type ImageSource, type WorkItem, WorkQueue } from './work-queue.js';

export interface RunOptions {
  readonly logger: Logger;
  /**
   * Where the summary goes (the table, or with --json the JSON object), and the progress bar
   * when it is a terminal (not with --json). Absent: not printed.
   */
  readonly stdout?: NodeJS.WritableStream;
  /** Warnings and the one-line headline of a run given up. */
  readonly stderr?: NodeJS.WritableStream;
  /** Aborts the run (SIGINT/SIGTERM): connections end, what was not answered is failed as ERR_ABORTED. */
  readonly signal?: AbortSignal;
}

/** Skipped files kept in the summary (the count is exact either way). */
const MAX_SKIPPED_LISTED = 1000;

/** The request header every image is sent with: the resize options, as given. */
function requestOf(config: ClientConfig): ResizeRequestHeader {
  const request: ResizeRequestHeader = {};
  if (config.width !== undefined) request.width = config.width;
  if (config.height !== undefined) request.height = config.height;
  if (config.fit !== undefined) request.fit = config.fit;
  if (config.format !== undefined) request.format = config.format;
  if (config.quality !== undefined) request.quality = config.quality;
  if (config.dryRun) request.dryRun = true;
  return request;
}

/** A fresh work item: an image in a round. */
function itemOf(seq: number, image: ImageSource, round: number): WorkItem {
  return {
    seq,
    image,
    round,
    attempts: 0,
    scheduledAt: undefined,
    lastError: undefined,
    settled: false,
  };
}

/**
 * Runs the client: resize every image of --input through --proxy (--times rounds), or in load
 * mode (--duration) cycle over them for a time. Resolves with the summary (also printed on
 * `stdout`); a usage problem rejects with ConfigError. Never touches `process`.
 *
 * A composition: prepareRun (preflight, scan, sources), a RunRecord (counters and settling),
 * an AnswerHandler (checks and saves answers), Rounds (connection slots over a shared queue).
 */
export async function runClient(config: ClientConfig, opts: RunOptions): Promise<Summary> {
  const log = opts.logger;
  const loadMode = config.durationMs !== undefined;
  const proxy = `${config.proxy.host}:${config.proxy.port}`;
  const { sources, skipped, writer } = await prepareRun(config, log, opts.stderr, opts.signal);
  const environment = describeEnvironment();
  log.info({ images: sources.length, skipped: skipped.length, proxy }, 'starting');

  const record = new RunRecord({ logger: log, loadMode, stderr: opts.stderr, proxy });
  const abort = new AbortController();
  // Every connection job and back-off sleep listens on it: thousands with many connections.
  setMaxListeners(0, abort.signal);
  const onAbort = () => abort.abort(opts.signal?.reason);
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const deps: RoundDeps = {
    config,
    request: requestOf(config),
    record,
    answers: new AnswerHandler({ record, logger: log, dryRun: config.dryRun, writer }),
    logger: log,
    signal: abort.signal,
    loadMode,
  };
  record.progress = createProgress({
    // The bar is part of the human output: on stdout when it is a terminal, with the summary
    // after it, while the logs go to stderr (`2>client.log` keeps them off the screen). With
    // --json stdout is the JSON object alone: no bar (a progress log line each second instead).
    stream: config.json ? undefined : opts.stdout,
    logger: log,
    total: loadMode ? undefined : sources.length * config.times,
    durationMs: config.durationMs,
  });

  const started = performance.now();
  const recorder = new IntervalRecorder(config.intervalMs, started, record.stats);
  record.stats.series = recorder;
  const clock = startSeriesClock(recorder);
  let rounds = 0;
  try {
    if (loadMode) {
      rounds = 1;
      await runLoad(deps, sources, started);
    } else {
      // A round given up (nothing reachable) ends the run: the next rounds would only repeat it.
      let seq = 0;
      for (
        let round = 1;
        round <= config.times && !abort.signal.aborted && record.aborted === undefined;
        round++
      ) {
        rounds = round;
        const items = sources.map((image) => itemOf(seq++, image, round));
        const scheduler =
          config.rate !== undefined ? new RateScheduler(config.rate, performance.now()) : undefined;
        await new Round(deps, WorkQueue.of(items), scheduler, round).run();
      }
    }
  } finally {
    clock.stop();
    recorder.finish(performance.now());
    record.progress.stop();
    opts.signal?.removeEventListener('abort', onAbort);
  }
  record.logOmittedFailures();
  const seconds = (performance.now() - started) / 1000;
  // A run that completed no request at all fails, whatever its length; the cause when known
  // was announced above, else this says it.
  if (record.stats.requests === 0 && sources.length > 0 && !abort.signal.aborted)
    record.announce(`no request completed in ${seconds.toFixed(1)} s`);

  const summary = summarize(config, record, { seconds, rounds, images: sources.length, skipped });
  log.info(
    { requests: summary.requests, ok: summary.ok, failed: summary.failed, rps: summary.rps },
    'finished',
  );
  await saveRun(config, log, { summary, recorder, histogram: record.stats.histogram, environment });
  if (opts.stdout)
    opts.stdout.write(config.json ? `${JSON.stringify(summary)}\n` : formatSummary(summary));
  return summary;
}

/**
 * Load mode: one round over an endless cycle of the images. Closed loop: no new request after
 * the duration. Open loop: the timetable ends itself, and every slot it issued goes out, late if
 * need be (dropping late slots would hide a stall).
 */
async function runLoad(deps: RoundDeps, sources: ImageSource[], started: number): Promise<void> {
  const { config } = deps;
  let i = 0;
  const queue = new WorkQueue(() => itemOf(i, sources[i++ % sources.length]!, 1));
  const durationMs = config.durationMs ?? 0;
  const timer = config.rate === undefined ? setTimeout(() => queue.close(), durationMs) : undefined;
  try {
    const scheduler =
      config.rate !== undefined
        ? new RateScheduler(config.rate, started, started + durationMs)
        : undefined;
    await new Round(deps, queue, scheduler, 1).run();
  } finally {
    clearTimeout(timer);
  }
}

/** The summary object: the --json contract (field names and meanings never change). */
function summarize(
  config: ClientConfig,
  record: RunRecord,
  run: { seconds: number; rounds: number; images: number; skipped: Skipped[] },
): Summary {
  const { stats } = record;
  const { seconds } = run;
  return {
    mode: config.durationMs !== undefined ? 'load' : 'resize',
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
    rounds: run.rounds,
    images: run.images,
    skipped: run.skipped.slice(0, MAX_SKIPPED_LISTED),
    skippedCount: run.skipped.length,
    errors: Object.fromEntries(stats.errors),
    failures: record.failures,
    written: record.written.size,
    ...(record.aborted !== undefined ? { aborted: record.aborted } : {}),
  };
}
