#!/usr/bin/env node
/**
 * The tcpbalancer-backend command: the only module that touches the process (argv, env, signals,
 * exit status), through the app shell's runMain.
 */
import { type Program, runMain } from '@tcpbalancer/cli';
import { createBackend } from './backend.js';
import { type BackendConfig, parseConfig } from './config.js';

const program: Program<BackendConfig> = {
  name: 'tcpbalancer-backend',
  parse: parseConfig,
  async start(config, logger, env) {
    const threadpool = Number(env.UV_THREADPOOL_SIZE ?? 4);
    if (config.concurrency > threadpool) {
      // sharp runs on libuv's pool: more resizes at a time than pool threads just queue there.
      logger.warn(
        { concurrency: config.concurrency, threadpool },
        'set UV_THREADPOOL_SIZE >= --concurrency',
      );
    }
    const backend = createBackend(config, logger);
    const { port } = await backend.listen();
    return {
      listening: {
        port,
        host: config.host,
        backend: config.name,
        concurrency: config.concurrency,
      },
      stop: () => backend.close(),
      force: () => backend.destroy(),
    };
  },
};

void runMain(program, process);
