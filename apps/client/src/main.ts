#!/usr/bin/env node
/** The only file that touches `process`: argv, env, signals, exit codes (0 ok, 1 failures, 2 usage). */
import { parseConfig } from './config.js';
import { ConfigError, HelpRequested } from './errors.js';
import { createLogger } from './logger.js';
import { REPORT_COMMAND, runReportCommand } from './report/report-command.js';
import { runClient } from './run-client.js';
import { exitStatus } from './summary.js';

async function main(): Promise<number> {
  // `tcpbalancer-client report RUN.json… -o FILE.html`: a report from saved runs, no run.
  if (process.argv[2] === REPORT_COMMAND)
    return runReportCommand(process.argv.slice(3), process.stdout, process.stderr);
  let config: ReturnType<typeof parseConfig>;
  try {
    config = parseConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof HelpRequested) {
      process.stdout.write(err.text);
      return 0;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`tcpbalancer-client: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const logger = createLogger(config);
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    logger.warn({ signal }, 'stopping');
    abort.abort(new Error(`stopped by ${signal}`));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const summary = await runClient(config, {
      logger,
      stdout: process.stdout,
      stderr: process.stderr,
      signal: abort.signal,
    });
    // Stopped by a signal: graceful, exit 0 like the other apps, unless something failed for real.
    return exitStatus(summary, abort.signal.aborted);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`tcpbalancer-client: ${err.message}\n`);
      return 2;
    }
    logger.fatal({ err }, 'client crashed');
    return 1;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(
      `tcpbalancer-client: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 1;
  },
);
