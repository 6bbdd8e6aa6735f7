import { mock } from 'node:test';

/** Lets the promise callbacks a fake timer released run (setImmediate is not faked). */
export const settle = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Advances `mock.timers` by `stepMs` at a time until `promise` settles (or `limitMs` of fake time
 * passed); the fake time that took. The promise's own rejection is the caller's to assert.
 */
export async function driveUntilSettled(
  promise: Promise<unknown>,
  stepMs: number,
  limitMs = 3_600_000,
): Promise<number> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  const start = Date.now();
  await settle();
  while (!settled && Date.now() - start < limitMs) {
    mock.timers.tick(stepMs);
    await settle();
  }
  return Date.now() - start;
}
