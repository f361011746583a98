import os from 'node:os';

export interface Environment {
  readonly node: string;
  readonly platform: string;
  readonly arch: string;
  readonly host: string;
  readonly cores: number;
  readonly cpu: string;
  readonly memoryBytes: number;
  readonly loadAverage: readonly number[];
  readonly startedAt: string;
}

/** Where a run ran: enough to tell two runs' machines apart in a report. */
export function describeEnvironment(startedAt = new Date()): Environment {
  return {
    node: process.version,
    platform: os.platform(),
    arch: os.arch(),
    host: os.hostname(),
    cores: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryBytes: os.totalmem(),
    loadAverage: os.loadavg().map((n) => Math.round(n * 100) / 100),
    startedAt: startedAt.toISOString(),
  };
}
