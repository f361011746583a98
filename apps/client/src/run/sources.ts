import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '@tcpbalancer/job';
import type { ClientConfig } from '../config.js';
import { ConfigError, errorCode } from '../errors.js';
import { planOutputs } from '../output-name.js';
import { OutputWriter } from '../output-writer.js';
import { preflightFile, preflightInput, preflightOutput } from '../preflight.js';
import { readImageFile } from '../read-image.js';
import { scanDirectory } from '../scan.js';
import type { Skipped } from '../summary.js';
import type { ImageSource } from '../work-queue.js';

export interface PreparedRun {
  readonly sources: ImageSource[];
  readonly skipped: Skipped[];
  /** Absent when nothing is saved. */
  readonly writer: OutputWriter | undefined;
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
 * Everything before the first request: --input and --output checked (ConfigError, exit 2), the
 * input scanned (the output folder inside it excluded, said once), output names planned, and in
 * load mode every image read once into memory.
 */
export async function prepareRun(
  config: ClientConfig,
  log: Logger,
  stderr: NodeJS.WritableStream | undefined,
  signal: AbortSignal | undefined,
): Promise<PreparedRun> {
  const loadMode = config.durationMs !== undefined;
  const inputRoot = await preflightInput(config.input);
  if (config.out !== undefined) await preflightFile('--out', config.out);
  if (config.report !== undefined) await preflightFile('--report', config.report);
  if (config.ignoredOutput !== undefined) {
    // Not an error (a script may pass the same flags to every run), but not silent either.
    const warning = `--output ${config.ignoredOutput} is ignored in ${config.dryRun ? 'dry-run' : 'load'} mode: nothing is saved`;
    if (stderr) stderr.write(`warning: ${warning}\n`);
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
  const scan = await scanDirectory(inputRoot, { exclude, signal });
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
  if (loadMode && sources.length === 0 && !signal?.aborted)
    throw new ConfigError(`--input ${config.input} has no images to send`);
  if (sources.length === 0) log.warn({ input: config.input }, 'no images found');
  return { sources, skipped, writer };
}
