/**
 * The three apps' REAL option parsers, as the deploy files are checked against them: a
 * command line in docker-compose.yml or a manifest that the app would reject fails here,
 * without a Docker engine or a cluster.
 */
import * as backend from '@tcpbalancer/backend';
import * as client from '@tcpbalancer/client';
import * as proxy from '@tcpbalancer/proxy';

export type AppName = 'proxy' | 'backend' | 'client';
export const APP_NAMES: readonly AppName[] = ['proxy', 'backend', 'client'];

/** Each program's environment variables: its prefix + the long flag (issue 11.5). */
export const ENV_PREFIX: Readonly<Record<AppName, string>> = {
  proxy: 'TCPB_PROXY_',
  backend: 'TCPB_BACKEND_',
  client: 'TCPB_CLIENT_',
};

type Env = Readonly<Record<string, string | undefined>>;

interface AppCli {
  parseConfig(argv: readonly string[], env: Env): unknown;
  readonly ENV_VARS: readonly string[];
}

const APPS: Readonly<Record<AppName, AppCli>> = { proxy, backend, client };

/** Variables the images or manifests set for node or libc rather than for the app. */
export const RUNTIME_ENV_VARS: ReadonlySet<string> = new Set([
  'NODE_ENV',
  'NODE_OPTIONS',
  'MALLOC_ARENA_MAX',
  'UV_THREADPOOL_SIZE',
]);

export function envVarsOf(app: AppName): readonly string[] {
  return APPS[app].ENV_VARS;
}

/**
 * Parses one invocation of `app` exactly as its main would: `argv` (the arguments after the
 * entrypoint) and `env`. Throws (with the app's ConfigError message) if the app would exit 2,
 * or if `env` holds a variable that neither the app nor node reads: a typo such as
 * TCPB_UPSTREAMS would otherwise be silently ignored by the app.
 */
export function parseInvocation(
  app: AppName,
  argv: readonly string[],
  env: Env,
): Record<string, unknown> {
  const known = new Set(APPS[app].ENV_VARS);
  const unknown = Object.keys(env).filter((k) => !known.has(k) && !RUNTIME_ENV_VARS.has(k));
  if (unknown.length > 0) {
    throw new Error(`${app}: environment variables it does not read: ${unknown.join(', ')}`);
  }
  const config = APPS[app].parseConfig(argv, env);
  if (typeof config !== 'object' || config === null)
    throw new Error(`${app}: parseConfig returned ${String(config)}`);
  return config as Record<string, unknown>;
}
