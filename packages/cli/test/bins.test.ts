/**
 * Issue 11: the three programs are in node_modules/.bin right after `npm ci`, before any build.
 * npm links a workspace's bin only when its target exists at install time; the targets are the
 * committed launchers in apps/<app>/bin, which run the build or say how to make it.
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const APPS = ['proxy', 'backend', 'client'] as const;
const tmp = mkdtempSync(join(tmpdir(), 'tcpb-bins-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.each(APPS)('tcpbalancer-%s', (app) => {
  const name = `tcpbalancer-${app}`;
  const launcher = join(ROOT, 'apps', app, 'bin', `${name}.js`);

  it('package.json points its bin at the committed, executable launcher', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'apps', app, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    expect(pkg.bin).toEqual({ [name]: `./bin/${name}.js` });
    expect(statSync(launcher).mode & 0o111).not.toBe(0);
    expect(readFileSync(launcher, 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
  });

  it('is linked in node_modules/.bin by npm ci, to the launcher (not to dist)', () => {
    const link = join(ROOT, 'node_modules', '.bin', name);
    expect(existsSync(link)).toBe(true);
    expect(realpathSync(link)).toBe(realpathSync(launcher));
  });

  it('without a build, says to run `npm run build` first and exits 2', () => {
    const pkg = copyOfPackage(app, 'unbuilt');
    const r = spawnSync(process.execPath, [join(pkg, 'bin', `${name}.js`), '--help'], {
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(
        `^${name}: not built yet: run \`npm run build\` in the repository root first \\(.*dist/main\\.js is missing\\)\\n$`,
      ),
    );
  });

  it('once built, runs dist/main.js beside it with the arguments', () => {
    const pkg = copyOfPackage(app, 'built');
    mkdirSync(join(pkg, 'dist'));
    writeFileSync(
      join(pkg, 'dist', 'main.js'),
      "process.stdout.write(['main', ...process.argv.slice(2)].join(' ') + '\\n');\n",
    );
    const r = spawnSync(process.execPath, [join(pkg, 'bin', `${name}.js`), '--version'], {
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('main --version\n');
    expect(r.status).toBe(0);
  });
});

/**
 * A copy of the app's package without dist/, as right after `npm ci` and before any build: its
 * launcher, its package.json, and @tcpbalancer/cli linked into node_modules as npm ci links the
 * workspace (the launcher's body is the cli's committed launch.mjs, which is not built either).
 */
function copyOfPackage(app: string, label: string): string {
  const name = `tcpbalancer-${app}`;
  const pkg = join(tmp, label, app);
  mkdirSync(join(pkg, 'bin'), { recursive: true });
  mkdirSync(join(pkg, 'node_modules', '@tcpbalancer'), { recursive: true });
  copyFileSync(join(ROOT, 'apps', app, 'bin', `${name}.js`), join(pkg, 'bin', `${name}.js`));
  copyFileSync(join(ROOT, 'apps', app, 'package.json'), join(pkg, 'package.json'));
  symlinkSync(join(ROOT, 'packages', 'cli'), join(pkg, 'node_modules', '@tcpbalancer', 'cli'));
  return pkg;
}
