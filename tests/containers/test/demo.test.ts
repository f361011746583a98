import { readdirSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engine } from './support/engine.js';
import { backendsOfSummary, ComposeProject } from './support/project.js';
import { docker, type Result, ROOT } from './support/run.js';

// The README's compose demo, as a user runs it: `docker compose up --build --attach client
// --exit-code-from client`. It must end with the client's exit status, write every sample
// resized into the output folder, spread the work over the three backends, and leave nothing
// running.

const W = 320;
const H = 240;
const FORMAT_OF: Record<string, string> = { '.jpg': 'jpeg', '.png': 'png', '.webp': 'webp' };

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

describe.skipIf(engine.missing !== '')('the compose demo', () => {
  let project: ComposeProject;
  let up: Result;
  beforeAll(async () => {
    project = await ComposeProject.create();
    up = await project.compose(
      ['up', '--build', '--attach', 'client', '--exit-code-from', 'client'],
      { timeoutMs: 900_000 },
    );
    process.stdout.write(`compose demo wall time: ${(up.ms / 1000).toFixed(1)} s\n`);
  });
  afterAll(async () => {
    await project?.down();
  });

  it("ends with the client's exit status, 0, and its summary: 7 of 7 ok", async () => {
    expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(0);
    const logs = await project.logs('client');
    expect(logs).toMatch(/^\s+requests\s+7$/m);
    expect(logs).toMatch(/^\s+ok\s+7$/m);
    expect(logs).toMatch(/^\s+failed\s+0$/m);
  });

  it('spreads the images over all three backends (names: the replicas’ host names)', async () => {
    const logs = await project.logs('client');
    const backends = backendsOfSummary(logs);
    expect(Object.keys(backends), logs).toHaveLength(3);
    expect(Object.values(backends).reduce((a, b) => a + b, 0)).toBe(7);
    // Each name is a backend container's host name (its short id): the proxy reached them all.
    const ids = (
      await docker([
        'ps',
        '-a',
        '--filter',
        `label=com.docker.compose.project=${project.name}`,
        '--filter',
        'label=com.docker.compose.service=backend',
        '--format',
        '{{.ID}}',
      ])
    )
      .split('\n')
      .filter(Boolean)
      .map((id) => id.slice(0, 12))
      .sort();
    expect(Object.keys(backends).sort()).toEqual(ids);
  });

  it(`writes every sample as NAME-${W}x${H}.EXT, decodable, ${W}x${H}, nothing else`, async () => {
    const inputs = walk(join(ROOT, 'samples/in')).map((f) => relative(join(ROOT, 'samples/in'), f));
    const outputs = walk(project.out).map((f) => relative(project.out, f));
    const expected = inputs.map((f) => {
      const ext = extname(f);
      return `${f.slice(0, -ext.length)}-${W}x${H}${ext}`;
    });
    expect(outputs.sort()).toEqual(expected.sort());
    for (const f of outputs) {
      const path = join(project.out, f);
      expect(statSync(path).size, f).toBeGreaterThan(100);
      // The results belong to the client's user (uid 1000), not root.
      expect(statSync(path).uid, f).toBe(1000);
      const meta = await sharp(path).metadata();
      expect([meta.width, meta.height], f).toEqual([W, H]);
      expect(meta.format, f).toBe(FORMAT_OF[extname(f)]);
      const { info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
      expect(info.width * info.height, f).toBe(W * H);
    }
  });

  it('sets only current variable names: no deprecation warning from any program', async () => {
    // The v0.1 names (TCPB_PORT, …) still work but print `… is deprecated: use TCPB_…`.
    for (const service of ['backend', 'proxy', 'client']) {
      const logs = await project.ok(['logs', '--no-color', service]);
      expect(logs, service).not.toMatch(/is deprecated/);
    }
  });

  it('leaves nothing running, and every container ended with 0 (never 137)', async () => {
    const names = await project.containers();
    // prepare-output, client, proxy, three backends.
    expect(names).toHaveLength(6);
    for (const name of names) {
      const state = JSON.parse(await docker(['inspect', '-f', '{{json .State}}', name])) as {
        Running: boolean;
        ExitCode: number;
      };
      expect(state.Running, name).toBe(false);
      expect([0, 143], `${name} exited ${state.ExitCode}`).toContain(state.ExitCode);
    }
  });
});
