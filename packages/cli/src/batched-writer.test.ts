import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { BatchedWriter } from './batched-writer.js';

describe('BatchedWriter', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcpb-batched-'));
  const fds: number[] = [];
  const open = (name: string) => {
    const path = join(dir, name);
    const fd = openSync(path, 'w');
    fds.push(fd);
    return { fd, read: () => readFileSync(path, 'utf8') };
  };
  afterEach(() => {
    for (const fd of fds.splice(0)) closeSync(fd);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('holds lines below the threshold until flush(), then writes them in order', () => {
    const { fd, read } = open('a.log');
    const w = new BatchedWriter(fd, 1024);
    w.write('{"a":1}\n');
    w.write('{"b":"é€"}\n');
    expect(read()).toBe('');
    w.flush();
    expect(read()).toBe('{"a":1}\n{"b":"é€"}\n');
    w.flush(); // nothing buffered: nothing written twice
    expect(read()).toBe('{"a":1}\n{"b":"é€"}\n');
  });

  it('writes the batch as soon as the threshold is crossed', () => {
    const { fd, read } = open('b.log');
    const w = new BatchedWriter(fd, 64);
    const line = `${'x'.repeat(40)}\n`;
    w.write(line);
    expect(read()).toBe('');
    w.write(line);
    expect(read()).toBe(line + line);
  });

  it('drops a batch it cannot write instead of throwing', () => {
    const w = new BatchedWriter(-1, 1);
    expect(() => w.write('lost\n')).not.toThrow();
  });
});
