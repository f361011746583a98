export { withCommonOptions } from './common-options.js';
export { envOption, envVarOf, envVarsOf } from './env-option.js';
export { CliError, HelpRequested, UsageError } from './errors.js';
export { LOG_LEVELS, type LogLevel } from './log-levels.js';
export { type Env, type ParseCommandLineOptions, parseCommandLine } from './parse-command-line.js';
export { integerParser, parseBooleanEnv } from './parsers.js';
