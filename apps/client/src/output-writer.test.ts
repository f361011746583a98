import { lstat, mkdir, mkdtemp, readdir, readFile, realpath, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutputError } from './errors.js';
import { OutputWriter } from './output-writer.js';

describe('OutputWriter', () => {
  let root: string;
  let outside: string;
  beforeEach(async () => {
    root = await realpath(await mkdtemp(path.join(tmpdir(), 'tcpb-out-')));
    outside = await mkdtemp(path.join(tmpdir(), 'tcpb-outside-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('writes atomically into subdirectories, leaving no temp file', async () => {
    const w = new OutputWriter(root);
    expect(await w.write(['a', 'b'], 'cat-10x10.png', Buffer.from('one'))).toBe(
      'a/b/cat-10x10.png',
    );
    await w.write(['a', 'b'], 'cat-10x10.png', Buffer.from('two'));
    expect(await readFile(path.join(root, 'a/b/cat-10x10.png'), 'utf8')).toBe('two');
    expect(await readdir(path.join(root, 'a/b'))).toEqual(['cat-10x10.png']);
  });

  it.each([['..'], ['.'], [''], ['a/b'], ['x\0y']])('refuses the component %j', async (bad) => {
    const w = new OutputWriter(root);
    await expect(w.write([bad], 'f.png', Buffer.from('x'))).rejects.toThrow(OutputError);
    await expect(w.write([], bad, Buffer.from('x'))).rejects.toThrow(OutputError);
  });

  it('never follows a symlinked directory out of the root', async () => {
    await symlink(outside, path.join(root, 'evil'));
    const w = new OutputWriter(root);
    await expect(w.write(['evil'], 'f.png', Buffer.from('x'))).rejects.toThrow(/symlink/);
    expect(await readdir(outside)).toEqual([]);
  });

  it('replaces a symlink at the final name instead of writing through it', async () => {
    await mkdir(path.join(root, 'd'));
    await symlink(path.join(outside, 'target'), path.join(root, 'd/f.png'));
    const w = new OutputWriter(root);
    await w.write(['d'], 'f.png', Buffer.from('x'));
    expect(await readdir(outside)).toEqual([]);
    expect((await lstat(path.join(root, 'd/f.png'))).isFile()).toBe(true);
  });
});
