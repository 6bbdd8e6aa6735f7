import assert from 'node:assert/strict';

/** The error a promise rejects with, checked to be of the given class. */
export async function failure<T extends Error>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => T,
): Promise<T> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof type, `expected a ${type.name}, got ${String(err)}`);
    return err;
  }
  return assert.fail(`expected a ${type.name}, but it resolved`);
}
