import { AssertionError } from 'node:assert';

/**
 * What `fn` throws, checked to be a `type` — the test's `try { fn(); unreachable } catch (err)
 * { expect(err).toBeInstanceOf(type) … }` in one call, typed, so the test goes on to check the
 * error's code and message. Fails (AssertionError) when `fn` returns or throws something else.
 */
export function thrown<E extends Error>(
  type: abstract new (...args: never[]) => E,
  fn: () => unknown,
): E {
  try {
    fn();
  } catch (err) {
    if (err instanceof type) return err;
    throw new AssertionError({
      message: `expected a ${type.name} to be thrown, got ${String(err)}`,
      actual: err,
      expected: type,
    });
  }
  throw new AssertionError({ message: `expected a ${type.name} to be thrown, nothing was` });
}
