import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { RunFileError, readRunFile } from '../series/run-file.js';
import type { ReportRun } from './report-model.js';
import { writeReport } from './write-report.js';

/** `tcpbalancer-client report` is this word first on the command line. */
export const REPORT_COMMAND = 'report';

function reportCli(): Command {
  return new Command('tcpbalancer-client report')
    .description(
      'Make one self-contained HTML report from runs saved with --out (two or more: overlaid and compared).',
    )
    .argument('<run.json...>', 'runs saved with --out')
    .requiredOption('-o, --output <file.html>', 'where the report goes')
    .option('--name <label...>', 'labels for the runs, in order (default: the file names)')
    .helpOption('-h, --help', 'show this help')
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {} });
}

/**
 * Runs the report subcommand: reads every run (each checked), writes the page. Returns the exit
 * status (0 done, 2 bad usage or an unreadable run file); never touches `process`.
 */
export async function runReportCommand(
  argv: readonly string[],
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const cli = reportCli();
  try {
    cli.parse([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError && e.code === 'commander.helpDisplayed') {
      out.write(cli.helpInformation());
      return 0;
    }
    err.write(`tcpbalancer-client report: ${(e as Error).message.replace(/^error: /, '')}\n`);
    return 2;
  }
  const files = cli.args;
  const { output, name } = cli.opts<{ output: string; name?: string[] }>();
  const runs: ReportRun[] = [];
  try {
    for (const [i, file] of files.entries()) {
      const run = await readRunFile(file);
      runs.push({ ...run, name: name?.[i] ?? uniqueName(path.basename(file, '.json'), runs) });
    }
  } catch (e) {
    const msg = e instanceof RunFileError ? e.message : `${(e as Error).message}`;
    err.write(`tcpbalancer-client report: ${msg}\n`);
    return 2;
  }
  await writeReport(output, runs);
  out.write(`report written: ${output} (${runs.length} run${runs.length === 1 ? '' : 's'})\n`);
  return 0;
}

/** Two files named run.json in different folders still get two labels. */
function uniqueName(base: string, runs: readonly ReportRun[]): string {
  let name = base;
  for (let n = 2; runs.some((r) => r.name === name); n++) name = `${base} (${n})`;
  return name;
}
