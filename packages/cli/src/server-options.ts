import type { Option } from 'commander';
import { envOption } from './env-option.js';
import { integerParser } from './parsers.js';

// The options every server of the project has (the proxy and the backend): defined here once so
// their flags, help and limits cannot drift apart. Each program places them in its --help order.

/** `-p, --port`: the port the server listens on; 0 lets the kernel pick one (tests, scripts). */
export function portOption(defaultPort: number): Option {
  return envOption('-p, --port <port>', 'port to listen on (0 = ephemeral)')
    .argParser(integerParser(0, 65535))
    .default(defaultPort);
}

/** `--host`: the address the server listens on. */
export function hostOption(defaultHost: string): Option {
  return envOption('--host <host>', 'address to listen on').default(defaultHost);
}

/**
 * `--metrics-port`: where the shell's metrics server (startMetricsServer) listens; unset, there
 * is none. `serves` names its routes in the help: `serve /metrics and /healthz`.
 */
export function metricsPortOption(serves: string): Option {
  return envOption('--metrics-port <port>', `${serves} on this port (0 = ephemeral)`).argParser(
    integerParser(0, 65535),
  );
}
