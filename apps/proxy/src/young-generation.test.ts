import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { capYoungGeneration } from './young-generation.js';

const here = fileURLToPath(new URL('./young-generation.ts', import.meta.url));

/** Young-generation size (MiB) of a fresh node after allocating a lot, half of it kept a while. */
function youngGenAfterChurn(nodeArgs: string[], cap: boolean): number {
  const script = `
    import v8 from 'node:v8';
    import { capYoungGeneration } from ${JSON.stringify(here)};
    if (${cap}) capYoungGeneration(process.execArgv, process.env.NODE_OPTIONS ?? '');
    const keep = [];
    for (let r = 0; r < 150; r++) {
      const batch = [];
      for (let i = 0; i < 20000; i++) batch.push({ i, s: 'x' + i });
      keep.push(batch.slice(0, 400));
      if (keep.length > 50) keep.shift();
      await new Promise((res) => setImmediate(res));
    }
    const ns = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    console.log(ns.space_size / 1048576);
  `;
  const out = execFileSync(
    process.execPath,
    [...nodeArgs, '--import', 'tsx', '--input-type=module', '-e', script],
    { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } },
  );
  return Number(out.trim());
}

describe('capYoungGeneration', () => {
  it('leaves a semi-space size the operator chose alone', () => {
    expect(capYoungGeneration(['--max-semi-space-size=16'])).toBe(false);
    expect(capYoungGeneration([], '--min-semi-space-size=4 --inspect')).toBe(false);
    expect(capYoungGeneration(['--semi_space_growth_factor=3'])).toBe(false);
  });

  it('keeps the young generation at its start size where V8 would grow it to 32 MiB', () => {
    const grown = youngGenAfterChurn([], false);
    const capped = youngGenAfterChurn([], true);
    // Node 20 and 22: 32 MiB (two 16 MiB semi-spaces) uncapped; the start size (≤ 4 MiB) capped.
    expect(grown).toBeGreaterThanOrEqual(16);
    expect(capped).toBeLessThanOrEqual(4);
  });

  it('an explicit --max-semi-space-size wins over the cap', () => {
    expect(youngGenAfterChurn(['--max-semi-space-size=16'], true)).toBeGreaterThanOrEqual(16);
  });
});
