export { type AppCli, type AppCliSpec, appCli } from './app-cli.js';
export { BatchedWriter } from './batched-writer.js';
export {
  type CommonConfig,
  type CommonOptions,
  commonConfigOf,
  withCommonOptions,
} from './common-options.js';
export {
  type DurationSpec,
  durationOption,
  formatDuration,
  parseDurationMs,
  SUSPICIOUS_PLAIN_MS,
} from './duration.js';
export { allEnvVarsOf, envOption, envVarOf, envVarsOf } from './env-option.js';
export {
  CLI_ERROR_CODES,
  CliError,
  type CliErrorCode,
  CodedError,
  ConfigError,
  HelpRequested,
  ListenError,
} from './errors.js';
export { LEGACY_ENV, legacyEnvOf, RETIRED_ENV, retiredEnvOf } from './legacy-env.js';
export { LOG_LEVELS, type LogLevel } from './log-levels.js';
export { createRootLogger, type RootLogger, type RootLoggerOptions } from './logger.js';
export {
  healthRoute,
  jsonRoute,
  type MetricsServer,
  type MetricsServerOptions,
  prometheusRoute,
  type Reply,
  type Route,
  startMetricsServer,
} from './metrics-server.js';
export { type OptionRow, optionRows, optionsMarkdown } from './option-table.js';
export { packageVersion } from './package-version.js';
export { type Env, helpText, parseCommandLine, type Warn } from './parse-command-line.js';
export { integerParser, parseBooleanEnv } from './parsers.js';
export { type MainProcess, type Program, type Running, runMain } from './run-main.js';
export { hostOption, metricsPortOption, portOption } from './server-options.js';
export { asStartupError } from './startup-error.js';
