#!/usr/bin/env node
/** The only file that touches `process`: argv, env, signals, exit codes. */
import { createBackend } from './backend.js';
import { parseConfig } from './config.js';
import { ConfigError, HelpRequested } from './errors.js';
import { createLogger } from './logger.js';

function fail(message: string, code: number): never {
  process.stderr.write(`tcpbalancer-backend: ${message}\n`);
  process.exit(code);
}

let config: ReturnType<typeof parseConfig>;
try {
  config = parseConfig(process.argv.slice(2), process.env);
} catch (err) {
  if (err instanceof HelpRequested) {
    process.stdout.write(err.text);
    process.exit(0);
  }
  if (err instanceof ConfigError) fail(err.message, 2);
  throw err;
}

const logger = createLogger({ level: config.logLevel, pretty: config.logPretty });
const threadpool = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
if (config.concurrency > threadpool) {
  // sharp runs on libuv's pool: more resizes at a time than pool threads just queue there.
  logger.warn(
    { concurrency: config.concurrency, threadpool },
    'set UV_THREADPOOL_SIZE >= --concurrency',
  );
}

const backend = createBackend(config, logger);

/** The logs are written synchronously (see logger.ts): nothing to flush before exiting. */
function exit(code: number): never {
  process.exit(code);
}

process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));
process.on('uncaughtException', (err) => {
  logger.fatal({ err }, 'uncaught exception');
  backend.destroy().finally(() => exit(1));
});

let signals = 0;
function onSignal(signal: NodeJS.Signals): void {
  signals++;
  if (signals > 1) {
    logger.warn({ signal }, 'second signal: aborting');
    backend.destroy().finally(() => exit(0));
    return;
  }
  logger.info({ signal }, 'signal: shutting down');
  backend.close().then(
    () => exit(0),
    (err: unknown) => {
      logger.error({ err }, 'shutdown failed');
      exit(1);
    },
  );
}
process.on('SIGTERM', onSignal);
process.on('SIGINT', onSignal);

backend.listen().catch((err: unknown) => {
  logger.fatal({ err }, 'cannot listen');
  fail(`cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`, 1);
});
