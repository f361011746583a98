/**
 * Hostile answers against the client: a fake backend (behind the real proxy) answers with
 * path-traversal formats, absolute paths, NUL bytes, lying dimensions, wrong ids. Nothing may
 * be written outside --output, every written name must be `<base>-<W>x<H>.<ext>`, and the
 * client must end with a non-zero status instead of crashing.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { type Frame, FrameType } from '@tcpbalancer/protocol';
import {
  clientArgs,
  type FakeAnswer,
  type FakeBackend,
  killAll,
  listFiles,
  makeImage,
  runClient,
  startFakeBackend,
  startProxy,
  tempDir,
  writeFiles,
} from '@tcpbalancer/test-kit';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

/**
 * What on stderr would betray a crash: every line that is not one of the client's own JSON log
 * lines below `fatal` (60). The client logs to stderr, and a handled failure is logged with its
 * Error under `err`, stack included: that stack is a report, not a crash.
 */
function crashOutput(stderr: string): string {
  return stderr
    .split('\n')
    .filter((line) => {
      if (!line.startsWith('{')) return true;
      try {
        const level = (JSON.parse(line) as { level?: unknown }).level;
        return typeof level !== 'number' || level >= 60;
      } catch {
        return true;
      }
    })
    .join('\n');
}

/** A response frame with any header at all: what a hostile backend may send. */
function hostileResponse(
  requestId: number,
  header: Record<string, unknown>,
  payload: Buffer,
): Frame {
  return { type: FrameType.Response, requestId, header, payload };
}

const NAME = /^(?:[^/]+\/)*[^/\0]+-\d{1,5}x\d{1,5}\.(jpg|png|webp|avif|heif|gif|tiff)$/;

describe('hostile answers → client', () => {
  let root: string;
  let input: string;
  let output: string;
  let evil: string;
  let result32: Buffer;
  const fakes: FakeBackend[] = [];

  beforeAll(async () => {
    root = await tempDir('hostile-client');
    input = path.join(root, 'in');
    output = path.join(root, 'out', 'here');
    evil = path.join(root, `evil-${process.pid}`);
    result32 = await makeImage('png', 32, 32, 3);
    const files: { name: string; bytes: Buffer }[] = [];
    for (let i = 0; i < 12; i++)
      files.push({ name: `img-${i}.png`, bytes: await makeImage('png', 40, 40, 100 + i) });
    // hostile local names too: the client must sanitise them
    files.push({ name: '-rf --no-preserve-root.png', bytes: await makeImage('png', 40, 40, 200) });
    files.push({ name: '..png', bytes: await makeImage('png', 40, 40, 201) });
    files.push({ name: 'new\nline.png', bytes: await makeImage('png', 40, 40, 202) });
    await writeFiles(input, files);
  });
  afterEach(async () => {
    for (const f of fakes.splice(0)) await f.close();
    await killAll();
    await rm(path.join(root, 'out'), { recursive: true, force: true });
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function run(answer: (req: Frame, index: number) => FakeAnswer) {
    const fake = await startFakeBackend((req, { index }) => answer(req, index));
    fakes.push(fake);
    const proxy = await startProxy({ upstreams: [fake.port], extra: ['--health-interval', '0'] });
    await mkdir(output, { recursive: true });
    const r = await runClient(
      [
        ...clientArgs(proxy.port, input, output),
        '--width',
        '32',
        '--height',
        '32',
        '--json',
        '--retries',
        '1',
        '--timeout',
        '3000',
        '--conns',
        '2',
      ],
      { timeoutMs: 45_000 },
    );
    return { r, fake };
  }

  async function assertContained(): Promise<string[]> {
    const all = await listFiles(root);
    for (const f of all) {
      expect(
        f.startsWith('in/') || f.startsWith('out/here/'),
        `file written outside --output: ${f}`,
      ).toBe(true);
    }
    expect(existsSync(evil), `${evil} must not exist`).toBe(false);
    const written = all
      .filter((f) => f.startsWith('out/here/'))
      .map((f) => f.slice('out/here/'.length));
    for (const f of written) {
      expect(f, 'output name pattern').toMatch(NAME);
      expect(
        f.includes('..') && f.split('/').some((c) => c === '..'),
        `no .. component: ${f}`,
      ).toBe(false);
    }
    return written;
  }

  it('path traversal, absolute paths and NUL bytes in the answer never escape --output', async () => {
    const hostile: Record<string, unknown>[] = [
      { format: '../../x' },
      { format: '../../../../../../tmp/x' },
      { format: evil },
      { format: 'png\u0000../../x' },
      { format: 'png/../../x' },
      { format: '..' },
      { format: '' },
      { format: 'PNG' },
      { width: '../..' },
      { width: 1e12 },
      { width: -32 },
      { width: 3.5 },
      { height: Number.MAX_SAFE_INTEGER + 2 },
      { width: '32/../../x' },
      { name: '../../x', path: evil, file: '/etc/passwd' },
      { backend: '../../x\u0000evil' },
    ];
    const { r, fake } = await run((req, i) =>
      hostileResponse(
        req.requestId,
        {
          backend: 'fake',
          width: 32,
          height: 32,
          format: 'png',
          bytes: result32.length,
          ms: 1,
          ...hostile[i % hostile.length],
        },
        result32,
      ),
    );
    expect(fake.requests.length).toBeGreaterThan(0);
    const written = await assertContained();
    console.log(
      `[client] hostile names: exit ${r.code}, written ${written.length}, errors ${JSON.stringify(r.summary?.errors)}`,
    );
    expect(
      typeof r.code === 'number' && r.code !== 0,
      `client exit ${r.code}; stderr: ${r.stderr.slice(-800)}`,
    ).toBe(true);
    expect(crashOutput(r.stderr)).not.toMatch(
      /TypeError|RangeError|ReferenceError|Uncaught|at .*\.js:\d+/,
    );
    // The answers with only hostile extra fields are well-formed: those images were saved.
    expect(written.length).toBeGreaterThan(0);
    expect(written.length).toBeLessThan(15);
    if (r.summary) expect(r.summary.failed).toBeGreaterThan(0);
  });

  it('answers with unknown ids, lying byte counts or a non-image payload do not crash the client or write junk', async () => {
    const { r } = await run((req, i) => {
      switch (i % 4) {
        case 0:
          return hostileResponse(
            req.requestId + 1000,
            { backend: 'fake', width: 32, height: 32, format: 'png', bytes: 10, ms: 1 },
            result32,
          );
        case 1:
          return hostileResponse(
            req.requestId,
            { backend: 'fake', width: 32, height: 32, format: 'png', bytes: 999_999, ms: 1 },
            result32,
          );
        case 2:
          return hostileResponse(
            req.requestId,
            { backend: 'fake', width: 32, height: 32, format: 'png', bytes: 12, ms: 1 },
            Buffer.from('#!/bin/sh\nrm\n'),
          );
        default:
          return {
            type: FrameType.Error,
            requestId: req.requestId,
            header: { code: '../../x', message: '\u0000'.repeat(10_000) },
            payload: Buffer.alloc(0),
          };
      }
    });
    const written = await assertContained();
    console.log(
      `[client] lying answers: exit ${r.code}, written ${written.length}, errors ${JSON.stringify(r.summary?.errors)}`,
    );
    for (const f of written) {
      expect(f).toMatch(/\.png$/);
      const meta = await sharp(path.join(output, f)).metadata();
      expect(meta.format, `${f} is a real PNG`).toBe('png');
    }
    expect(
      typeof r.code === 'number' && r.code !== 0,
      `client exit ${r.code}; stderr: ${r.stderr.slice(-800)}`,
    ).toBe(true);
    expect(crashOutput(r.stderr)).not.toMatch(/TypeError|RangeError|ReferenceError|Uncaught/);
  });
});
