import { randomBytes } from 'node:crypto';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  decodeFromCompressedBase64,
  encodeIntoCompressedBase64,
  type Histogram,
} from 'hdr-histogram-js';
import type { ClientConfig } from '../config.js';
import type { Summary } from '../summary.js';
import type { Environment } from './environment.js';
import { type IntervalRecorder, SERIES_FIELDS, type SeriesField } from './interval-recorder.js';

export const RUN_FILE_FORMAT = 'tcpbalancer-client-run';
export const RUN_FILE_VERSION = 1;

/** The per-interval series, columnar: `t[i]`, `p99[i]`… are interval i (uPlot reads this shape). */
export type Series = Record<SeriesField, number[]> & {
  /** Derived per interval: completed/s, bytes/s each way. */
  readonly rps: number[];
  readonly sentBytesPerSec: number[];
  readonly receivedBytesPerSec: number[];
  /** Per backend name, answers per interval. */
  readonly backends: Record<string, number[]>;
  /** Per error code, failures per interval. */
  readonly errors: Record<string, number[]>;
};

/** What `--out FILE.json` holds: one whole run, re-readable. */
export interface RunFile {
  readonly format: typeof RUN_FILE_FORMAT;
  readonly version: typeof RUN_FILE_VERSION;
  /** A label for reports (the file name unless given). */
  readonly name: string;
  readonly settings: Record<string, unknown>;
  readonly environment: Environment;
  /** The same object `--json` prints. */
  readonly summary: Summary;
  readonly intervalMs: number;
  readonly series: Series;
  /** The whole run's latency histogram, µs, HdrHistogram's compressed base64 encoding. */
  readonly histogram: {
    readonly unit: 'us';
    readonly encoding: 'hdr-base64';
    readonly data: string;
  };
}

/** The settings a run was made with (what a report shows and compares). */
export function settingsOf(config: ClientConfig): Record<string, unknown> {
  return {
    proxy: `${config.proxy.host}:${config.proxy.port}`,
    input: config.input,
    width: config.width,
    height: config.height,
    fit: config.fit,
    format: config.format,
    quality: config.quality,
    conns: config.conns,
    minConns: config.minConns,
    maxConns: config.maxConns,
    times: config.times,
    window: config.window,
    retries: config.retries,
    timeoutMs: config.timeoutMs,
    dryRun: config.dryRun,
    durationMs: config.durationMs,
    rate: config.rate,
    intervalMs: config.intervalMs,
  };
}

export function buildRunFile(opts: {
  name: string;
  config: ClientConfig;
  environment: Environment;
  summary: Summary;
  recorder: IntervalRecorder;
  histogram: Histogram;
}): RunFile {
  const { recorder } = opts;
  const cols = {} as Record<SeriesField, number[]>;
  for (const f of SERIES_FIELDS) cols[f] = recorder.columns.column(f);
  const per = (values: number[]) => values.map((v, i) => (cols.dur[i]! > 0 ? v / cols.dur[i]! : 0));
  return {
    format: RUN_FILE_FORMAT,
    version: RUN_FILE_VERSION,
    name: opts.name,
    settings: settingsOf(opts.config),
    environment: opts.environment,
    summary: opts.summary,
    intervalMs: recorder.intervalMs,
    series: {
      ...cols,
      rps: per(cols.completed),
      sentBytesPerSec: per(cols.bytesSent),
      receivedBytesPerSec: per(cols.bytesReceived),
      backends: recorder.backends.toJSON(),
      errors: recorder.errors.toJSON(),
    },
    histogram: {
      unit: 'us',
      encoding: 'hdr-base64',
      data: encodeIntoCompressedBase64(opts.histogram),
    },
  };
}

/** Writes the run next to its final name, then renames: a reader never sees half a file. */
export async function writeRunFile(file: string, run: RunFile): Promise<void> {
  const tmp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`,
  );
  try {
    await writeFile(tmp, JSON.stringify(run));
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}

export class RunFileError extends Error {
  readonly code = 'ERR_RUN_FILE';
}

/** A saved run, checked: format, version, the series' columns of equal length, the histogram. */
export function parseRunFile(text: string, file: string): RunFile & { decoded: Histogram } {
  let run: RunFile;
  try {
    run = JSON.parse(text) as RunFile;
  } catch (err) {
    throw new RunFileError(`${file}: not JSON: ${(err as Error).message}`);
  }
  if (run?.format !== RUN_FILE_FORMAT || run.version !== RUN_FILE_VERSION)
    throw new RunFileError(`${file}: not a ${RUN_FILE_FORMAT} v${RUN_FILE_VERSION} file`);
  const n = run.series?.t?.length;
  for (const f of SERIES_FIELDS) {
    if (!Array.isArray(run.series[f]) || run.series[f].length !== n)
      throw new RunFileError(`${file}: series.${f} is missing or not ${n} long`);
  }
  let decoded: Histogram;
  try {
    decoded = decodeFromCompressedBase64(run.histogram.data);
  } catch (err) {
    throw new RunFileError(`${file}: histogram cannot be decoded: ${(err as Error).message}`);
  }
  return { ...run, decoded };
}

export async function readRunFile(file: string): Promise<RunFile & { decoded: Histogram }> {
  return parseRunFile(await readFile(file, 'utf8'), file);
}
