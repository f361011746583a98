import { mkdir, mkdtemp, open, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Frame, FrameType } from '@tcpbalancer/protocol';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeBackend, lastJson, listFiles, runCli, startFakeBackend } from './helpers.js';

/**
 * The input folder as a trust boundary: its files are whatever someone put there (the output of
 * an earlier run, a BMP, a 70 MB file with a JPEG's first bytes, a link into the output, a
 * name with terminal escapes). Each case fails without its guard.
 */
describe('what the input folder holds', () => {
  let fake: FakeBackend;
  let work: string;
  let png: Buffer;
  const input = () => path.join(work, 'in');

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'tcpb-input-'));
    await mkdir(input());
    const jpeg = await sharp({ create: { width: 30, height: 20, channels: 3, background: '#08f' } })
      .jpeg()
      .toBuffer();
    png = await sharp({ create: { width: 10, height: 20, channels: 3, background: '#f80' } })
      .png()
      .toBuffer();
    for (const name of ['a.jpg', 'b.jpg', 'c.jpg']) await writeFile(path.join(input(), name), jpeg);
    fake = await startFakeBackend((req: Frame) => {
      if (String(req.header.name).startsWith('evil')) {
        return [
          {
            type: FrameType.Error,
            requestId: req.requestId,
            header: { code: 'ERR_IMAGE_CORRUPT', message: 'corrupt' },
            payload: Buffer.alloc(0),
          },
        ];
      }
      const header = {
        backend: 'fake',
        width: 10,
        height: 20,
        format: 'png',
        bytes: png.length,
        ms: 1,
      };
      return [{ type: FrameType.Response, requestId: req.requestId, header, payload: png }];
    });
  });

  afterAll(async () => {
    await fake?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const run = (args: string[]) =>
    runCli(['--proxy', `127.0.0.1:${fake.port}`, '-i', input(), '--json', ...args]);

  it('--output inside --input: never scanned, run after run, and said once in the log', async () => {
    const out = path.join(input(), 'resized');
    for (let i = 0; i < 2; i++) {
      const before = fake.requests.length;
      const r = await run(['-o', out]);
      expect(r.code, r.stderr).toBe(0);
      expect(fake.requests.length - before).toBe(3);
      const s = lastJson(r.stdout) as { images: number; written: number };
      expect(s.images).toBe(3);
      expect(r.stderr.match(/output folder is inside the input folder/g)).toHaveLength(1);
    }
    expect(await listFiles(out)).toEqual(['a-10x20.png', 'b-10x20.png', 'c-10x20.png']);
    // A link from the input into the output folder does not bring its files back in.
    await symlink(path.join(out, 'a-10x20.png'), path.join(input(), 'link.png'));
    try {
      const r = await run(['-o', out]);
      const s = lastJson(r.stdout) as {
        images: number;
        skipped: { path: string; reason: string }[];
      };
      expect(s.images).toBe(3);
      expect(s.skipped).toContainEqual({ path: 'link.png', reason: 'IN_OUTPUT' });
    } finally {
      await rm(path.join(input(), 'link.png'));
    }
  });

  it('--output that is the --input folder itself is a usage error', async () => {
    const r = await run(['-o', input()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--output .* is the --input folder itself/);
  });

  it('a BMP is an unsupported format, a file over the payload limit is never read', async () => {
    const dir = path.join(work, 'mixed');
    await mkdir(dir);
    // A real BMP header: "BM", sizes, then a 40-byte BITMAPINFOHEADER.
    const bmp = Buffer.alloc(70);
    bmp.write('BM', 0, 'latin1');
    bmp.writeUInt32LE(70, 2);
    bmp.writeUInt32LE(54, 10);
    bmp.writeUInt32LE(40, 14);
    bmp.writeInt32LE(4, 18);
    bmp.writeInt32LE(4, 22);
    await writeFile(path.join(dir, 'pic.bmp'), bmp);
    // 70 MB (sparse) that starts like a JPEG: past the 64 MiB payload limit.
    const fh = await open(path.join(dir, 'huge.jpg'), 'w');
    await fh.write(Buffer.from([0xff, 0xd8, 0xff, 0xe0]), 0, 4, 0);
    await fh.truncate(70 * 1024 * 1024);
    await fh.close();
    const before = fake.requests.length;
    const r = await runCli(['--proxy', `127.0.0.1:${fake.port}`, '-i', dir, '--dry-run', '--json']);
    const s = lastJson(r.stdout) as {
      skipped: { path: string; reason: string; format?: string }[];
    };
    expect(s.skipped).toEqual([
      { path: 'huge.jpg', reason: 'TOO_LARGE' },
      { path: 'pic.bmp', reason: 'UNSUPPORTED_FORMAT', format: 'bmp' },
    ]);
    expect(fake.requests.length).toBe(before);
  });

  it('a file name with terminal escapes is printed harmless in the summary table', async () => {
    const dir = path.join(work, 'names');
    await mkdir(dir);
    await writeFile(path.join(dir, 'evil\u001b]0;owned\u0007\u001b[2J.jpg'), await readFirst());
    const r = await runCli([
      '--proxy',
      `127.0.0.1:${fake.port}`,
      '-i',
      dir,
      '-o',
      path.join(work, 'o'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('evil?]0;owned??[2J.jpg: ERR_IMAGE_CORRUPT');
    expect(r.stdout).not.toContain('\u001b');
    expect(r.stdout).not.toContain('\u0007');
  });

  async function readFirst(): Promise<Buffer> {
    return sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
      .jpeg()
      .toBuffer();
  }
});
