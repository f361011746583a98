/** The three programs started the way most tests want them: loopback, port 0, info logs. */
import type { RunningApp, SpawnOptions } from './spawn-app.js';
import { startApp } from './spawn-app.js';

export interface BackendOptions {
  readonly name?: string;
  readonly port?: number;
  readonly extra?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly spawn?: SpawnOptions;
}

/** `tcpbalancer-backend --host 127.0.0.1 --port 0 [--name N] …extra`, once it listens. */
export function startBackend(o: BackendOptions = {}): Promise<RunningApp> {
  const args = ['--host', '127.0.0.1', '--port', String(o.port ?? 0), '--log-level', 'info'];
  if (o.name) args.push('--name', o.name);
  return startApp('backend', [...args, ...(o.extra ?? [])], { ...o.spawn, env: o.env ?? {} });
}

export interface ProxyOptions {
  /** Ports of upstreams on 127.0.0.1, or `HOST:PORT` specs. */
  readonly upstreams: readonly (number | string)[];
  readonly port?: number;
  readonly extra?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly ulimitNofile?: number;
  readonly spawn?: SpawnOptions;
}

/** `tcpbalancer-proxy --host 127.0.0.1 --port 0 --upstream … …extra`, once it listens. */
export function startProxy(o: ProxyOptions): Promise<RunningApp> {
  const args = ['--host', '127.0.0.1', '--port', String(o.port ?? 0), '--log-level', 'info'];
  for (const u of o.upstreams)
    args.push('--upstream', typeof u === 'number' ? `127.0.0.1:${u}` : u);
  return startApp('proxy', [...args, ...(o.extra ?? [])], {
    ...o.spawn,
    env: o.env ?? {},
    ...(o.ulimitNofile === undefined ? {} : { ulimitNofile: o.ulimitNofile }),
  });
}

export interface Cluster {
  readonly backends: readonly RunningApp[];
  /** The proxy in front of them (a new one after `restartProxy()`). */
  readonly proxy: RunningApp;
  /** SIGKILLs the proxy and starts it again, same flags, same port: a crash and a restart. */
  restartProxy(): Promise<RunningApp>;
  stop(graceMs?: number): Promise<void>;
}

export interface ClusterOptions {
  /** Backends named `backend-1…n`. */
  readonly backends: number;
  readonly backendExtra?: readonly string[];
  readonly proxyExtra?: readonly string[];
}

/** `n` real backends and the real proxy in front of them; what started is stopped on failure. */
export async function startCluster(o: ClusterOptions): Promise<Cluster> {
  const started = await Promise.allSettled(
    Array.from({ length: o.backends }, (_, i) =>
      startBackend({ name: `backend-${i + 1}`, extra: o.backendExtra ?? [] }),
    ),
  );
  const backends = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stopBackends = (graceMs?: number) => Promise.all(backends.map((b) => b.stop(graceMs)));
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) {
    await stopBackends();
    throw failed.reason;
  }
  const proxyOptions = (port: number): ProxyOptions => ({
    upstreams: backends.map((b) => b.port),
    port,
    extra: o.proxyExtra ?? [],
  });
  let proxy: RunningApp;
  try {
    proxy = await startProxy(proxyOptions(0));
  } catch (err) {
    await stopBackends();
    throw err;
  }
  return {
    backends,
    get proxy() {
      return proxy;
    },
    async restartProxy() {
      const old = proxy;
      old.signal('SIGKILL');
      await old.exited;
      proxy = await startProxy(proxyOptions(old.port));
      return proxy;
    },
    async stop(graceMs) {
      await proxy.stop(graceMs);
      await stopBackends(graceMs);
    },
  };
}
