/**
 * Errors parseCommandLine throws when the caller gives no factories of its own. Match on `code`.
 * The apps pass factories instead, so that their own ConfigError / HelpRequested come out.
 */
export class CliError extends Error {
  readonly code: string = 'ERR_CLI';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A bad flag or env value. The message is one line and names the flag or the env var. */
export class UsageError extends CliError {
  override readonly code = 'ERR_USAGE';
}

/** `-h`/`--help` was on the command line; `text` is the help to print (exit 0). */
export class HelpRequested extends CliError {
  override readonly code = 'ERR_HELP_REQUESTED';
  constructor(readonly text: string) {
    super('help requested');
  }
}
