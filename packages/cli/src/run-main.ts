import type { CommonConfig } from './common-options.js';
import { HelpRequested } from './errors.js';
import { createRootLogger, type RootLogger, type RootLoggerOptions } from './logger.js';
import type { Env, Warn } from './parse-command-line.js';
import { asStartupError } from './startup-error.js';

/**
 * The part of `process` runMain uses. main.ts passes `process`: it stays the only file that
 * touches the process, and runMain can be driven by a test with a fake.
 */
export interface MainProcess {
  readonly argv: readonly string[];
  readonly env: Env;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  on(event: 'SIGTERM' | 'SIGINT', listener: (signal: NodeJS.Signals) => void): unknown;
  on(event: 'uncaughtException' | 'unhandledRejection', listener: (err: unknown) => void): unknown;
  exit(code: number): never;
}

/** What a program has running once started. */
export interface Running {
  /** Fields of the `listening` line runMain logs once started (servers); none: no such line. */
  readonly listening?: Record<string, unknown>;
  /**
   * Settles when the program has finished by itself (the client's run, a cluster worker told to
   * stop), with the exit status. A rejection is a failure (ConfigError: exit 2, else 1).
   */
  readonly done?: Promise<number>;
  /**
   * First SIGTERM/SIGINT: graceful (drain). Resolves when stopped: exit 0 (with `done`: `done`
   * gives the status); rejects: exit 1.
   */
  stop(): Promise<unknown>;
  /**
   * Second signal: abort what is left. Resolves: exit 0; rejects: exit 1. None: exit 1 at once
   * (the work was cut short).
   */
  force?(): Promise<unknown>;
}

export interface Program<C extends CommonConfig> {
  /** `tcpbalancer-proxy`: prefixes every line runMain writes to stderr. */
  readonly name: string;
  /** Reads argv (without node and script) and env; throws ConfigError or HelpRequested. */
  parse(argv: readonly string[], env: Env, warn: Warn): C;
  /** Logger settings beyond level/pretty/name (batched writer, fd, base fields). */
  logger?(config: C): Partial<RootLoggerOptions>;
  /** Starts the program; a port in use or a ConfigError rejection is one line and exit 2. */
  start(config: C, logger: RootLogger['logger'], env: Env): Promise<Running>;
}

/**
 * Runs a program the way all three apps run: exit codes, signals and the unhandled-error policy
 * in one place.
 * - `--help`/`--version`: text on stdout, exit 0. A bad flag or env value: one line on stderr
 *   (`tcpbalancer-proxy: option --port …`), exit 2. Warnings (deprecated env names, unit-less
 *   times): one line each on stderr, and the program goes on.
 * - A failure at start that is the user's (a port in use, an unusable directory): one line on
 *   stderr, exit 2, no stack. Any other failure: a fatal log line with the error under `err`,
 *   exit 1.
 * - The `listening` line, when the program listens, logged here for every app.
 * - First SIGTERM/SIGINT: `stop()` (graceful), exit 0 when done (1 if it failed). A second one:
 *   `force()`. A signal during start-up stops the program as soon as it has started.
 * - An uncaught exception or unhandled rejection: logged under `err` (fatal), exit 1.
 */
export async function runMain<C extends CommonConfig>(
  program: Program<C>,
  proc: MainProcess,
): Promise<void> {
  const say = (line: string) => proc.stderr.write(`${program.name}: ${line}\n`);
  let config: C;
  try {
    config = program.parse(proc.argv.slice(2), proc.env, (w) => say(`warning: ${w}`));
  } catch (err) {
    if (err instanceof HelpRequested) {
      proc.stdout.write(err.text);
      return proc.exit(0);
    }
    const startup = asStartupError(err);
    if (startup === undefined) throw err;
    say(startup.message);
    return proc.exit(2);
  }

  const root = createRootLogger({
    name: program.name,
    level: config.logLevel,
    pretty: config.logPretty,
    ...program.logger?.(config),
  });
  const { logger } = root;
  let exiting = false;
  const exit = (code: number): void => {
    if (exiting) return;
    exiting = true;
    root.close();
    proc.exit(code);
  };
  /** A program's failure: the user's (one line, exit 2) or a bug (fatal line with stack, 1). */
  const fail = (err: unknown, what: string): void => {
    const startup = asStartupError(err);
    if (startup !== undefined) {
      root.flush();
      say(startup.message);
      exit(2);
      return;
    }
    logger.fatal({ err: asError(err) }, what);
    exit(1);
  };
  proc.on('uncaughtException', (err) => fail(err, 'uncaught exception'));
  proc.on('unhandledRejection', (err) => fail(err, 'unhandled rejection'));

  let running: Running | undefined;
  let signals = 0;
  const settle = (p: Promise<unknown>, what: string) =>
    p.then(
      () => {
        if (running?.done === undefined) exit(0);
      },
      (err: unknown) => fail(err, what),
    );
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) logger.info({ signal }, 'shutting down');
    else logger.warn({ signal }, 'second signal: stopping now');
    root.flush();
    if (running === undefined) {
      if (signals > 1) exit(1);
      return; // stopped as soon as start() returns
    }
    if (signals === 1) settle(running.stop(), 'shutdown failed');
    else if (running.force === undefined) exit(1);
    else settle(running.force(), 'forced shutdown failed');
  };
  proc.on('SIGTERM', onSignal);
  proc.on('SIGINT', onSignal);

  try {
    running = await program.start(config, logger, proc.env);
  } catch (err) {
    fail(err, 'cannot start');
    return;
  }
  if (running.listening !== undefined) logger.info(running.listening, 'listening');
  root.flush();
  running.done?.then(exit, (err: unknown) => fail(err, 'failed'));
  if (signals > 0) settle(running.stop(), 'shutdown failed');
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(`non-Error thrown: ${String(err)}`);
}
