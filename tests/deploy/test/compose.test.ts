import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { type AppName, ENV_PREFIX, parseInvocation } from './support/apps.js';
import { composeValidator } from './support/compose-schema.js';
import {
  effective,
  execForm,
  findStage,
  parseHealthcheck,
  shellWords,
  stageEnv,
} from './support/dockerfile.js';
import { list, loadDockerfile, loadYaml, ROOT, readText, rec, strings } from './support/files.js';

// docker-compose.yml checked without a Docker engine: its structure against the Compose
// specification's rules that matter here, its build targets against the Dockerfile, and every
// app's command line + environment against the app's real option parser.

const df = loadDockerfile();
const compose = rec(loadYaml('docker-compose.yml'), 'docker-compose.yml');
const services = rec(compose.services, 'services');

function service(name: string): Record<string, unknown> {
  return rec(services[name], `services.${name}`);
}

/** `environment:` as a map, whether written as a map or as a list of NAME=value. */
function composeEnv(name: string): Record<string, string> {
  const env = service(name).environment;
  if (env === undefined) return {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      strings(env, `${name}.environment`).map((kv) => {
        const eq = kv.indexOf('=');
        return eq === -1 ? [kv, ''] : [kv.slice(0, eq), kv.slice(eq + 1)];
      }),
    );
  }
  return Object.fromEntries(
    Object.entries(rec(env, `${name}.environment`)).map(([k, v]) => [k, String(v)]),
  );
}

function argvOf(value: unknown, what: string): string[] | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? shellWords(value) : strings(value, what);
}

function targetOf(name: string): string {
  const build = rec(service(name).build, `${name}.build`);
  return String(build.target);
}

/**
 * What the container runs: the image's ENTRYPOINT (exec form) and the service's command (or
 * the image's CMD), with the image's ENV overlaid by the service's environment, as the engine
 * builds it.
 */
function containerOf(name: string): { app: AppName; argv: string[]; env: Record<string, string> } {
  const target = targetOf(name);
  const entry = execForm(effective(df, target, 'ENTRYPOINT')?.args ?? '');
  if (!entry) throw new Error(`stage ${target}: no exec-form ENTRYPOINT`);
  const app = /^apps\/(proxy|backend|client)\/dist\/main\.js$/.exec(entry[1] ?? '')?.[1] as
    | AppName
    | undefined;
  if (!app) throw new Error(`stage ${target}: ENTRYPOINT ${JSON.stringify(entry)} is not an app`);
  const cmd =
    argvOf(service(name).command, `${name}.command`) ??
    execForm(effective(df, target, 'CMD')?.args ?? '') ??
    [];
  return { app, argv: cmd, env: { ...stageEnv(df, target), ...composeEnv(name) } };
}

function parsed(name: string): Record<string, unknown> {
  const { app, argv, env } = containerOf(name);
  return parseInvocation(app, argv, env);
}

/** `"[ip:]host:container[/proto]"` short syntax, or the long syntax. */
function publishedPorts(name: string): { host: number; container: number }[] {
  const ports = service(name).ports;
  if (ports === undefined) return [];
  return list(ports, `${name}.ports`).map((p) => {
    if (typeof p === 'object' && p !== null) {
      const r = rec(p, `${name}.ports[]`);
      return { host: Number(r.published), container: Number(r.target) };
    }
    const parts = String(p)
      .replace(/\/(tcp|udp)$/, '')
      .split(':');
    return { host: Number(parts.at(-2)), container: Number(parts.at(-1)) };
  });
}

/** Bind mounts, short syntax `source:target[:mode]`. */
function mounts(name: string): { source: string; target: string; readOnly: boolean }[] {
  const vols = service(name).volumes;
  if (vols === undefined) return [];
  return strings(vols, `${name}.volumes`).map((v) => {
    const [source = '', target = '', mode = ''] = v.split(':');
    return { source, target, readOnly: mode.split(',').includes('ro') };
  });
}

function durationMs(text: unknown): number {
  const m = /^(\d+)(ms|s|m)$/.exec(String(text));
  if (!m) throw new Error(`not a compose duration: ${String(text)}`);
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000);
}

function healthcheckArgv(name: string): string[] {
  const test = strings(
    rec(service(name).healthcheck, `${name}.healthcheck`).test,
    `${name}.healthcheck.test`,
  );
  expect(test[0], `${name}: healthcheck in exec form (CMD), no shell`).toBe('CMD');
  return test.slice(1);
}

const APP_SERVICES = ['backend', 'proxy', 'client'] as const;

describe('docker-compose.yml', () => {
  it('declares the three apps and the output-folder helper, nothing else', () => {
    expect(Object.keys(services).sort()).toEqual(['backend', 'client', 'prepare-output', 'proxy']);
    expect(compose.version, 'the top-level version key is obsolete').toBeUndefined();
  });

  it('validates against the Compose specification JSON schema', () => {
    const validate = composeValidator();
    // `name` is newer than the schema snapshot: checked here, then left out.
    const { name, ...rest } = compose;
    expect(name).toMatch(/^[a-z0-9][a-z0-9_-]*$/);
    expect(validate(rest)).toEqual([]);
    // The validator does catch mistakes: a misspelled key and a wrong condition.
    const broken = structuredClone(rest) as { services: Record<string, Record<string, unknown>> };
    const proxy = broken.services.proxy ?? {};
    proxy.healthcheck = { ...(proxy.healthcheck as object), intervall: '3s' };
    proxy.depends_on = { backend: { condition: 'service_ready' } };
    expect(validate(broken).length).toBeGreaterThanOrEqual(2);
  });

  it('has no `$` that Compose would interpolate (in the one-liners, say)', () => {
    const lines = readText('docker-compose.yml')
      .split('\n')
      .filter((l) => !l.trimStart().startsWith('#'));
    expect(lines.filter((l) => /\$(?!\$)/.test(l.replaceAll('$$', '')))).toEqual([]);
  });

  it('builds every service from a stage of the Dockerfile, one image name per stage', () => {
    const imageOfTarget = new Map<string, string>();
    for (const name of Object.keys(services)) {
      const build = rec(service(name).build, `${name}.build`);
      expect(build.context, name).toBe('.');
      expect(build.dockerfile ?? 'Dockerfile', name).toBe('Dockerfile');
      const target = String(build.target);
      expect(
        findStage(df, target),
        `${name}: target "${target}" is a Dockerfile stage`,
      ).toBeDefined();
      const image = String(service(name).image);
      expect(image, name).toBe(`tcpbalancer/${target}:dev`);
      expect(imageOfTarget.get(target) ?? image).toBe(image);
      imageOfTarget.set(target, image);
    }
    expect([...imageOfTarget.keys()].sort()).toEqual(['backend', 'client', 'proxy']);
  });

  it.each(APP_SERVICES)(
    'runs %s with a command line and environment its own parser accepts',
    (name) => {
      const { app } = containerOf(name);
      expect(app).toBe(name);
      expect(() => parsed(name)).not.toThrow();
    },
  );

  it('runs three backend replicas, reachable inside the network only', () => {
    const backend = service('backend');
    expect(rec(backend.deploy, 'backend.deploy').replicas).toBe(3);
    // A published host port or a fixed container name would make `--scale backend=N` fail.
    expect(backend.ports).toBeUndefined();
    expect(backend.container_name).toBeUndefined();
    const config = parsed('backend');
    const exposed = strings(backend.expose, 'backend.expose').map(Number);
    expect(exposed).toContain(config.port);
    expect(exposed).toContain(config.metricsPort);
    // Replicas share one environment: a fixed name would label every replica alike.
    expect(composeEnv('backend')[`${ENV_PREFIX.backend}NAME`]).toBeUndefined();
  });

  it('points the proxy at the backend service by DNS name and port, re-resolved', () => {
    const proxy = parsed('proxy');
    const backend = parsed('backend');
    const upstreams = proxy.upstreams as { host: string; port: number }[];
    expect(upstreams.map((u) => [u.host, u.port])).toEqual([['backend', backend.port]]);
    expect(proxy.dnsInterval as number).toBeGreaterThan(0);
    expect(proxy.healthInterval as number).toBeGreaterThan(0);
    expect(proxy.host).toBe('0.0.0.0');
    expect(backend.host).toBe('0.0.0.0');
  });

  it('publishes the proxy port and its metrics port on the host, as configured', () => {
    const proxy = parsed('proxy');
    expect(publishedPorts('proxy')).toEqual([
      { host: proxy.port, container: proxy.port },
      { host: proxy.metricsPort, container: proxy.metricsPort },
    ]);
  });

  it('runs the client through the proxy, from ./samples/in (read-only) into ./samples/out', () => {
    const client = parsed('client');
    const proxy = parsed('proxy');
    expect(client.proxy).toEqual({ host: 'proxy', port: proxy.port });
    const m = mounts('client');
    expect(m).toContainEqual({ source: './samples/in', target: client.input, readOnly: true });
    expect(m).toContainEqual({ source: './samples/out', target: client.output, readOnly: false });
    expect(readdirSync(join(ROOT, 'samples/in')).length).toBeGreaterThan(0);
    expect(client.width).toBe(320);
    expect(client.height).toBe(240);
  });

  it.each(['backend', 'proxy'])(
    'health-checks %s on /healthz of its metrics port, like the image',
    (name) => {
      const argv = healthcheckArgv(name);
      const stage = effective(df, targetOf(name), 'HEALTHCHECK');
      const image = stage && parseHealthcheck(stage);
      expect(
        image && !image.none && image.exec,
        'same command as the Dockerfile HEALTHCHECK',
      ).toEqual(argv);
      const metricsVar = `${ENV_PREFIX[name as AppName]}METRICS_PORT`;
      expect(argv.join(' ')).toContain(`process.env.${metricsVar}`);
      expect(argv.join(' ')).toMatch(/\/healthz/);
      const { env } = containerOf(name);
      expect(Number(env[metricsVar])).toBe(parsed(name).metricsPort);
      const hc = rec(service(name).healthcheck, `${name}.healthcheck`);
      for (const key of ['interval', 'timeout', 'start_period']) {
        expect(durationMs(hc[key]), key).toBeGreaterThan(0);
      }
      expect(hc.start_interval, 'start_interval needs Docker Engine 25+').toBeUndefined();
    },
  );

  it('starts the proxy after healthy backends and the client after a healthy proxy', () => {
    const dependsOn = (name: string) => rec(service(name).depends_on ?? {}, `${name}.depends_on`);
    expect(dependsOn('proxy')).toEqual({ backend: { condition: 'service_healthy' } });
    expect(dependsOn('client')).toEqual({
      proxy: { condition: 'service_healthy' },
      'prepare-output': { condition: 'service_completed_successfully' },
    });
    for (const name of Object.keys(services)) {
      for (const [dep, spec] of Object.entries(dependsOn(name))) {
        expect(services[dep], `${name} depends on an existing service`).toBeDefined();
        if (rec(spec, dep).condition === 'service_healthy') {
          expect(service(dep).healthcheck, `${dep} has a health check to wait for`).toBeDefined();
        }
      }
    }
  });

  it('runs every service under an init, so that an early SIGTERM is not lost (143, not 137)', () => {
    for (const name of Object.keys(services)) expect(service(name).init, name).toBe(true);
  });

  it('documents a demo command that only the client can end (no abort on prepare-output)', () => {
    // `--exit-code-from` implies `--abort-on-container-exit`: without `--attach client` the
    // one-shot prepare-output's exit 0 would stop the stack and make compose return 1.
    const commands = ['docker-compose.yml', 'README.md']
      .flatMap((f) => readText(f).split('\n'))
      .map((l) => l.replace(/^#\s*/, '').trim())
      .filter((l) => /^docker compose up\b.*--exit-code-from/.test(l));
    expect(commands.length).toBeGreaterThan(0);
    for (const c of commands) {
      expect(c, c).toMatch(/--exit-code-from client\b/);
      expect(c, c).toMatch(/--attach client\b/);
      expect(c, c).not.toMatch(/--attach (?!client\b)/);
    }
    expect(service('prepare-output').restart).toBe('no');
  });

  it('gives the servers more time to stop than they take to drain (then SIGKILL)', () => {
    expect(durationMs(service('proxy').stop_grace_period)).toBeGreaterThan(
      parsed('proxy').drainTimeout as number,
    );
    expect(durationMs(service('backend').stop_grace_period)).toBeGreaterThan(
      parsed('backend').shutdownTimeout as number,
    );
  });

  it('runs the apps as the image user (non-root); only prepare-output is root, and only node -e', () => {
    for (const name of APP_SERVICES) expect(service(name).user, name).toBeUndefined();
    const user = effective(df, targetOf('client'), 'USER')?.args;
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user?.split(':')[0]);

    const prep = service('prepare-output');
    expect(prep.user).toBe('0:0');
    const entry = strings(prep.entrypoint, 'prepare-output.entrypoint');
    expect(entry.slice(0, 2)).toEqual(['node', '-e']);
    expect(entry).toHaveLength(3);
    // It compiles (a syntax error would only show at `docker compose up`).
    expect(() => new Script(entry[2] ?? '')).not.toThrow();
    expect(mounts('prepare-output')).toEqual(mounts('client'));
  });

  it('prepare-output makes the output folder, owned like the input, writable by the client', () => {
    const script = strings(service('prepare-output').entrypoint, 'entrypoint')[2] ?? '';
    const tmp = mkdtempSync(join(tmpdir(), 'tcpb-prepare-'));
    try {
      const input = join(tmp, 'in');
      const output = join(tmp, 'deep', 'out');
      mkdirSync(input);
      // The container paths, moved under the temporary folder.
      const local = script
        .replaceAll("'/samples/in'", JSON.stringify(input))
        .replaceAll("'/samples/out'", JSON.stringify(output));
      expect(local).not.toContain('/samples/');
      execFileSync(process.execPath, ['-e', local], { timeout: 10_000 });
      const inStat = statSync(input);
      const outStat = statSync(output);
      expect(outStat.isDirectory()).toBe(true);
      expect([outStat.uid, outStat.gid]).toEqual([inStat.uid, inStat.gid]);
      if (inStat.uid !== 1000) expect(outStat.mode & 0o777).toBe(0o777);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('mounts only folders of the repository, and samples/out is not committed', () => {
    for (const name of Object.keys(services)) {
      for (const m of mounts(name)) {
        expect(m.source.startsWith('./'), `${name}: ${m.source} is relative to the repo`).toBe(
          true,
        );
      }
    }
    expect(existsSync(join(ROOT, 'samples/in'))).toBe(true);
    const gitignore = readText('.gitignore').split('\n');
    expect(gitignore).toContain('samples/out/');
  });
});
