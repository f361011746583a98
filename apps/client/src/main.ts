#!/usr/bin/env node
/**
 * The tcpbalancer-client command: the only module that touches the process (argv, env, signals,
 * exit status: 0 ok, 1 failures, 2 usage), through the app shell's runMain.
 */
import { type Program, runMain } from '@tcpbalancer/cli';
import { type ClientConfig, parseConfig } from './config.js';
import { REPORT_COMMAND, runReportCommand } from './report/report-command.js';
import { runClient } from './run-client.js';
import { exitStatus } from './summary.js';

const program: Program<ClientConfig> = {
  name: 'tcpbalancer-client',
  parse: parseConfig,
  // Logs always on stderr: stdout carries only what the run produces (the human summary or the
  // --json object), never interleaved with logs or the progress bar.
  logger: () => ({ fd: 2 }),
  async start(config, logger) {
    const abort = new AbortController();
    const done = runClient(config, {
      logger,
      stdout: process.stdout,
      stderr: process.stderr,
      signal: abort.signal,
    }).then((summary) => exitStatus(summary, abort.signal.aborted));
    // First signal: stop sending, settle what is in flight, print the summary (graceful, exit 0
    // unless something failed for real). A second one (no force): exit 1 at once.
    return { done, stop: async () => abort.abort(new Error('stopped by a signal')) };
  },
};

// `tcpbalancer-client report RUN.json… -o FILE.html`: a report from saved runs, no run.
if (process.argv[2] === REPORT_COMMAND) {
  void runReportCommand(process.argv.slice(3), process.stdout, process.stderr).then((code) => {
    process.exitCode = code;
  });
} else {
  void runMain(program, process);
}
