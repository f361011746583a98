import { isatty } from 'node:tty';
import { type DestinationStream, type Logger, pino } from 'pino';
import pretty from 'pino-pretty';
import { BatchedWriter } from './batched-writer.js';
import type { LogLevel } from './log-levels.js';

export interface RootLoggerOptions {
  /** The program (`tcpbalancer-proxy`): the `name` of every line. */
  readonly name: string;
  readonly level: LogLevel;
  /** pino-pretty instead of JSON lines. */
  readonly pretty?: boolean;
  /** 1 (stdout, the default) or 2: the client logs to stderr so stdout keeps its summary. */
  readonly fd?: 1 | 2;
  /**
   * Collect lines and write them in batches (8 KiB or every 200 ms, flushed on close): a write(2)
   * per line is a measurable share of the cost of a short proxied connection. Off: each line is
   * written synchronously, in order with whatever else the program writes.
   */
  readonly batched?: boolean;
  /** Colours in pretty mode; default: only when `fd` is a terminal (never ANSI in files/pipes). */
  readonly colour?: boolean;
  /** Fields on every line (`pid`, `worker`…); default pino's `pid` and `hostname`. */
  readonly base?: Record<string, unknown>;
}

export interface RootLogger {
  readonly logger: Logger;
  /** Writes out whatever is buffered, synchronously (after important lines, before exit). */
  flush(): void;
  /** Stops the periodic flush and flushes. Idempotent. */
  close(): void;
}

/** Lines are written in batches of this many bytes, or after FLUSH_MS at the latest. */
const BUFFER_BYTES = 8 * 1024;
const FLUSH_MS = 200;

/**
 * The one root logger of a program, made by runMain; everything else gets children of it.
 * Destinations are synchronous and in this thread (no transport worker): nothing is lost on
 * exit, and no exit waits on a pending async write (with pino's async destination, exit() hung
 * when stdout was a pipe whose reader had gone).
 */
export function createRootLogger(options: RootLoggerOptions): RootLogger {
  const fd = options.fd ?? 1;
  const pinoOptions = {
    name: options.name,
    level: options.level,
    ...(options.base ? { base: options.base } : {}),
  };
  if (options.pretty) {
    const colorize = options.colour ?? isatty(fd);
    const logger = pino(pinoOptions, pretty({ destination: fd, sync: true, colorize }));
    return { logger, flush: () => {}, close: () => {} };
  }
  if (!options.batched) {
    const logger = pino(pinoOptions, pino.destination({ fd, sync: true }) as DestinationStream);
    return { logger, flush: () => {}, close: () => {} };
  }
  const dest = new BatchedWriter(fd, BUFFER_BYTES);
  const logger = pino(pinoOptions, dest);
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
