/** The subset of pino's interface the package uses; a pino logger fits as is. */
export interface LogFn {
  (msg: string, ...args: unknown[]): void;
  (obj: object, msg?: string, ...args: unknown[]): void;
}

export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

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

/** Sets the logger of jobs created without one (go-work's `RegisterDefaultLogger`). */
export function setDefaultLogger(logger: Logger | undefined): void {
  defaultLogger = logger ?? silentLogger;
}

export function getDefaultLogger(): Logger {
  return defaultLogger;
}
