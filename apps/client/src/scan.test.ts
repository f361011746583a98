import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scanDirectory } from './scan.js';

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70, 0, 1]);
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);

describe('scanDirectory', () => {
  let dir: string;
  let outside: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tcpb-scan-'));
    outside = await mkdtemp(path.join(tmpdir(), 'tcpb-outside-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('finds images by content in nested dirs, reports the rest', async () => {
    await mkdir(path.join(dir, 'x/y'), { recursive: true });
    await writeFile(path.join(dir, 'a.jpg'), JPEG);
    await writeFile(path.join(dir, 'x/noext'), PNG);
    await writeFile(path.join(dir, 'x/y/fake.jpg'), 'text');
    await writeFile(path.join(dir, 'empty.png'), '');
    const r = await scanDirectory(dir);
    expect(r.images.map((i) => [i.relPath, i.kind])).toEqual([
      ['a.jpg', 'jpeg'],
      ['x/noext', 'png'],
    ]);
    expect(r.skipped).toEqual([
      { relPath: 'empty.png', reason: 'EMPTY' },
      { relPath: 'x/y/fake.jpg', reason: 'NOT_AN_IMAGE' },
    ]);
  });

  it('does not follow symlinks out of the input dir, nor into directories', async () => {
    await writeFile(path.join(outside, 'secret.jpg'), JPEG);
    await writeFile(path.join(dir, 'real.jpg'), JPEG);
    await symlink(path.join(outside, 'secret.jpg'), path.join(dir, 'out.jpg'));
    await symlink(outside, path.join(dir, 'outdir'));
    await symlink(dir, path.join(dir, 'loop'));
    await symlink(path.join(dir, 'real.jpg'), path.join(dir, 'inside.jpg'));
    await symlink(path.join(dir, 'missing'), path.join(dir, 'dangling'));
    const r = await scanDirectory(dir);
    expect(r.images.map((i) => i.relPath)).toEqual(['inside.jpg', 'real.jpg']);
    expect(Object.fromEntries(r.skipped.map((s) => [s.relPath, s.reason]))).toEqual({
      'out.jpg': 'SYMLINK_OUTSIDE',
      outdir: 'SYMLINK_OUTSIDE',
      loop: 'SYMLINK_DIR',
      dangling: 'ENOENT',
    });
  });

  it.skipIf(process.getuid?.() === 0)('reports unreadable files', async () => {
    await writeFile(path.join(dir, 'locked.jpg'), JPEG, { mode: 0o000 });
    const r = await scanDirectory(dir);
    expect(r.skipped).toEqual([{ relPath: 'locked.jpg', reason: 'EACCES' }]);
  });
});
