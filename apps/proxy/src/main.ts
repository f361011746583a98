#!/usr/bin/env node
/**
 * The tcpbalancer-proxy command: the only module that touches the process (argv, env, signals,
 * exit status), through the app shell's runMain; `tcpbalancer-proxy ctl …` is the runtime API's
 * client.
 */
import cluster from 'node:cluster';
import { type Program, type Running, runMain } from '@tcpbalancer/cli';
import { runPrimary } from './cluster-primary.js';
import { runWorker } from './cluster-worker.js';
import { type ProxyConfig, parseConfig } from './config.js';
import type { ApplyConfig } from './config-reloader.js';
import { watchConfigFile } from './config-watcher.js';
import { runCtl } from './ctl.js';
import type { Logger } from './logger.js';
import { createProxy } from './proxy.js';
import { createService } from './service.js';
import type { ServiceConfig } from './service-config.js';
import { capYoungGeneration } from './young-generation.js';

/**
 * `--check-config FILE`: read and validate it, print the result (every problem, one a line),
 * exit 0 or 2 without binding anything.
 */
async function checkConfig(file: string, config: ProxyConfig): Promise<Running> {
  const { ConfigFileError, loadConfigFile } = await loadConfigModule();
  let code = 0;
  try {
    const service = loadConfigFile(file, config);
    process.stdout.write(
      `${file}: ok (${service.listeners.length} listeners, ${service.pools.length} pools)\n`,
    );
  } catch (err) {
    if (!(err instanceof ConfigFileError)) throw err;
    process.stderr.write(`tcpbalancer-proxy: ${err.message}\n`);
    for (const line of err.errors.slice(1)) {
      process.stderr.write(`tcpbalancer-proxy: ${file}: ${line}\n`);
    }
    code = 2;
  }
  return { done: Promise.resolve(code), stop: async () => {} };
}

/**
 * The config-file modules are loaded only with a file: ajv and yaml cost ~3.5 MB of heap,
 * ~14 MB of RSS and ~160 ms at start, which the flags' shorthand does not pay.
 */
const loadConfigModule = () => import('./config-file.js');

/**
 * SIGHUP (and, with --watch-config, a change of the file) re-reads the config file. Awaited
 * before the listening line, so a reload asked for right after it never meets SIGHUP's default
 * action (exit).
 */
async function onReloadRequests(
  config: ProxyConfig,
  file: string,
  apply: ApplyConfig,
  logger: Logger,
): Promise<void> {
  const { createReloader } = await import('./config-reloader.js');
  const reload = createReloader(config, file, apply, logger);
  process.on('SIGHUP', () => void reload('SIGHUP'));
  if (config.watchConfig && config.configFile !== undefined) {
    watchConfigFile(config.configFile, () => void reload('watch'));
  }
}

/** The `listening` fields with listeners from a config file: the first port, and all of them. */
function listeningOf(listeners: readonly { name: string; host: string; port: number }[]) {
  return { port: listeners[0]?.port, listeners };
}

/** A cluster worker: stops on a signal, or when the primary asks (a shutdown it started). */
async function startWorker(config: ProxyConfig, logger: Logger): Promise<Running> {
  // Reloads are the primary's (it re-reads the file and tells the workers): a SIGHUP that
  // reaches a worker too (a terminal hangup goes to the whole group) must not kill it.
  process.on('SIGHUP', () => {});
  let finish: (closed: Promise<unknown>) => void = () => {};
  const done = new Promise<unknown>((resolve) => {
    finish = resolve;
  }).then(() => 0);
  const proxy = await runWorker(config, logger, () => finish(proxy.close()));
  const end = (closed: Promise<unknown>) => {
    finish(closed);
    return closed;
  };
  return { done, stop: () => end(proxy.close()), force: () => end(proxy.destroy()) };
}

async function startPrimary(
  config: ProxyConfig,
  logger: Logger,
  service: ServiceConfig | undefined,
): Promise<Running> {
  const primary = await runPrimary(config, logger, service);
  const stopping = { stop: () => primary.close(), force: () => primary.close() };
  if (service !== undefined && config.configFile !== undefined) {
    await onReloadRequests(config, config.configFile, (next) => primary.reload(next), logger);
    return {
      listening: { ...listeningOf(primary.listeners ?? []), workers: config.workers },
      ...stopping,
    };
  }
  return {
    listening: {
      port: primary.port,
      host: config.host,
      workers: config.workers,
      strategy: config.strategy,
    },
    ...stopping,
  };
}

/** `--config FILE` in one process: listeners and pools from the file, reloadable. */
async function startService(
  config: ProxyConfig,
  logger: Logger,
  file: string,
  serviceConfig: ServiceConfig,
): Promise<Running> {
  const service = createService(serviceConfig, {
    logger,
    labelled: true,
    ...(config.metricsPort !== undefined
      ? { metrics: { port: config.metricsPort, host: config.host } }
      : {}),
  });
  const bound = await service.listen();
  await onReloadRequests(config, file, (next) => service.reload(next), logger);
  return {
    listening: {
      ...listeningOf(bound.listeners),
      ...(bound.metricsPort !== undefined ? { metricsPort: bound.metricsPort } : {}),
    },
    stop: () => service.close(),
    force: () => service.destroy(),
  };
}

const program: Program<ProxyConfig> = {
  name: 'tcpbalancer-proxy',
  // Workers re-read the same argv and env: the primary has given the warnings already.
  parse: (argv, env, warn) => parseConfig(argv, env, cluster.isWorker ? () => {} : warn),
  logger(config) {
    const base =
      config.workers > 1
        ? {
            pid: process.pid,
            ...(cluster.isWorker ? { worker: cluster.worker?.id } : { role: 'primary' }),
          }
        : { pid: process.pid };
    // A line per connection: batched writes (see BatchedWriter), flushed by runMain after the
    // listening line and before exit.
    return { base, batched: true };
  },
  async start(config, logger): Promise<Running> {
    if (config.checkConfig !== undefined) return checkConfig(config.checkConfig, config);
    if (cluster.isWorker) return startWorker(config, logger);
    // Read and validated before anything binds (a ConfigFileError: one line, exit 2); workers
    // get it from the primary.
    const file = config.configFile;
    const service =
      file === undefined ? undefined : (await loadConfigModule()).loadConfigFile(file, config);
    if (config.workers > 1) return startPrimary(config, logger, service);
    if (file !== undefined && service !== undefined) {
      return startService(config, logger, file, service);
    }
    const proxy = createProxy(config, { logger });
    const bound = await proxy.listen();
    return {
      listening: {
        port: bound.port,
        host: config.host,
        strategy: config.strategy,
        upstreams: config.upstreams.map((u) => u.text),
      },
      stop: () => proxy.close(),
      force: () => proxy.destroy(),
    };
  },
};

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
  // Before any load: see young-generation.ts for what it saves and how it was measured.
  capYoungGeneration(process.execArgv, process.env.NODE_OPTIONS);
  void runMain(program, process);
}
