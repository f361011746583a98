import type { Logger } from '@tcpbalancer/job';
import cliProgress from 'cli-progress';

export interface Progress {
  /** `done`: settled requests so far; `failed` among them. */
  update(done: number, failed: number): void;
  stop(): void;
}

export interface ProgressOptions {
  /** Where a bar goes (the run's stdout, before the summary); a bar only when it is a TTY. */
  readonly stream: NodeJS.WritableStream | undefined;
  readonly logger: Logger;
  /** Requests expected, or undefined in duration mode (then the bar shows time). */
  readonly total: number | undefined;
  readonly durationMs: number | undefined;
  readonly intervalMs?: number;
}

/**
 * What a person sees while it runs: on a TTY a cli-progress bar (done/total, rate, ETA) on
 * the given stream; otherwise an info log line every `intervalMs` (default 1 s).
 */
export function createProgress(opts: ProgressOptions): Progress {
  const started = performance.now();
  let done = 0;
  let failed = 0;
  const rate = () => {
    const s = (performance.now() - started) / 1000;
    return s > 0 ? Math.round(done / s) : 0;
  };
  const tty = (opts.stream as { isTTY?: boolean } | undefined)?.isTTY === true;
  if (tty && opts.stream) {
    const byTime = opts.total === undefined;
    const bar = new cliProgress.SingleBar(
      {
        stream: opts.stream,
        format: byTime
          ? 'load [{bar}] {percentage}% | {done} requests | {rps} req/s | {failed} failed | ETA {eta_formatted}'
          : 'images [{bar}] {percentage}% | {value}/{total} | {rps}/s | {failed} failed | ETA {eta_formatted}',
        hideCursor: false,
        clearOnComplete: false,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
    const total = byTime
      ? Math.max(1, Math.round((opts.durationMs ?? 1000) / 100))
      : Math.max(1, opts.total ?? 1);
    bar.start(total, 0, { rps: 0, failed: 0, done: 0 });
    const value = () =>
      byTime ? Math.min(total, Math.round((performance.now() - started) / 100)) : done;
    const timer = byTime
      ? setInterval(() => bar.update(value(), { rps: rate(), failed, done }), 200)
      : undefined;
    timer?.unref();
    return {
      update(d, f) {
        done = d;
        failed = f;
        if (!byTime) bar.update(value(), { rps: rate(), failed, done });
      },
      stop() {
        if (timer) clearInterval(timer);
        bar.update(value(), { rps: rate(), failed, done });
        bar.stop();
      },
    };
  }
  const timer = setInterval(() => {
    opts.logger.info({ done, failed, total: opts.total, rps: rate() }, 'progress');
  }, opts.intervalMs ?? 1000);
  timer.unref();
  return {
    update(d, f) {
      done = d;
      failed = f;
    },
    stop() {
      clearInterval(timer);
    },
  };
}
