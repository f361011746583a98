#!/usr/bin/env node
/**
 * The tcpbalancer-proxy command: the only module that touches the process (argv, env, signals,
 * exit status).
 */
import cluster from 'node:cluster';
import { runPrimary } from './cluster-primary.js';
import { runWorker } from './cluster-worker.js';
import { HelpRequested, type ProxyConfig, parseConfig } from './config.js';
import { loadConfigFile } from './config-file.js';
import { createReloader } from './config-reloader.js';
import { watchConfigFile } from './config-watcher.js';
import { runCtl } from './ctl.js';
import { ConfigError } from './errors.js';
import { createLogger, type Logger } from './logger.js';
import { createProxy } from './proxy.js';
import { createService } from './service.js';
import type { ServiceConfig } from './service-config.js';

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

/**
 * `--config FILE`: read and validate it before anything binds (exit 2 with the first problem,
 * naming its path in the file). `--check-config FILE`: the same, then exit.
 */
function readServiceConfig(config: ProxyConfig): ServiceConfig | undefined {
  const file = config.checkConfig ?? config.configFile;
  if (file === undefined) return undefined;
  let service: ServiceConfig;
  try {
    service = loadConfigFile(file, config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`tcpbalancer-proxy: ${err.message}\n`);
      const all = (err as { errors?: readonly string[] }).errors ?? [];
      if (config.checkConfig !== undefined) {
        for (const line of all.slice(1))
          process.stderr.write(`tcpbalancer-proxy: ${file}: ${line}\n`);
      }
      process.exit(2);
    }
    throw err;
  }
  if (config.checkConfig !== undefined) {
    process.stdout.write(
      `${file}: ok (${service.listeners.length} listeners, ${service.pools.length} pools)\n`,
    );
    process.exit(0);
  }
  return service;
}

/** SIGHUP (and, with --watch-config, a change of the file) re-reads the config file. */
function onReloadRequests(config: ProxyConfig, reload: (trigger: string) => Promise<boolean>) {
  process.on('SIGHUP', () => void reload('SIGHUP'));
  if (config.watchConfig && config.configFile !== undefined) {
    watchConfigFile(config.configFile, () => void reload('watch'));
  }
}

function listeningLine(
  logger: Logger,
  listeners: readonly { name: string; host: string; port: number }[],
  extra: object,
): void {
  logger.info({ port: listeners[0]?.port, listeners, ...extra }, 'listening');
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
  // Only the cluster primary (or a single process) reads the file; workers get it from the primary.
  const serviceConfig = cluster.isWorker ? undefined : readServiceConfig(config);
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
    const primary = await runPrimary(config, logger, serviceConfig).catch((err: unknown) => {
      logger.fatal({ err }, 'workers failed to start');
      return exit(1);
    });
    if (serviceConfig !== undefined && config.configFile !== undefined) {
      listeningLine(logger, primary.listeners ?? [], { workers: config.workers });
      onReloadRequests(
        config,
        createReloader(config, config.configFile, (next) => primary.reload(next), logger),
      );
    } else {
      logger.info(
        {
          port: primary.port,
          host: config.host,
          workers: config.workers,
          strategy: config.strategy,
        },
        'listening',
      );
    }
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
    // Reloads are the primary's (it re-reads the file and tells the workers): a SIGHUP that
    // reaches a worker too (a terminal hangup goes to the whole group) must not kill it.
    process.on('SIGHUP', () => {});
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

  if (serviceConfig !== undefined && config.configFile !== undefined) {
    const service = createService(serviceConfig, {
      logger,
      labelled: true,
      ...(config.metricsPort !== undefined
        ? { metrics: { port: config.metricsPort, host: config.host } }
        : {}),
    });
    const bound = await service.listen().catch((err: unknown) => {
      logger.fatal({ err }, 'cannot listen');
      return exit(1);
    });
    listeningLine(logger, bound.listeners, {
      ...(bound.metricsPort !== undefined ? { metricsPort: bound.metricsPort } : {}),
    });
    onReloadRequests(
      config,
      createReloader(config, config.configFile, (next) => service.reload(next), logger),
    );
    onSignals(
      () => service.close(),
      () => service.destroy(),
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

// `tcpbalancer-proxy ctl …`: the runtime API's client, not the proxy (issue 18).
if (process.argv[2] === 'ctl') {
  void runCtl(process.argv.slice(3), {
    env: process.env,
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    fetch,
  }).then((code) => {
    process.exitCode = code;
  });
} else {
  void main();
}
