/**
 * The frame around every hostile-input test: measure the target's RSS before and during the
 * attack, run a well-behaved request alongside it, and check afterwards that the target is
 * still up and still serving.
 */

import { isAlive, resizeOnce, rssKiB, sample } from '@tcpbalancer/test-kit';
import { expect } from 'vitest';

export interface AttackReport {
  readonly baselineRssKiB: number;
  readonly peakRssKiB: number;
  readonly canaryMs: number;
}

export interface AttackOptions {
  /** The attacked process. */
  readonly pid: number;
  /** Where the well-behaved request goes (the backend or the proxy in front of it). */
  readonly canaryPort: number;
  readonly canaryImage: Buffer;
  /** Largest RSS growth tolerated over the pre-attack level, MiB. */
  readonly maxGrowthMiB: number;
  /** Printed with the figures (RSS, canary latency) for the README. */
  readonly label?: string;
  /** Delay before the concurrent canary request, so that it lands in the thick of the attack. */
  readonly canaryDelayMs?: number;
}

/**
 * Runs `attack` while sampling the target's RSS; fires a canary request during it and another
 * after it. Asserts: the target is alive, both canaries answered with a response frame, and the
 * peak RSS stayed within `maxGrowthMiB` of the baseline.
 */
export async function underAttack(
  opts: AttackOptions,
  attack: () => Promise<void>,
): Promise<AttackReport> {
  // One warm-up request first: the baseline should include sharp's first-use allocations.
  await resizeOnce(opts.canaryPort, opts.canaryImage);
  const baseline = (await rssKiB(opts.pid)) ?? 0;
  const sampler = sample(opts.pid, 25);
  let canaryMs = 0;
  const canary = (async () => {
    await new Promise((r) => setTimeout(r, opts.canaryDelayMs ?? 100));
    const t0 = performance.now();
    const f = await resizeOnce(opts.canaryPort, opts.canaryImage);
    canaryMs = performance.now() - t0;
    return f;
  })();
  try {
    await attack();
  } finally {
    await sampler.stop();
  }
  const during = await canary;
  expect(during.type, `canary during the attack got ${JSON.stringify(during.header)}`).toBe(2);
  expect(await isAlive(opts.pid), 'the attacked process is still alive').toBe(true);
  const after = await resizeOnce(opts.canaryPort, opts.canaryImage);
  expect(after.type, `canary after the attack got ${JSON.stringify(after.header)}`).toBe(2);
  const peak = Math.max(sampler.maxRssKiB(), (await rssKiB(opts.pid)) ?? 0);
  const growthMiB = (peak - baseline) / 1024;
  expect(
    growthMiB,
    `RSS grew by ${growthMiB.toFixed(1)} MiB (baseline ${(baseline / 1024).toFixed(1)} MiB, peak ${(peak / 1024).toFixed(1)} MiB)`,
  ).toBeLessThan(opts.maxGrowthMiB);
  if (opts.label) {
    console.log(
      `[attack] ${opts.label}: RSS ${(baseline / 1024).toFixed(0)} → peak ${(peak / 1024).toFixed(0)} MiB (+${growthMiB.toFixed(1)}, limit +${opts.maxGrowthMiB}); canary ${canaryMs.toFixed(0)} ms`,
    );
  }
  return { baselineRssKiB: baseline, peakRssKiB: peak, canaryMs };
}
