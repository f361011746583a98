import { pino } from 'pino';
import { BatchedWriter } from './batched-writer.js';
import type { LogLevel } from './config.js';

/** The pino subset the proxy uses; a pino logger is one, so is `silentLogger`. */
export type Logger = Pick<
  pino.Logger,
  'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'child' | 'isLevelEnabled'
>;

export interface RootLogger {
  readonly logger: pino.Logger;
  /** Writes out whatever is buffered, synchronously (before exit, after important lines). */
  flush(): void;
  /** Stops the periodic flush and flushes. */
  close(): void;
}

/** Lines are written in batches of this many bytes, or after FLUSH_MS at the latest. */
const BUFFER_BYTES = 8 * 1024;
const FLUSH_MS = 200;

/**
 * The root logger: JSON lines on stdout, or pino-pretty when asked. A line per connection is a
 * write(2) per connection when unbuffered, a measurable share of the cost of a short connection
 * (see README, Benchmark), so lines are batched: written once 8 KiB have accumulated, or within
 * 200 ms, and flushed synchronously on exit (without fsync: see BatchedWriter).
 */
export function createLogger(options: {
  level: LogLevel;
  pretty: boolean;
  base?: Record<string, unknown>;
}): RootLogger {
  const base = { name: 'tcpbalancer-proxy', ...options.base };
  if (options.pretty) {
    const logger = pino(
      { level: options.level, base },
      pino.transport({ target: 'pino-pretty', options: { colorize: true } }),
    );
    return { logger, flush: () => logger.flush(), close: () => logger.flush() };
  }
  const dest = new BatchedWriter(1, BUFFER_BYTES);
  const logger = pino({ level: options.level, base }, dest);
  const flush = () => dest.flush();
  const timer = setInterval(flush, FLUSH_MS);
  timer.unref();
  return {
    logger,
    flush,
    close() {
      clearInterval(timer);
      flush();
    },
  };
}

export const silentLogger: Logger = pino({ level: 'silent' });
