// Logging: setDefaultLogger and the job's child logger.
import { afterEach, describe, expect, it } from 'vitest';
import { Job, type Logger, setDefaultLogger } from '../src/index.js';
import { recordingLogger } from './helpers.js';

const silent: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silent;
  },
};

describe('logging', () => {
  afterEach(() => {
    setDefaultLogger(silent);
  });

  it('a job without a logger uses the default logger, through a child', () => {
    const root = recordingLogger();
    setDefaultLogger(root);
    const job = new Job(undefined, { name: 'dflt' });
    job.log.warn('from job');
    expect(root.children.length).toBe(1);
    const rec = root.records.find((r) => r.args.includes('from job'));
    expect(rec?.level).toBe('warn');
    expect(JSON.stringify(rec?.bindings)).toContain('dflt');
  });

  it('a job created with a logger uses it, not the default', () => {
    const dflt = recordingLogger();
    const own = recordingLogger();
    setDefaultLogger(dflt);
    const job = new Job(undefined, { logger: own });
    job.log.info('mine');
    expect(own.records.some((r) => r.args.includes('mine'))).toBe(true);
    expect(dflt.records).toHaveLength(0);
  });

  it('setDefaultLogger affects jobs created afterwards, not those created before', () => {
    const first = recordingLogger();
    setDefaultLogger(first);
    const a = new Job();
    const second = recordingLogger();
    setDefaultLogger(second);
    const b = new Job();
    a.log.info('a');
    b.log.info('b');
    expect(first.records.map((r) => r.args[0])).toContain('a');
    expect(second.records.map((r) => r.args[0])).toContain('b');
  });

  it('works with a real pino logger', async () => {
    const { default: pino } = await import('pino');
    const lines: string[] = [];
    const logger = pino(
      { level: 'trace' },
      {
        write(s: string) {
          lines.push(s);
        },
      },
    );
    const job = new Job(undefined, { logger, name: 'pino-job' });
    job.addTask(() => ({
      run: (t) => t.done(),
      finalize() {
        throw new Error('fin');
      },
    }));
    await job.run();
    job.log.info('end');
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const end = parsed.find((p) => p.msg === 'end');
    expect(JSON.stringify(end)).toContain('pino-job');
    expect(lines.join('')).toContain('fin');
  });
});
