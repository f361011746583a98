export { parseDurationMs } from '@tcpbalancer/cli';
export {
  type ClientConfig,
  createCli,
  DEFAULT_CONNS,
  DEFAULT_RETRIES,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_WINDOW,
  ENV_VARS,
  parseConfig,
} from './config.js';
export { ClientConnection } from './connection/client-connection.js';
export {
  type ConnectionContext,
  RETRYABLE_BACKEND_CODES,
} from './connection/connection-context.js';
export { createConnectionJob } from './connection/connection-job.js';
export {
  AbortedError,
  BackendError,
  BadResponseError,
  ClientError,
  ConfigError,
  ConnectError,
  ConnectionLostError,
  HelpRequested,
  NoBackendError,
  OutputError,
  ReadImageError,
  RequestTimeoutError,
} from './errors.js';
export { detectImageKind, type ImageKind } from './image-magic.js';
export {
  checkResult,
  type OutputPlan,
  outputFileName,
  planOutputs,
  sanitizeComponent,
} from './output-name.js';
export { OutputWriter } from './output-writer.js';
export { RateScheduler } from './rate-scheduler.js';
export { runReportCommand } from './report/report-command.js';
export { buildReportModel, type ReportModel, type ReportRun } from './report/report-model.js';
export { renderReport, writeReport } from './report/write-report.js';
export { type RunOptions, runClient } from './run-client.js';
export { type ScannedImage, type ScanResult, type SkippedFile, scanDirectory } from './scan.js';
export { IntervalRecorder, SERIES_FIELDS } from './series/interval-recorder.js';
export {
  parseRunFile,
  type RunFile,
  RunFileError,
  readRunFile,
  type Series,
} from './series/run-file.js';
export { Stats } from './stats.js';
export { type Failure, formatSummary, type Summary } from './summary.js';
