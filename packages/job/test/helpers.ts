// Shared test helpers. Not a test file itself (no `.test.` in the name).
import { afterAll, beforeAll } from 'vitest';
import { type Deferred, deferred as deferredOf } from '../src/deferred.js';
import type { Logger } from '../src/index.js';

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/**
 * Sleeps `ms`, or rejects with the signal's reason as soon as it aborts (at once if it has), as a
 * well-behaved task does; clears its timer and its listener either way (leaves nothing behind).
 */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Collects the process's warnings and unhandled rejections from `beforeAll` to `afterAll` of the
 * calling `describe`, for its tests to check that both stayed empty.
 */
export function collectProcessNoise(): { warnings: Error[]; unhandled: unknown[] } {
  const noise = { warnings: [] as Error[], unhandled: [] as unknown[] };
  const onWarning = (w: Error) => noise.warnings.push(w);
  const onUnhandled = (reason: unknown) => noise.unhandled.push(reason);
  beforeAll(() => {
    process.on('warning', onWarning);
    process.on('unhandledRejection', onUnhandled);
  });
  afterAll(() => {
    process.off('warning', onWarning);
    process.off('unhandledRejection', onUnhandled);
  });
  return noise;
}

/**
 * Starts `op` with a signal, aborts that signal with a fresh reason while `op` waits, and resolves
 * with what `op` rejected with (or resolved to) and the reason.
 */
export async function abortWhileWaiting(
  op: (signal: AbortSignal) => Promise<unknown>,
): Promise<{ err: unknown; reason: Error }> {
  const ac = new AbortController();
  const p = op(ac.signal);
  const reason = new Error('stop');
  ac.abort(reason);
  return { err: await p.catch((e: unknown) => e), reason };
}

/** A promise that never settles on its own but rejects when `signal` aborts. */
export function blockUntilAborted(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** The package's own `deferred` (Node 20 lacks `Promise.withResolvers`), `void` by default. */
export const deferred = <T = void>(): Deferred<T> => deferredOf<T>();

export interface LogRecord {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  bindings: Record<string, unknown>;
  args: unknown[];
}

/** A pino-shaped logger that records every call, children included, into one array. */
export function recordingLogger(
  records: LogRecord[] = [],
  bindings: Record<string, unknown> = {},
): Logger & { records: LogRecord[]; children: Record<string, unknown>[] } {
  const children: Record<string, unknown>[] = [];
  const at =
    (level: LogRecord['level']) =>
    (...args: unknown[]): void => {
      records.push({ level, bindings, args });
    };
  const logger = {
    records,
    children,
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child(childBindings: Record<string, unknown>) {
      children.push(childBindings);
      return recordingLogger(records, { ...bindings, ...childBindings });
    },
  };
  return logger as unknown as Logger & {
    records: LogRecord[];
    children: Record<string, unknown>[];
  };
}

/** Resolves with what `p` settled to, or 'pending' if it has not settled after `ms`. */
export async function settledWithin<T>(p: Promise<T>, ms: number): Promise<T | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<'pending'>((resolve) => {
    timer = setTimeout(() => resolve('pending'), ms);
  });
  try {
    return await Promise.race([p, pending]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Counts timers created through the global setTimeout/setInterval/setImmediate that are still
 * pending (neither fired nor cleared). Install before the code under test creates its timers.
 */
export function trackTimers(): { pending: () => number; restore: () => void } {
  const live = new Set<unknown>();
  type TimerFn = (...a: unknown[]) => unknown;
  const g = globalThis as unknown as Record<string, TimerFn>;
  const orig = {
    setTimeout: g.setTimeout!,
    clearTimeout: g.clearTimeout!,
    setInterval: g.setInterval!,
    clearInterval: g.clearInterval!,
    setImmediate: g.setImmediate!,
    clearImmediate: g.clearImmediate!,
  };
  /** A setter whose callback fires once: the handle is live until it fires or is cleared. */
  const firesOnce =
    (set: TimerFn): TimerFn =>
    (fn: unknown, ...rest: unknown[]) => {
      const h = set(
        (...a: unknown[]) => {
          live.delete(h);
          (fn as (...x: unknown[]) => void)(...a);
        },
        ...rest,
      );
      live.add(h);
      return h;
    };
  const clears =
    (clear: TimerFn): TimerFn =>
    (h: unknown) => {
      live.delete(h);
      return clear(h);
    };
  g.setTimeout = firesOnce(orig.setTimeout);
  g.setImmediate = firesOnce(orig.setImmediate);
  g.setInterval = (...a: unknown[]) => {
    const h = orig.setInterval(...a);
    live.add(h);
    return h;
  };
  g.clearTimeout = clears(orig.clearTimeout);
  g.clearInterval = clears(orig.clearInterval);
  g.clearImmediate = clears(orig.clearImmediate);
  return {
    pending: () => live.size,
    restore: () => Object.assign(g, orig),
  };
}

/** Number of active (ref'ed) timers as Node sees them. */
export function activeTimers(): number {
  return process
    .getActiveResourcesInfo()
    .filter((r) => r === 'Timeout' || r === 'Immediate' || r === 'TimeoutWrap').length;
}
