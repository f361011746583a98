import type { Logger } from '@tcpbalancer/job';
import { AbortedError, BackendError, errorCode, errorMessage } from '../errors.js';
import type { Progress } from '../progress.js';
import { Stats } from '../stats.js';
import type { Failure } from '../summary.js';
import type { WorkItem, WorkQueue } from '../work-queue.js';

/** Failures kept for the report in load mode (the count is exact either way). */
const MAX_FAILURES_LISTED = 1000;
/** Failure log lines per error code; past it one line counts the rest (the summary lists them). */
const MAX_FAILURE_LOGS_PER_CODE = 5;

export interface RunRecordOptions {
  readonly logger: Logger;
  readonly loadMode: boolean;
  /** Where the `error: …` headline of a run given up goes. */
  readonly stderr: NodeJS.WritableStream | undefined;
  /** HOST:PORT, for the headline's log line. */
  readonly proxy: string;
}

/**
 * What a run has done so far: the counters (Stats), each failure, the files written, and the
 * headline of a run given up. It owns the settle bookkeeping: every item is settled (counted,
 * listed, logged) exactly once, ok or failed.
 */
export class RunRecord {
  readonly stats = new Stats();
  readonly failures: Failure[] = [];
  readonly written = new Set<string>();
  /** The headline of a run given up (every backend down, proxy unreachable), once. */
  aborted: string | undefined = undefined;
  progress: Progress | undefined = undefined;
  readonly #failureLogs = new Map<string, number>();

  constructor(private readonly opts: RunRecordOptions) {}

  /** States once, on stderr and in the log, why the run was given up. */
  announce(headline: string): void {
    if (this.aborted !== undefined) return;
    this.aborted = headline;
    this.opts.logger.error({ proxy: this.opts.proxy }, headline);
    this.opts.stderr?.write(`error: ${headline}\n`);
  }

  settleOk(queue: WorkQueue, item: WorkItem): void {
    if (!this.#claim(item)) return;
    queue.settle(item);
    this.stats.ok++;
    this.progress?.update(this.stats.requests, this.stats.failed);
  }

  settleFailed(queue: WorkQueue, item: WorkItem, error: unknown): void {
    if (!this.#claim(item)) return;
    queue.settle(item);
    const { loadMode, logger } = this.opts;
    // A load run stopped by a signal: its cut-off requests are not failures of the system under test.
    if (loadMode && error instanceof AbortedError) return;
    const { stats } = this;
    stats.failed++;
    const code = error instanceof BackendError ? error.backendCode : errorCode(error);
    stats.recordError(code);
    if (!loadMode || this.failures.length < MAX_FAILURES_LISTED) {
      this.failures.push({
        path: item.image.relPath,
        round: item.round,
        code,
        message: errorMessage(error),
      });
    }
    const logged = (this.#failureLogs.get(code) ?? 0) + 1;
    this.#failureLogs.set(code, logged);
    // The first few per code: 200 identical lines would bury the cause (the summary has them all).
    if (!loadMode && logged <= MAX_FAILURE_LOGS_PER_CODE)
      logger.error({ path: item.image.relPath, round: item.round, code, err: error }, 'failed');
    this.progress?.update(stats.requests, stats.failed);
  }

  /** After the run: one line per code whose failures were not all logged. */
  logOmittedFailures(): void {
    for (const [code, n] of this.#failureLogs) {
      if (n > MAX_FAILURE_LOGS_PER_CODE)
        this.opts.logger.error(
          { code, more: n - MAX_FAILURE_LOGS_PER_CODE },
          'more failures with this code (listed in the summary)',
        );
    }
  }

  /** Marks an item settled; false (and a loud log) if it already was: never count one twice. */
  #claim(item: WorkItem): boolean {
    if (item.settled) {
      this.opts.logger.error(
        { path: item.image.relPath, round: item.round },
        'internal: item settled twice, ignored',
      );
      return false;
    }
    item.settled = true;
    return true;
  }
}
