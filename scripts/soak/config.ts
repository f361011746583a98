/** The soak's sizes: full by default, small with --quick, each overridable by a SOAK_* variable. */

export interface SoakConfig {
  readonly conns: number;
  readonly holdSeconds: number;
  readonly holdCycles: number;
  readonly short: number;
  readonly shortConcurrency: number;
  readonly rateWindows: number;
  readonly windowSeconds: number;
  readonly rateFraction: number;
  readonly capacitySeconds: number;
  /** Proxy workers in the hold phase: 2 above 9,000 connections (20,000 fds per process here). */
  readonly workers: number;
}

export function soakConfig(env: NodeJS.ProcessEnv, quick: boolean): SoakConfig {
  const num = (name: string, full: number, small: number): number => {
    const v = env[name];
    if (v === undefined || v === '') return quick ? small : full;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0)
      throw new Error(`${name} must be a positive number, got ${v}`);
    return n;
  };
  const conns = num('SOAK_CONNS', 10_000, 1_000);
  return {
    conns,
    holdSeconds: num('SOAK_HOLD_SECONDS', 10, 3),
    holdCycles: num('SOAK_HOLD_CYCLES', 2, 2),
    short: num('SOAK_SHORT', 200_000, 5_000),
    shortConcurrency: num('SOAK_SHORT_CONCURRENCY', 64, 32),
    rateWindows: num('SOAK_RATE_WINDOWS', 10, 3),
    windowSeconds: num('SOAK_WINDOW_SECONDS', 60, 10),
    rateFraction: num('SOAK_RATE_FRACTION', 0.8, 0.8),
    capacitySeconds: num('SOAK_CAPACITY_SECONDS', 20, 8),
    workers: num('SOAK_WORKERS', conns > 9_000 ? 2 : 1, 1),
  };
}
