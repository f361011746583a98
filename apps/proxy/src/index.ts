export type { LogLevel } from '@tcpbalancer/cli';
export { STRATEGIES, type StrategyName } from './balancing/strategy.js';
export {
  createCli,
  defaultConfig,
  ENV_VARS,
  HelpRequested,
  type ProxyConfig,
  parseConfig,
} from './config.js';
export {
  ConfigError,
  IdleTimeoutError,
  NoUpstreamError,
  PeerError,
  ProxyError,
  ShutdownError,
  UpstreamConnectError,
} from './errors.js';
export type { Logger } from './logger.js';
export {
  createProxy,
  type ProxyOptions,
  type ProxyServer,
  type ProxyStats,
  type UpstreamStats,
} from './proxy.js';
export type { ResolvedAddress, Resolver } from './resolver.js';
export { formatHostPort, parseUpstreamSpec, type UpstreamSpec } from './upstream-spec.js';
