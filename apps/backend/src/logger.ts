import pino, { type Logger } from 'pino';
import type { LogLevel } from './config.js';

/** The root logger: pino JSON lines on stdout, or pino-pretty when asked. */
export function createLogger(opts: { level: LogLevel; pretty: boolean; name?: string }): Logger {
  const base = { level: opts.level, name: opts.name ?? 'backend' };
  if (opts.pretty) {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { colorize: true, destination: 1 } },
    });
  }
  // Synchronous writes: nothing is lost on exit, and no exit-time flush of a pending async
  // write (with pino's default async destination, process.exit() hung for good when stdout
  // was a pipe whose reader had gone: sonic-boom's flushSync waits for a write that cannot end).
  return pino(base, pino.destination({ dest: 1, sync: true }));
}
