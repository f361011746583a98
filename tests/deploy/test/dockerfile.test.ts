import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_NAMES, type AppName, ENV_PREFIX, parseInvocation } from './support/apps.js';
import {
  allOf,
  baseImage,
  copyArgs,
  effective,
  execForm,
  exposedPorts,
  findStage,
  parseHealthcheck,
  stageChain,
  stageEnv,
} from './support/dockerfile.js';
import { classicBuilderDrops, isIgnored, parseDockerignore } from './support/dockerignore.js';
import { loadDockerfile, ROOT, readText } from './support/files.js';

// The Dockerfile checked without a Docker engine: stages and targets, base image, user,
// entrypoint, health check, ports, what gets installed and copied, and the build context.

const df = loadDockerfile();
const ignore = parseDockerignore(readText('.dockerignore'));

interface Manifest {
  name: string;
  files?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  workspaces?: string[];
}
const readJson = <T>(rel: string): T => JSON.parse(readFileSync(join(ROOT, rel), 'utf8')) as T;

/** Workspace folders, as the lockfile lists them (what `npm ci` insists on finding). */
function lockfileWorkspaces(): string[] {
  const lock = readJson<{ packages: Record<string, unknown> }>('package-lock.json');
  return Object.keys(lock.packages).filter((k) => k !== '' && !k.includes('node_modules'));
}

function folderOfPackage(name: string): string {
  const folder = lockfileWorkspaces().find(
    (w) => readJson<Manifest>(`${w}/package.json`).name === name,
  );
  if (!folder) throw new Error(`no workspace named ${name}`);
  return folder;
}

/** The @tcpbalancer/* packages an app needs at run time, itself included, transitively. */
function runtimeWorkspaces(app: AppName): string[] {
  const seen = new Set<string>();
  const visit = (folder: string) => {
    if (seen.has(folder)) return;
    seen.add(folder);
    const deps = readJson<Manifest>(`${folder}/package.json`).dependencies ?? {};
    for (const dep of Object.keys(deps))
      if (dep.startsWith('@tcpbalancer/')) visit(folderOfPackage(dep));
  };
  visit(`apps/${app}`);
  return [...seen].sort();
}

/** The `RUN` commands of a stage chain, joined. */
function runs(stage: string): string {
  return allOf(df, stage, 'RUN')
    .map((i) => i.args)
    .join('\n');
}

function walk(relDir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(ROOT, relDir), { withFileTypes: true })) {
    const rel = `${relDir}/${e.name}`;
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== '.git') out.push(...walk(rel));
    } else out.push(rel);
  }
  return out;
}

/** Files and folders in the work tree that git ignores (undefined without git or a repo). */
const gitIgnored = (() => {
  try {
    return execFileSync(
      'git',
      ['ls-files', '--others', '--ignored', '--exclude-standard', '--directory'],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 20_000,
      },
    )
      .split('\n')
      .filter((l) => l !== '');
  } catch {
    return undefined;
  }
})();

describe('Dockerfile', () => {
  it('has no `# syntax=` directive: BuildKit would fetch a frontend from Docker Hub', () => {
    // A parser directive is a `# key=value` comment before the first instruction.
    const head: string[] = [];
    for (const line of readText('Dockerfile').split('\n')) {
      if (!line.startsWith('#')) break;
      head.push(line);
    }
    expect(head.filter((l) => /^#\s*syntax\s*=/i.test(l))).toEqual([]);
  });

  it('has a runtime target per app, each on node:20-bookworm-slim', () => {
    for (const app of APP_NAMES) {
      expect(findStage(df, app), `stage ${app}`).toBeDefined();
      expect(baseImage(df, app)).toBe('node:20-bookworm-slim');
    }
  });

  it.each(APP_NAMES)('runs %s as a non-root user', (app) => {
    const user = effective(df, app, 'USER')?.args;
    expect(user, 'a USER instruction applies').toBeDefined();
    expect(['root', '0']).not.toContain(user?.split(':')[0]);
  });

  it.each(APP_NAMES)('starts %s with node itself: exec-form ENTRYPOINT, no shell', (app) => {
    const entry = effective(df, app, 'ENTRYPOINT');
    expect(entry && execForm(entry.args)).toEqual(['node', `apps/${app}/dist/main.js`]);
    const cmd = effective(df, app, 'CMD');
    if (cmd) expect(execForm(cmd.args), 'CMD, if any, in exec form').toBeDefined();
    expect(effective(df, app, 'WORKDIR')?.args).toBe('/app');
    // The path exists in a local build: the same layout is copied into the image.
    expect(existsSync(join(ROOT, `apps/${app}/dist/main.js`)), 'built locally').toBe(true);
    const signal = effective(df, app, 'STOPSIGNAL')?.args ?? 'SIGTERM';
    expect(signal).toBe('SIGTERM');
  });

  it.each(['proxy', 'backend'] as const)(
    'health-checks %s over HTTP on its metrics port, in exec form',
    (app) => {
      const ins = effective(df, app, 'HEALTHCHECK');
      expect(ins).toBeDefined();
      const hc = ins && parseHealthcheck(ins);
      if (!hc || hc.none) throw new Error('HEALTHCHECK NONE on a server');
      expect(hc.exec?.slice(0, 2)).toEqual(['node', '-e']);
      expect(hc.exec?.[2]).toContain(`process.env.${ENV_PREFIX[app]}METRICS_PORT`);
      expect(hc.exec?.[2]).toMatch(/\/healthz/);
      for (const opt of ['interval', 'timeout', 'start-period'])
        expect(hc.options[opt], opt).toMatch(/^\d+s$/);
      // The image turns the metrics server on, on the port the health check probes.
      const env = stageEnv(df, app);
      expect(env[`${ENV_PREFIX[app]}METRICS_PORT`]).toMatch(/^\d+$/);
    },
  );

  it('does not health-check the client, a batch job', () => {
    const ins = effective(df, 'client', 'HEALTHCHECK');
    expect(ins && parseHealthcheck(ins)).toEqual({ none: true });
  });

  it.each(['proxy', 'backend'] as const)(
    'exposes the ports %s listens on with the image defaults',
    (app) => {
      const env = stageEnv(df, app);
      // The image's ENV alone (plus what a deployment must add, the upstreams) is a valid config.
      const argv = app === 'proxy' ? ['--upstream', 'backend:7100'] : [];
      const config = parseInvocation(app, argv, env);
      expect(exposedPorts(df, app).sort()).toEqual([config.port, config.metricsPort].sort());
      expect(config.host).toBe('0.0.0.0');
    },
  );

  it('knows every environment variable it sets', () => {
    for (const app of APP_NAMES) {
      const argv =
        app === 'proxy'
          ? ['-u', 'backend:7100']
          : app === 'client'
            ? ['--proxy', 'proxy:7000', '--input', 'samples/in', '--output', '/tmp/out']
            : [];
      expect(() => parseInvocation(app, argv, stageEnv(df, app)), app).not.toThrow();
    }
  });

  it('installs with npm ci from the lockfile, and copies every workspace manifest first', () => {
    const manifests = findStage(df, 'manifests');
    expect(manifests).toBeDefined();
    const copied = (manifests?.instructions ?? [])
      .filter((i) => i.keyword === 'COPY')
      .flatMap((i) => copyArgs(i).sources);
    expect(copied).toContain('package.json');
    expect(copied).toContain('package-lock.json');
    for (const ws of lockfileWorkspaces())
      expect(copied, `${ws}/package.json`).toContain(`${ws}/package.json`);
    expect(
      manifests?.instructions.some((i) => i.keyword === 'RUN'),
      'no install before all manifests',
    ).toBe(false);
    for (const stage of df.stages) {
      for (const run of stage.instructions.filter((i) => i.keyword === 'RUN')) {
        expect(run.args, 'npm ci, never npm install').not.toMatch(/\bnpm (install|i)\b/);
      }
    }
  });

  it('builds the TypeScript once, in the build stage, with turbo', () => {
    const building = df.stages.filter((s) =>
      s.instructions.some((i) => i.keyword === 'RUN' && /turbo run build|\btsc\b/.test(i.args)),
    );
    expect(building.map((s) => s.name)).toEqual(['build']);
    expect(runs('build')).toMatch(/npm ci\b(?!.*--omit)/);
  });

  it.each(APP_NAMES)(
    'gives %s its production dependencies only, and the dist of what it imports',
    (app) => {
      const stage = findStage(df, app);
      const copies = (stage?.instructions ?? []).filter((i) => i.keyword === 'COPY');
      const fromDeps = copies.filter((i) => i.flags.from === `${app}-deps`);
      expect(fromDeps, `copies node_modules from ${app}-deps`).toHaveLength(1);
      const deps = runs(`${app}-deps`);
      expect(deps).toMatch(/npm ci\b/);
      expect(deps).toMatch(/--omit=dev/);
      expect(deps).toMatch(new RegExp(`--workspace[= ]@tcpbalancer/${app}\\b`));
      // --omit=dev alone lets the test kit (a devDependency, but a workspace) bring sharp in.
      expect(deps).toMatch(
        new RegExp(
          `npm pkg delete devDependencies --workspace[= ]@tcpbalancer/${app}\\b[^]*npm ci`,
        ),
      );
      const dists = copies
        .filter((i) => i.flags.from === 'build')
        .map((i) =>
          copyArgs(i)
            .sources[0]?.replace(/^\/app\//, '')
            .replace(/\/$/, ''),
        );
      // The folders each package ships (`files` in its package.json: dist, and the proxy's
      // schema/ that --config reads at run time), nothing else of the build stage: no build
      // tooling. Not needed in an image: bin/ (launchers; the ENTRYPOINT runs dist/main.js),
      // src/ (sources for the published packages' source maps), single files (README, LICENSE).
      const shipped = runtimeWorkspaces(app).flatMap((ws) =>
        (readJson<Manifest>(`${ws}/package.json`).files ?? ['dist'])
          .filter((f) => !['bin', 'src'].includes(f) && !f.startsWith('!'))
          .map((f) => `${ws}/${f}`)
          .filter((p) => existsSync(join(ROOT, p)) && statSync(join(ROOT, p)).isDirectory()),
      );
      expect(shipped).toContain(`apps/${app}/dist`);
      expect([...dists].sort()).toEqual([...shipped].sort());
      // The runtime chain never runs the full install.
      expect(stageChain(df, app).map((s) => s.name)).not.toContain('build');
    },
  );

  it('keeps the build context small: no node_modules, dist or .git, but every COPY source', () => {
    for (const p of [
      'apps/backend/.bench-corpus/photo.jpg',
      'node_modules/x',
      'apps/proxy/node_modules/x',
      'apps/proxy/dist/main.js',
      '.git/HEAD',
      'samples/out/a.jpg',
    ]) {
      expect(isIgnored(ignore, p), p).toBe(true);
    }
    for (const stage of df.stages) {
      for (const ins of stage.instructions.filter(
        (i) => i.keyword === 'COPY' && i.flags.from === undefined,
      )) {
        for (const src of copyArgs(ins).sources) {
          const rel = src.replace(/\/$/, '');
          const abs = join(ROOT, rel);
          expect(existsSync(abs), `${src} exists`).toBe(true);
          const files = statSync(abs).isDirectory() ? walk(rel) : [rel];
          const kept = files.filter((f) => !isIgnored(ignore, f));
          expect(
            kept.length,
            `line ${ins.line}: something of ${src} reaches the context`,
          ).toBeGreaterThan(0);
          if (!statSync(abs).isDirectory())
            expect(isIgnored(ignore, rel), `${rel} is in the context`).toBe(false);
          // …for both builders: BuildKit and the classic one (DOCKER_BUILDKIT=0).
          const dropped = kept.filter((f) => classicBuilderDrops(ignore, f));
          expect(dropped, `line ${ins.line}: the classic builder leaves these out`).toEqual([]);
        }
      }
    }
    // Sources do reach the build stage; tests and benches do not.
    expect(isIgnored(ignore, 'apps/proxy/src/main.ts')).toBe(false);
    expect(isIgnored(ignore, 'packages/job/src/job.ts')).toBe(false);
    expect(isIgnored(ignore, 'apps/proxy/src/config.test.ts')).toBe(true);
    expect(isIgnored(ignore, 'tests/deploy/test/compose.test.ts')).toBe(true);
  });

  it.skipIf(gitIgnored === undefined)(
    'leaves out of the build context whatever git ignores',
    () => {
      // Build output, caches, benchmark corpora, samples/out: never sent to the engine.
      const sent = (gitIgnored ?? []).filter((p) => !isIgnored(ignore, p.replace(/\/$/, '')));
      expect(sent).toEqual([]);
    },
  );
});
