/**
 * One 'abort' listener per parent signal, however many jobs hang off it: a listener per job would
 * print MaxListenersExceededWarning past 10 jobs and cost a listener each (contract rule 8).
 */
const subscribers = new WeakMap<AbortSignal, Set<() => void>>();

function dispatch(this: AbortSignal): void {
  const set = subscribers.get(this);
  if (set === undefined) return;
  subscribers.delete(this);
  for (const callback of set) callback();
}

/** Calls `callback` once when `signal` aborts; returns the unsubscribe function. */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let set = subscribers.get(signal);
  if (set === undefined) {
    set = new Set();
    subscribers.set(signal, set);
    signal.addEventListener('abort', dispatch, { once: true });
  }
  set.add(callback);
  const owned = set;
  return () => {
    if (!owned.delete(callback) || owned.size > 0) return;
    if (subscribers.get(signal) === owned) subscribers.delete(signal);
    signal.removeEventListener('abort', dispatch);
  };
}
