import { randomBytes } from 'node:crypto';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { type ChartAssets, renderHtml } from './render-html.js';
import { buildReportModel, type ReportRun } from './report-model.js';

const require = createRequire(import.meta.url);
let assets: Promise<ChartAssets> | undefined;

/** uPlot's browser build and stylesheet, read from the installed package once. */
function chartAssets(): Promise<ChartAssets> {
  assets ??= Promise.all([
    readFile(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    readFile(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  ]).then(([script, css]) => ({ script, css }));
  return assets;
}

/** The report page for these runs (one: its report; two or more: overlaid and compared). */
export async function renderReport(runs: readonly ReportRun[]): Promise<string> {
  return renderHtml(buildReportModel(runs), await chartAssets());
}

/** Writes the report next to its final name, then renames. */
export async function writeReport(file: string, runs: readonly ReportRun[]): Promise<void> {
  const html = await renderReport(runs);
  const tmp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`,
  );
  try {
    await writeFile(tmp, html);
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}
