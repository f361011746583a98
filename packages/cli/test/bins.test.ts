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
    // A copy of the package without dist/, as right after `npm ci`.
    const pkg = join(tmp, app);
    mkdirSync(join(pkg, 'bin'), { recursive: true });
    copyFileSync(launcher, join(pkg, 'bin', `${name}.js`));
    copyFileSync(join(ROOT, 'apps', app, 'package.json'), join(pkg, 'package.json'));
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
});
