// The library packages as a user outside this repository gets them (issue 11.2): `npm pack`
// them, check what the tarballs hold, `npm publish --dry-run` them, install the tarballs into a
// fresh project in the system temp directory (offline: they have no dependencies), and there
// type-check and run every README example as written — ESM, CommonJS (`require()` of the ESM
// build, Node >= 20.19) and TypeScript under node16, nodenext, bundler and node10.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Example, mustRun, readmeExamples, run } from './support.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const tsc = join(root, 'node_modules/typescript/bin/tsc');
const packages = [
  { name: '@tcpbalancer/job', dir: join(root, 'packages/job') },
  { name: '@tcpbalancer/protocol', dir: join(root, 'packages/protocol') },
];
const examples: Example[] = [
  ...readmeExamples(join(root, 'packages/job/README.md'), 'job README'),
  ...readmeExamples(join(root, 'packages/protocol/README.md'), 'protocol README'),
  ...readmeExamples(join(root, 'README.md'), 'root README', 'The job package in brief'),
];

/** What each exported example function is called with, and what it must return. */
const calls: Record<string, { args: unknown[]; expected: unknown }> = {
  firstSquares: { args: [5], expected: [1, 4, 9, 16, 25] },
  pingPong: { args: [2], expected: ['ping 1 pong 2', 'ping 2 pong 4'] },
  sumThroughQueue: { args: [100, 4, 3], expected: 5050 },
  // Called against an upper-casing line server the driver starts (port prepended).
  exchangeLines: {
    args: [['hello', 'job']],
    expected: { state: 'done', replies: ['HELLO', 'JOB'] },
  },
};

let work = '';
let consumer = '';
const packed = new Map<string, { tarball: string; files: string[] }>();

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tcpb-packaging-'));
  const tarballs = join(work, 'tarballs');
  mkdirSync(tarballs);
  for (const pkg of packages) {
    if (!existsSync(join(pkg.dir, 'dist/index.js'))) {
      throw new Error(`${pkg.name} is not built: run \`npx turbo run build\` first`);
    }
    const r = await mustRun('npm', ['pack', '--json', '--pack-destination', tarballs], pkg.dir);
    const [info] = JSON.parse(r.stdout) as { filename: string; files: { path: string }[] }[];
    if (info === undefined) throw new Error(`npm pack ${pkg.name}: no output`);
    packed.set(pkg.name, {
      tarball: join(tarballs, info.filename),
      files: info.files.map((f) => f.path),
    });
  }
  consumer = join(work, 'consumer');
  mkdirSync(join(consumer, 'src'), { recursive: true });
  writeFileSync(
    join(consumer, 'package.json'),
    `${JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`,
  );
  await mustRun(
    'npm',
    [
      'install',
      '--offline',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      ...[...packed.values()].map((p) => p.tarball),
    ],
    consumer,
  );
});

afterAll(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

describe.each(packages)('the $name tarball', (pkg) => {
  it('holds the build, the sources its maps point at, README and LICENSE, and no tests', () => {
    const files = packed.get(pkg.name)?.files ?? [];
    for (const f of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts']) {
      expect(files, f).toContain(f);
    }
    expect(files).toContain('src/index.ts');
    expect(files.filter((f) => /\.test\.ts$|^test\/|^bench\//.test(f))).toEqual([]);
  });

  it('carries the MIT LICENSE of the repository', () => {
    const installed = join(consumer, 'node_modules', pkg.name);
    const license = readFileSync(join(installed, 'LICENSE'), 'utf8');
    expect(license).toBe(readFileSync(join(root, 'LICENSE'), 'utf8'));
    expect(license).toMatch(/^MIT License/);
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    expect(manifest.license).toBe('MIT');
    expect(manifest.private).toBeUndefined();
  });

  it('has main, types and exports that exist, and engines where require(esm) works', () => {
    const installed = join(consumer, 'node_modules', pkg.name);
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    for (const f of [manifest.main, manifest.types, ...Object.values(manifest.exports['.'])]) {
      expect(existsSync(join(installed, f as string)), String(f)).toBe(true);
    }
    expect(Object.keys(manifest.exports['.'])[0]).toBe('source');
    expect(manifest.engines.node).toBe('>=20.19 <21 || >=22.12');
  });

  it('every source map points at files shipped in the tarball', () => {
    const installed = join(consumer, 'node_modules', pkg.name);
    const maps = readdirSync(join(installed, 'dist')).filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    for (const m of maps) {
      const map = JSON.parse(readFileSync(join(installed, 'dist', m), 'utf8'));
      for (const source of map.sources as string[]) {
        const file = resolve(join(installed, 'dist'), map.sourceRoot ?? '', source);
        expect(existsSync(file), `${m} → ${source}`).toBe(true);
      }
    }
  });

  it('npm publish --dry-run is clean: no warning', async () => {
    // A token for an unreachable local registry: a dry run contacts nothing, and without any
    // token npm would warn about logging in, which says nothing about the package.
    const r = await run(
      'npm',
      [
        'publish',
        '--dry-run',
        '--registry',
        'http://127.0.0.1:9/',
        '--//127.0.0.1:9/:_authToken=dry-run-only',
        '--fetch-retries=0', // it asks the registry whether the version exists: refused at once
      ],
      pkg.dir,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split('\n').filter((l) => /\bwarn\b/i.test(l))).toEqual([]);
    expect(r.stderr).toContain(`${pkg.name}@`);
  });
});

describe('the README examples, in a fresh project that installed the tarballs', () => {
  const modes = {
    node16: { module: 'node16', moduleResolution: 'node16' },
    nodenext: { module: 'nodenext', moduleResolution: 'nodenext' },
    bundler: { module: 'esnext', moduleResolution: 'bundler' },
    node10: { module: 'es2022', moduleResolution: 'node10' },
  } as const;
  const files = examples.map((_, i) => `ex${i + 1}.ts`);

  beforeAll(() => {
    expect(examples.length).toBeGreaterThanOrEqual(8);
    examples.forEach((ex, i) => {
      writeFileSync(join(consumer, 'src', files[i] as string), `// ${ex.origin}\n${ex.code}`);
    });
    // CommonJS: require() of the ESM build (Node >= 20.19; TypeScript with module nodenext).
    writeFileSync(
      join(consumer, 'src', 'cjs.cts'),
      [
        "import { Job, JobErrorCode, type Task } from '@tcpbalancer/job';",
        "import { ErrorCode, isErrorCode } from '@tcpbalancer/protocol';",
        '',
        'const job = new Job({ n: 0 });',
        'job.addTask((j) => ({ run(task: Task<{ n: number }>) { if (++j.value.n === 3) task.done(); } }));',
        'job.run().then((state) => {',
        '  console.log(JSON.stringify({ state, n: job.value.n, code: JobErrorCode.Timeout, wire: isErrorCode(ErrorCode.Busy) }));',
        '});',
        '',
      ].join('\n'),
    );
    const base = {
      strict: true,
      target: 'ES2022',
      lib: ['ES2023'],
      types: ['node'],
      typeRoots: [join(root, 'node_modules/@types')],
      skipLibCheck: true,
      esModuleInterop: true,
    };
    for (const [mode, opts] of Object.entries(modes)) {
      const include = mode === 'nodenext' ? ['src'] : files.map((f) => `src/${f}`);
      // The packages' own .d.ts files are checked once, under nodenext (@types/node with them:
      // slow); the other modes check that the examples resolve and type-check against them.
      const skipLibCheck = mode !== 'nodenext';
      const config = { compilerOptions: { ...base, ...opts, skipLibCheck, noEmit: true }, include };
      writeFileSync(join(consumer, `tsconfig.${mode}.json`), JSON.stringify(config, null, 2));
    }
    const emit = {
      compilerOptions: { ...base, ...modes.nodenext, outDir: 'out', rootDir: 'src' },
      include: ['src'],
    };
    writeFileSync(join(consumer, 'tsconfig.emit.json'), JSON.stringify(emit, null, 2));
  });

  for (const mode of Object.keys(modes)) {
    it(`type-check under moduleResolution ${mode}${mode === 'nodenext' ? ' (and CommonJS)' : ''}`, async () => {
      const r = await run(process.execPath, [tsc, '-p', `tsconfig.${mode}.json`], consumer);
      expect(r.stdout + r.stderr, `tsc ${mode}`).toBe('');
      expect(r.code).toBe(0);
    });
  }

  it('each example runs as written and prints what its comments say', async () => {
    await mustRun(process.execPath, [tsc, '-p', 'tsconfig.emit.json'], consumer);
    const driver = join(consumer, 'driver.mjs');
    writeFileSync(driver, DRIVER);
    let scripts = 0;
    let modules = 0;
    for (const [i, ex] of examples.entries()) {
      const js = join(consumer, 'out', (files[i] as string).replace(/\.ts$/, '.js'));
      const exported = [...ex.code.matchAll(/^export async function (\w+)/gm)].map((m) => m[1]);
      if (exported.length === 0) {
        scripts++;
        // A script: it runs on its own, and the `// …` after each console.log is its output.
        const expected = [...ex.code.matchAll(/console\.log\(.*\);\s*\/\/ (.+)$/gm)].map(
          (m) => m[1],
        );
        expect(expected.length, `${ex.origin} documents its output`).toBeGreaterThan(0);
        const r = await run(process.execPath, [js], consumer, 60_000);
        expect(r.code, `${ex.origin}: ${r.stderr}`).toBe(0);
        expect(r.stdout.trim().split('\n'), ex.origin).toEqual(expected);
        continue;
      }
      for (const name of exported) {
        modules++;
        const call = calls[name as string];
        expect(call, `${ex.origin}: add ${name} to the calls table`).toBeDefined();
        const r = await run(
          process.execPath,
          [driver, js, name as string, JSON.stringify(call?.args)],
          consumer,
          60_000,
        );
        expect(r.code, `${ex.origin} ${name}: ${r.stderr}`).toBe(0);
        expect(JSON.parse(r.stdout), `${ex.origin} ${name}`).toMatchObject(
          call?.expected as object,
        );
      }
    }
    expect(scripts).toBeGreaterThanOrEqual(4);
    expect(modules).toBeGreaterThanOrEqual(4);
  });

  it('CommonJS can require() both packages (Node >= 20.19)', async () => {
    const r = await run(process.execPath, [join(consumer, 'out', 'cjs.cjs')], consumer, 60_000);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      state: 'done',
      n: 3,
      code: 'ERR_JOB_TIMEOUT',
      wire: true,
    });
  });

  it('the consumer resolved the installed tarballs, not this workspace', () => {
    for (const pkg of packages) {
      const installed = join(consumer, 'node_modules', pkg.name, 'package.json');
      expect(existsSync(installed)).toBe(true);
      expect(dirname(installed).startsWith(root)).toBe(false);
    }
  });
});

/**
 * Runs one exported example function: `node driver.mjs <file.js> <name> <args as JSON>`, prints
 * its result as JSON. For `exchangeLines` it first starts the upper-casing line server the
 * example talks to (the one the job package's own example test uses) and passes its port.
 */
const DRIVER = `import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

const [file, name, argsJson] = process.argv.slice(2);
const mod = await import(pathToFileURL(file).href);
let args = JSON.parse(argsJson);
let server;
if (name === 'exchangeLines') {
  server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => {});
    const rl = createInterface({ input: socket });
    rl.on('line', (line) => socket.write(line.toUpperCase() + '\\n'));
    rl.on('close', () => socket.end());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  args = [server.address().port, ...args];
}
const result = await mod[name](...args);
server?.close();
process.stdout.write(JSON.stringify(result));
`;
