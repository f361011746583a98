#!/usr/bin/env node
/**
 * The tcpbalancer-proxy command: the only module that touches the process (argv, env, signals,
 * exit status).
 */
import cluster from 'node:cluster';
import { runPrimary } from './cluster-primary.js';
import { runWorker } from './cluster-worker.js';
import { HelpRequested, type ProxyConfig, parseConfig } from './config.js';
import { ConfigError } from './errors.js';
import { createLogger } from './logger.js';
import { createProxy } from './proxy.js';

function readConfig(): ProxyConfig {
  try {
    return parseConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof HelpRequested) {
      process.stdout.write(err.text);
      process.exit(0);
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`tcpbalancer-proxy: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

/** First SIGTERM/SIGINT: graceful `stop`. A second one: `force`. */
function onSignals(
  stop: () => Promise<void>,
  force: () => Promise<void>,
  log: { info: (o: object, m: string) => void },
  exit: (code: number) => void,
) {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    log.info({ signal }, stopping ? 'second signal: closing now' : 'shutting down');
    const done = stopping ? force() : stop();
    stopping = true;
    done.then(
      () => exit(0),
      () => exit(1),
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

async function main(): Promise<void> {
  const config = readConfig();
  const clustered = config.workers > 1;
  const base = clustered
    ? {
        pid: process.pid,
        ...(cluster.isWorker ? { worker: cluster.worker?.id } : { role: 'primary' }),
      }
    : { pid: process.pid };
  const root = createLogger({ level: config.logLevel, pretty: config.logPretty, base });
  const logger = root.logger;
  const exit = (code: number): never => {
    root.close();
    process.exit(code);
  };
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception');
    exit(1);
  });

  if (clustered && cluster.isPrimary) {
    const primary = await runPrimary(config, logger).catch((err: unknown) => {
      logger.fatal({ err }, 'workers failed to start');
      return exit(1);
    });
    logger.info(
      { port: primary.port, host: config.host, workers: config.workers, strategy: config.strategy },
      'listening',
    );
    onSignals(
      () => primary.close(),
      () => primary.close(),
      logger,
      exit,
    );
    root.flush();
    return;
  }

  if (clustered) {
    let stop: () => Promise<void> = async () => {};
    const requested = () => void stop().then(() => exit(0));
    const proxy = await runWorker(config, logger, requested).catch((err: unknown) => {
      logger.fatal({ err }, 'worker failed to start');
      return exit(1);
    });
    stop = () => proxy.close();
    onSignals(
      () => proxy.close(),
      () => proxy.destroy(),
      logger,
      exit,
    );
    root.flush();
    return;
  }

  const proxy = createProxy(config, { logger });
  const bound = await proxy.listen().catch((err: unknown) => {
    logger.fatal({ err }, 'cannot listen');
    return exit(1);
  });
  logger.info(
    {
      port: bound.port,
      host: config.host,
      strategy: config.strategy,
      upstreams: config.upstreams.map((u) => u.text),
    },
    'listening',
  );
  onSignals(
    () => proxy.close(),
    () => proxy.destroy(),
    logger,
    exit,
  );
  // Lines are batched: the listening line must not wait for the next batch.
  root.flush();
}

void main();
