import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageTooLargeError, readImageFile } from './read-image.js';

describe('readImageFile: an input file is never read past the payload limit', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tcpb-read-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a file within the limit whole', async () => {
    const f = path.join(dir, 'ok.jpg');
    await writeFile(f, Buffer.alloc(100, 7));
    expect((await readImageFile(f, 100)).length).toBe(100);
  });

  it('refuses a file that grew past the limit after the scan', async () => {
    const f = path.join(dir, 'grew.jpg');
    await writeFile(f, Buffer.alloc(101));
    await expect(readImageFile(f, 100)).rejects.toBeInstanceOf(ImageTooLargeError);
    await expect(readImageFile(f, 100)).rejects.toMatchObject({ code: 'ERR_IMAGE_TOO_LARGE' });
  });
});
