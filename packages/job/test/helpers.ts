// Shared test helpers. Not a test file itself (no `.test.` in the name).
import type { Logger } from '../src/index.js';

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

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

export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (err: unknown) => void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

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
  const g = globalThis as unknown as Record<string, (...a: unknown[]) => unknown>;
  const orig = {
    setTimeout: g.setTimeout!,
    clearTimeout: g.clearTimeout!,
    setInterval: g.setInterval!,
    clearInterval: g.clearInterval!,
    setImmediate: g.setImmediate!,
    clearImmediate: g.clearImmediate!,
  };
  g.setTimeout = (fn: unknown, ...rest: unknown[]) => {
    const h = orig.setTimeout(
      (...a: unknown[]) => {
        live.delete(h);
        (fn as (...x: unknown[]) => void)(...a);
      },
      ...rest,
    );
    live.add(h);
    return h;
  };
  g.clearTimeout = (h: unknown) => {
    live.delete(h);
    return orig.clearTimeout(h);
  };
  g.setInterval = (...a: unknown[]) => {
    const h = orig.setInterval(...a);
    live.add(h);
    return h;
  };
  g.clearInterval = (h: unknown) => {
    live.delete(h);
    return orig.clearInterval(h);
  };
  g.setImmediate = (fn: unknown, ...rest: unknown[]) => {
    const h = orig.setImmediate(
      (...a: unknown[]) => {
        live.delete(h);
        (fn as (...x: unknown[]) => void)(...a);
      },
      ...rest,
    );
    live.add(h);
    return h;
  };
  g.clearImmediate = (h: unknown) => {
    live.delete(h);
    return orig.clearImmediate(h);
  };
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
