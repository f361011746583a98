/**
 * The error shape of every package: a base class with a stable `code` from the package's one
 * `as const` code table, and the errors the app shell itself raises. Match on `err.code`, never
 * on the message. Codes are listed in the README.
 */
export class CodedError<C extends string = string> extends Error {
  readonly code: C;
  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Every code the shell raises; each means one thing across the three apps. */
export const CLI_ERROR_CODES = {
  /** A bad flag, env value or configuration: the program prints one line and exits 2. */
  config: 'ERR_CONFIG',
  /** `--help` or `--version`: the program prints `text` and exits 0. */
  helpRequested: 'ERR_HELP_REQUESTED',
  /** A server could not bind its port (in use, not permitted, no such address): exit 2. */
  listen: 'ERR_LISTEN',
} as const;
export type CliErrorCode = (typeof CLI_ERROR_CODES)[keyof typeof CLI_ERROR_CODES];

export class CliError extends CodedError<CliErrorCode> {}

/** A bad flag, env value or configuration. The message is one line and names the flag. */
export class ConfigError extends CliError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(CLI_ERROR_CODES.config, message, options);
  }
}

/** `-h`/`--help` or `--version` was on the command line; `text` is what to print (exit 0). */
export class HelpRequested extends CliError {
  constructor(readonly text: string) {
    super(CLI_ERROR_CODES.helpRequested, 'help requested');
  }
}

/** A listen() that failed at start; `cause` holds Node's error (EADDRINUSE, EACCES…). */
export class ListenError extends CliError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(CLI_ERROR_CODES.listen, message, options);
  }
}
