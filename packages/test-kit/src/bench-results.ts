/**
 * The benchmarks' convention: with BENCH_RESULTS_DIR set (as `npm run bench` sets it), each
 * workspace's bench writes `$BENCH_RESULTS_DIR/<short>.json` = `{ workspace, rows }`, and
 * scripts/bench-all.ts prints one table of every row.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface BenchRow {
  readonly scenario: string;
  readonly unit: string;
  readonly ours: number | string;
  readonly baseline: number | string;
  /** ours / baseline (or baseline / ours where lower is better: the scenario says). */
  readonly ratio?: number | string | undefined;
  /** The target on the ratio (`≥ 0.9×`), or `info` for rows that explain another. */
  readonly target: string;
}

/**
 * The median of a bench's per-round figures (the mean of the two middle ones for an even count;
 * NaN for none): one noisy round on a shared machine moves it less than a mean.
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Writes the rows when BENCH_RESULTS_DIR is set; resolves with the file written, if any. */
export async function writeBenchResults(
  short: string,
  workspace: string,
  rows: readonly BenchRow[],
  dir = process.env.BENCH_RESULTS_DIR,
): Promise<string | undefined> {
  if (!dir) return undefined;
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${short}.json`);
  await writeFile(file, `${JSON.stringify({ workspace, rows }, null, 2)}\n`);
  return file;
}
