/**
 * TEMPORARY private copy of the job package's coming `Notifier` ("park until notified",
 * abort-aware), same API, until `@tcpbalancer/job` exports it; then this file goes.
 */
interface Waiter {
  resolve: (notified: boolean) => void;
  cleanup: () => void;
}

export class Notifier {
  readonly #waiters = new Set<Waiter>();

  get waiting(): number {
    return this.#waiters.size;
  }

  wait(signal?: AbortSignal, timeoutMs?: number): Promise<boolean> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<boolean>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = () => {
        waiter.cleanup();
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        resolve,
        cleanup: () => {
          this.#waiters.delete(waiter);
          signal?.removeEventListener('abort', onAbort);
          if (timer !== undefined) clearTimeout(timer);
        },
      };
      this.#waiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          waiter.cleanup();
          resolve(false);
        }, timeoutMs);
      }
    });
  }

  notify(): boolean {
    for (const w of this.#waiters) {
      w.cleanup();
      w.resolve(true);
      return true;
    }
    return false;
  }

  notifyAll(): number {
    const all = [...this.#waiters];
    for (const w of all) {
      w.cleanup();
      w.resolve(true);
    }
    return all.length;
  }
}
