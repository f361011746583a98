import type { Command } from 'commander';
import { envOption } from './env-option.js';
import { LOG_LEVELS } from './log-levels.js';

/**
 * The options and settings every app shares: `--log-level`, `--log-pretty`, no stray arguments,
 * and errors thrown (to `parseCommandLine`'s one-line funnel) instead of printed and exited.
 */
export function withCommonOptions(cli: Command): Command {
  return cli
    .addOption(
      envOption('--log-level <level>', 'pino log level').choices(LOG_LEVELS).default('info'),
    )
    .addOption(
      envOption('--log-pretty', 'human-readable logs (pino-pretty) instead of JSON lines').default(
        false,
      ),
    )
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {} });
}
