import type { Logger } from './types.js';

const noop = (): void => {};

/** A logger that drops everything: the default until `setDefaultLogger` is called. */
export const silentLogger: Logger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => silentLogger,
};

let defaultLogger: Logger = silentLogger;

/**
 * Sets the logger of jobs created afterwards without one (go-work's `RegisterDefaultLogger`);
 * `undefined` restores the silent default.
 */
export function setDefaultLogger(logger: Logger | undefined): void {
  defaultLogger = logger ?? silentLogger;
}

/** The logger in force now, for a job being created. */
export function getDefaultLogger(): Logger {
  return defaultLogger;
}
