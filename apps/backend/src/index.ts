export { LOG_LEVELS, type LogLevel } from '@tcpbalancer/cli';
export { type Backend, createBackend } from './backend.js';
export {
  type BackendConfig,
  createCli,
  DEFAULTS,
  defaultConfig,
  ENV_VARS,
  parseConfig,
} from './config.js';
export {
  BackendError,
  ConfigError,
  FrameTimeoutError,
  HelpRequested,
  ImageError,
} from './errors.js';
export { type BackendMetrics, createMetrics } from './metrics.js';
export {
  configureSharp,
  dryRun,
  plannedSize,
  probe,
  type ResizeLimits,
  type ResizeOutput,
  resize,
} from './resize.js';
export { Semaphore } from './semaphore.js';
