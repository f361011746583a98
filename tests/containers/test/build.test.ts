import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engine } from './support/engine.js';
import { ComposeProject } from './support/project.js';
import { docker, ROOT, run } from './support/run.js';

// The three targets, built the two ways users build them: BuildKit (what `docker compose up
// --build` and `docker buildx build` use) and the classic builder (`DOCKER_BUILDKIT=0`, still
// the default of many CI images). Both read the same .dockerignore, which they do not
// interpret alike (see the comment in it). Then what each image is: user, entrypoint, size.

const TARGETS = ['proxy', 'backend', 'client'] as const;

/** `node -e script` in a fresh container of the target's image, as its user. */
function nodeIn(target: string, script: string) {
  return run('docker', [
    'run',
    '--rm',
    '--entrypoint',
    'node',
    `tcpbalancer/${target}:dev`,
    '-e',
    script,
  ]);
}

describe.skipIf(engine.missing !== '')('docker build', () => {
  let project: ComposeProject;
  beforeAll(async () => {
    project = await ComposeProject.create();
  });
  afterAll(async () => {
    await project?.down();
  });

  it('builds the three targets with BuildKit (docker compose build)', async () => {
    const r = await project.compose(['build'], { timeoutMs: 900_000 });
    expect(r.code, r.stderr).toBe(0);
    process.stdout.write(`BuildKit build of the three targets: ${(r.ms / 1000).toFixed(1)} s\n`);
    for (const t of TARGETS) {
      const id = await docker(['image', 'inspect', '-f', '{{.Id}}', `tcpbalancer/${t}:dev`]);
      expect(id.trim()).toMatch(/^sha256:/);
    }
  }, 1_200_000);

  it('builds the three targets with the classic builder (DOCKER_BUILDKIT=0)', async () => {
    for (const t of TARGETS) {
      const r = await run(
        'docker',
        ['build', '--target', t, '-t', `tcpbalancer/${t}:classic`, '.'],
        { env: { DOCKER_BUILDKIT: '0' }, timeoutMs: 900_000, cwd: ROOT },
      );
      // The failure this guards against: `COPY failed: … tests/<x>/package.json: file does
      // not exist`, from a wildcard re-include in .dockerignore.
      expect(r.code, `${t}:\n${r.stdout.slice(-3000)}\n${r.stderr}`).toBe(0);
      process.stdout.write(`classic build of ${t}: ${(r.ms / 1000).toFixed(1)} s\n`);
    }
  }, 1_800_000);

  it.each(TARGETS)('%s: runs node as the non-root user node, exec-form entrypoint', async (t) => {
    const cfg = JSON.parse(
      await docker(['image', 'inspect', '-f', '{{json .Config}}', `tcpbalancer/${t}:dev`]),
    ) as { User: string; Entrypoint: string[]; WorkingDir: string };
    expect(cfg.User).toBe('node');
    expect(cfg.Entrypoint).toEqual(['node', `apps/${t}/dist/main.js`]);
    expect(cfg.WorkingDir).toBe('/app');
    // What the user really is inside, and that /app is not theirs to change.
    const probe = await nodeIn(
      t,
      "const fs=require('fs');let w='no';try{fs.writeFileSync('/app/x','')}catch(e){w=e.code}console.log(process.getuid(),process.getgid(),w)",
    );
    expect(probe.code, probe.stderr).toBe(0);
    expect(probe.stdout.trim()).toBe('1000 1000 EACCES');
  });

  it('keeps sharp and libvips out of the proxy and client images, in the backend one', async () => {
    const has = async (t: string) =>
      (await nodeIn(t, `require.resolve('sharp', { paths: ['/app/apps/${t}'] })`)).code === 0;
    expect(await has('backend')).toBe(true);
    expect(await has('proxy')).toBe(false);
    // The client reads image headers itself (image-magic.ts) and never decodes pixels.
    expect(await has('client')).toBe(false);
  });

  it('reports the image sizes (README: what each image contains)', async () => {
    const sizes: Record<string, number> = {};
    for (const t of TARGETS) {
      sizes[t] = Number(
        await docker(['image', 'inspect', '-f', '{{.Size}}', `tcpbalancer/${t}:dev`]),
      );
    }
    const base = Number(
      await docker(['image', 'inspect', '-f', '{{.Size}}', 'node:20-bookworm-slim']),
    );
    process.stdout.write(
      `image sizes (MB): base ${(base / 1e6).toFixed(0)}, ${TARGETS.map((t) => `${t} ${((sizes[t] ?? 0) / 1e6).toFixed(0)}`).join(', ')}\n`,
    );
    // The app layers on top of the base: the proxy has no sharp, so it is the smallest.
    for (const t of TARGETS) expect(sizes[t]).toBeGreaterThan(base);
    expect((sizes.proxy ?? 0) - base).toBeLessThan(60e6);
    expect(sizes.proxy ?? 0).toBeLessThan(sizes.backend ?? 0);
  });
});
