import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { InterruptedError, type BenchError } from '../../src/errors.ts';
import { waitForRunTofu } from '../../src/phases/wait-for-tofu.ts';
import { driveUntilSettled } from '../helpers/fake-clock.ts';

const T0 = Date.parse('2026-12-03T10:00:00.000Z');
/** Runs the fake clock 100 ms a step until the promise settles; the fake time that took. */
const drive = (promise: Promise<unknown>) => driveUntilSettled(promise, 100);

/** A state lock held by pid 4242 until `releasedAtMs` (no recorded tofu in the journal). */
const lockUntil = (releasedAtMs: number) => () => (Date.now() - T0 < releasedAtMs ? 4242 : undefined);

describe("waitForRunTofu's wait (fake clock)", () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: T0 }));
  afterEach(() => mock.timers.reset());

  it('looks every pollMs until the lock is released, and says what it waited for', async () => {
    const seen: number[] = [];
    const waited = waitForRunTofu([], '/runs/x/tofu', {
      pollMs: 1000,
      lockHolder: lockUntil(2500),
      onWait: (w) => seen.push(w.waitedMs),
    });
    const spent = await drive(waited);
    assert.deepEqual(await waited, { waitedMs: 3000, waitedFor: { lockHolder: 4242 } });
    assert.deepEqual(seen, [0, 1000, 2000]);
    assert.equal(spent, 3000);
  });

  it('at the deadline: E_TOFU_STILL_RUNNING naming the process, after a last look at the deadline', async () => {
    const seen: number[] = [];
    const waited = waitForRunTofu([], '/runs/x/tofu', {
      pollMs: 1000,
      deadlineMs: 2500,
      lockHolder: lockUntil(Infinity),
      onWait: (w) => seen.push(w.waitedMs),
    });
    await drive(waited);
    await assert.rejects(waited, (err: BenchError) => {
      assert.equal(err.code, 'E_TOFU_STILL_RUNNING');
      assert.match(err.message, /process 4242 holding the state lock of \/runs\/x\/tofu is still running after 3s/);
      return true;
    });
    assert.deepEqual(seen, [0, 1000, 2000, 2500]);
  });

  it('an abort ends the pause at once with InterruptedError saying what it waited for, leaving no listener', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 1500);
    const waited = waitForRunTofu([], '/runs/x/tofu', {
      pollMs: 60_000,
      signal: controller.signal,
      lockHolder: lockUntil(Infinity),
    });
    const spent = await drive(waited);
    await assert.rejects(waited, (err: InterruptedError) => {
      assert.ok(err instanceof InterruptedError);
      assert.deepEqual(err.data, { waitedFor: { lockHolder: 4242 } });
      return true;
    });
    assert.ok(spent <= 1600, `${spent}`);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });
});
