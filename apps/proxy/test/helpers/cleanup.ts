import { afterEach } from 'vitest';
import { type RunningProxy, startProxy } from './proxy.js';
import { startEchoServer, type TestServer } from './servers.js';
import { type RunningService, serviceConfig, startService } from './service.js';

/** Anything a test starts that must be gone before the next test. */
interface Closable {
  close(): Promise<void>;
}

/**
 * What one test file started, closed after each test: proxies and services first (newest
 * first), so no connection is left relaying to an upstream that is already gone, then the
 * upstreams and everything else (newest first). Call once at the top of a test file.
 */
export interface TestCleanup {
  /** Runs `close` after the test. */
  defer(close: () => Promise<void>): void;
  /** Waits for `started` and closes it after the test. */
  track<T extends Closable>(started: Promise<T>): Promise<T>;
  /** `startProxy`, closed after the test. */
  proxy(...args: Parameters<typeof startProxy>): Promise<RunningProxy>;
  /** `startService(serviceConfig(...))`, closed after the test. */
  service(...args: Parameters<typeof serviceConfig>): Promise<RunningService>;
  /** An echo upstream, closed after the test. */
  echo(): Promise<TestServer>;
}

export function testCleanup(): TestCleanup {
  const front: (() => Promise<void>)[] = [];
  const back: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of [...front.splice(0).reverse(), ...back.splice(0).reverse()]) await close();
  });
  const defer = (close: () => Promise<void>): void => {
    back.push(close);
  };
  const track = async <T extends Closable>(started: Promise<T>): Promise<T> => {
    const it = await started;
    back.push(() => it.close());
    return it;
  };
  return {
    defer,
    track,
    async proxy(...args) {
      const p = await startProxy(...args);
      front.push(() => p.close());
      return p;
    },
    async service(...args) {
      const s = await startService(serviceConfig(...args));
      front.push(() => s.close());
      return s;
    },
    echo: () => track(startEchoServer()),
  };
}
