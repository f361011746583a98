import path from 'node:path';
import type { Logger } from '@tcpbalancer/job';
import type { Histogram } from 'hdr-histogram-js';
import type { ClientConfig } from '../config.js';
import { writeReport } from '../report/write-report.js';
import type { Environment } from '../series/environment.js';
import type { IntervalRecorder } from '../series/interval-recorder.js';
import { buildRunFile, writeRunFile } from '../series/run-file.js';
import type { Summary } from '../summary.js';

/** --out and --report after the run: the run file (JSON) and the HTML report, each logged. */
export async function saveRun(
  config: ClientConfig,
  log: Logger,
  run: {
    summary: Summary;
    recorder: IntervalRecorder;
    histogram: Histogram;
    environment: Environment;
  },
): Promise<void> {
  if (config.out === undefined && config.report === undefined) return;
  const name = path.basename(config.out ?? config.report ?? 'run').replace(/\.(json|html)$/i, '');
  const file = buildRunFile({ name, config, ...run });
  if (config.out !== undefined) {
    await writeRunFile(config.out, file);
    log.info(
      { out: config.out, intervals: run.recorder.columns.length, seriesBytes: run.recorder.bytes },
      'run saved',
    );
  }
  if (config.report !== undefined) {
    await writeReport(config.report, [{ ...file, decoded: run.histogram }]);
    log.info({ report: config.report }, 'report written');
  }
}
