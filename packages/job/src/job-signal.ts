/**
 * The job's signal: an `AbortSignal` of a plain `AbortController` whose 'abort' listeners are
 * kept in a `Map` instead of Node's listener list.
 *
 * Why (contract rule 8, issue 17): thousands of tasks listen on one job signal, and Node's
 * `EventTarget#addEventListener` walks every listener already there to reject a duplicate —
 * O(n) per call, O(n²) for n tasks: 10,000 `addEventListener('abort', …, { once: true })` cost
 * 180–290 ms of CPU on this machine, more than the rest of a job's life. A `Map` keyed by the
 * listener finds a duplicate in O(1) and iterates in insertion order, which is the order the
 * listeners run in.
 *
 * What stays as `EventTarget` does it: duplicates (same listener and capture) are ignored;
 * `once`, `signal` (removal when that signal aborts) and `handleEvent` objects are honoured;
 * listeners run in the order they were added, with `this` the signal; one added during the
 * dispatch runs in it, one removed does not (as in Node); one that throws (or whose promise rejects)
 * is reported as an uncaught exception on the next tick and the others still run;
 * `stopImmediatePropagation()` stops the rest; `onabort` works (its setter goes through
 * `addEventListener`). Other event types go to `EventTarget` unchanged. An 'abort' listener
 * added once the signal has aborted is dropped (EventTarget would keep it and never call it).
 * Node's list holds one 'abort' listener, the dispatcher, so no count of them reaches
 * `MaxListenersExceededWarning` (rule 8) without `setMaxListeners`. What differs: Node's
 * `getEventListeners(job.signal, 'abort')` sees one listener (the dispatcher); Node's internal
 * listener options are not read: a listener added with the weak one is held strongly until the
 * job ends (every job signal aborts when its job ends, and the dispatch drops them all), and
 * `stopImmediatePropagation()` also stops Node's own listeners that would resist it.
 * (test/job-signal.test.ts runs each case on a plain signal and on a job's.)
 */

/** `Listener` and the listener options (no DOM lib here). */
type Listener = ((event: Event) => unknown) | { handleEvent(event: Event): unknown };
interface ListenerOptions {
  once?: boolean;
  capture?: boolean;
  passive?: boolean;
  signal?: AbortSignal | null;
}

/**
 * The listeners: key → flags. The key is the listener itself, or for a capture listener its
 * `CaptureKey` (same listener, other capture: not a duplicate). A number as the value, not an
 * entry object: 20 B less per listener (heap per pending task, bench/heap-per-task.ts).
 */
type Listeners = Map<Listener | CaptureKey, number>;
const ONCE = 1;
const CAPTURE = 2;

/**
 * Each job signal's listeners, from its first 'abort' listener until its abort: a job signal
 * nobody listens to costs no Map. A WeakMap rather than a property of the signal: a property
 * added to an AbortSignal cost 0.85 µs per signal, a WeakMap entry 0.36 µs.
 */
const lists = new WeakMap<AbortSignal, Listeners>();

/**
 * The listeners added with a `signal` option, and the remover each put on that other signal.
 * EventTarget holds such a remover weakly; ours is taken off that signal as soon as its listener
 * goes (removed, run once, or the job signal aborted). Left on it, a long-lived signal given as
 * the option to every job's listener would hold every job signal and its listeners, and pass
 * Node's max-listeners warning, for as long as it lives.
 */
interface Remover {
  readonly on: AbortSignal;
  readonly remove: () => void;
}
const removers = new WeakMap<AbortSignal, Map<Listener | CaptureKey, Remover>>();

function hook(signal: AbortSignal, key: Listener | CaptureKey, remover: Remover): void {
  let own = removers.get(signal);
  if (own === undefined) {
    own = new Map();
    removers.set(signal, own);
  }
  own.set(key, remover);
}

/** Takes the remover of `key`'s listener (if it was added with a signal) off that signal. */
function unhook(signal: AbortSignal, key: Listener | CaptureKey): void {
  const own = removers.get(signal);
  const r = own?.get(key);
  if (r === undefined) return;
  own?.delete(key);
  r.on.removeEventListener('abort', r.remove);
}

const nativeAdd = EventTarget.prototype.addEventListener;
const nativeRemove = EventTarget.prototype.removeEventListener;

interface CaptureKey {
  readonly listener: Listener;
}
const captureKeys = new WeakMap<Listener, CaptureKey>();
function keyOf(listener: Listener, capture: boolean): Listener | CaptureKey {
  if (!capture) return listener;
  let key = captureKeys.get(listener);
  if (key === undefined) {
    key = { listener };
    captureKeys.set(listener, key);
  }
  return key;
}

/** As Node's `removeEventListener` reads it: a boolean third argument is not a capture flag. */
function captureOf(options: unknown): boolean {
  return (options as { capture?: unknown } | null | undefined)?.capture === true;
}

function isListener(listener: unknown): listener is Listener {
  return typeof listener === 'function' || (listener !== null && typeof listener === 'object');
}

function addEventListener(
  this: AbortSignal,
  type: string,
  listener: Listener | null,
  options?: boolean | ListenerOptions,
): void {
  if (type !== 'abort' || !isListener(listener)) {
    // Other types, and invalid listeners (EventTarget warns).
    Reflect.apply(nativeAdd, this, arguments);
    return;
  }
  let once = false;
  let capture = false;
  let removeOn: AbortSignal | undefined;
  if (typeof options === 'boolean') capture = options;
  else if (options !== null && typeof options === 'object') {
    once = Boolean(options.once);
    capture = Boolean(options.capture);
    removeOn = options.signal ?? undefined;
    if (removeOn?.aborted) return;
  }
  let listeners = lists.get(this);
  if (listeners === undefined) {
    // Aborted already: EventTarget would keep the listener and never call it.
    if (this.aborted) return;
    listeners = new Map();
    lists.set(this, listeners);
    nativeAdd.call(this, 'abort', dispatch as (event: Event) => void);
  }
  const key = keyOf(listener, capture);
  if (listeners.has(key)) return;
  listeners.set(key, (once ? ONCE : 0) | (capture ? CAPTURE : 0));
  if (removeOn !== undefined) {
    const remove = () => this.removeEventListener(type, listener, { capture });
    removeOn.addEventListener('abort', remove, { once: true });
    hook(this, key, { on: removeOn, remove });
  }
}

function removeEventListener(
  this: AbortSignal,
  type: string,
  listener: Listener | null,
  options?: boolean | ListenerOptions,
): void {
  const listeners = lists.get(this);
  if (type === 'abort' && listeners !== undefined && isListener(listener)) {
    const key = keyOf(listener, captureOf(options));
    if (listeners.delete(key)) {
      unhook(this, key);
      return;
    }
  }
  Reflect.apply(nativeRemove, this, arguments);
}

/**
 * The one native listener: runs the job signal's own, in order. Not `once`: a `dispatchEvent`
 * of an 'abort' by hand, before the real one, leaves the listeners that are not `once` in place,
 * as EventTarget does; the real abort drops them all.
 */
function dispatch(this: AbortSignal, event: Event): void {
  const listeners = lists.get(this);
  if (listeners === undefined) return;
  let stopped = false;
  if (listeners.size > 1) {
    // Only a listener with others after it can stop something.
    const stop = event.stopImmediatePropagation;
    event.stopImmediatePropagation = function (this: Event) {
      stopped = true;
      stop.call(this);
    };
  }
  listeners.forEach((flags, key) => {
    if (stopped) return;
    if (flags & ONCE) {
      listeners.delete(key);
      unhook(this, key);
    }
    call(this, flags & CAPTURE ? (key as CaptureKey).listener : (key as Listener), event);
  });
  if (this.aborted) {
    lists.delete(this); // the signal holds nothing more
    for (const key of listeners.keys()) unhook(this, key);
    listeners.clear();
  }
}

/** Calls one listener as EventTarget does: `this` the signal, or its `handleEvent` method. */
function call(signal: AbortSignal, listener: Listener, event: Event): void {
  try {
    const r: unknown =
      typeof listener === 'function'
        ? listener.call(signal, event)
        : typeof listener.handleEvent === 'function'
          ? listener.handleEvent(event)
          : undefined;
    if (isThenable(r)) r.then(undefined, reportUncaught);
  } catch (err) {
    reportUncaught(err);
  }
}

function isThenable(r: unknown): r is PromiseLike<unknown> {
  return (
    r !== null && typeof r === 'object' && typeof (r as PromiseLike<unknown>).then === 'function'
  );
}

/** What `EventTarget` does with a listener's error: an uncaught exception, on the next tick. */
function reportUncaught(err: unknown): void {
  process.nextTick(() => {
    throw err;
  });
}

const prototype: AbortSignal = Object.create(AbortSignal.prototype, {
  addEventListener: { value: addEventListener, writable: true, configurable: true },
  removeEventListener: { value: removeEventListener, writable: true, configurable: true },
});

/** Turns a fresh, unaborted controller's signal into a job signal (see above). */
export function makeJobSignal(signal: AbortSignal): AbortSignal {
  Object.setPrototypeOf(signal, prototype);
  return signal;
}
