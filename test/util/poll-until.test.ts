import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { InterruptedError, type BenchError } from '../../src/errors.ts';
import { pollUntil, type PollUntilOptions } from '../../src/util/poll-until.ts';
import { driveUntilSettled, settle } from '../helpers/fake-clock.ts';

const drive = (promise: Promise<unknown>, stepMs = 100, limitMs?: number) =>
  driveUntilSettled(promise, stepMs, limitMs);

/** A world whose state is a count of things left, one fewer at each look until none. */
function countdown(from: number) {
  const looks: number[] = [];
  let left = from;
  const start = Date.now();
  const check = async () => {
    looks.push(Date.now() - start);
    const seen = left;
    left = Math.max(0, left - 1);
    return seen;
  };
  return { check, looks };
}

function options(check: PollUntilOptions<number>['check'], extra: Partial<PollUntilOptions<number>> = {}) {
  return {
    check,
    isDone: (n: number) => n === 0,
    intervalMs: 1000,
    deadlineMs: 10_000,
    what: 'the widgets to go',
    ...extra,
  };
}

describe('pollUntil', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'] }));
  afterEach(() => mock.timers.reset());

  it('looks at once, then every interval, and returns the state that ended the wait', async () => {
    const { check, looks } = countdown(3);
    const polled: [number, number][] = [];
    const waited = pollUntil(options(check, { onPoll: (n, ms) => polled.push([n, ms]) }));
    await drive(waited);
    const result = await waited;
    assert.deepEqual(looks, [0, 1000, 2000, 3000]);
    assert.deepEqual(result, { state: 0, waitedMs: 3000, polls: 4 });
    assert.deepEqual(polled, [
      [3, 0],
      [2, 1000],
      [1, 2000],
      [0, 3000],
    ]);
  });

  it('at the deadline fails with E_WAIT_DEADLINE naming what was awaited and the last state', async () => {
    const check = async () => 7;
    const waited = pollUntil(options(check, { deadlineMs: 2500, describe: (n) => `${n} widget(s)` }));
    const spent = await drive(waited);
    await assert.rejects(waited, (err: BenchError) => {
      assert.equal(err.code, 'E_WAIT_DEADLINE');
      assert.equal(err.exitCode, 3);
      assert.match(err.message, /the widgets to go/);
      assert.match(err.message, /after 3s: last seen 7 widget\(s\)/);
      assert.deepEqual(err.data, { what: 'the widgets to go', deadlineMs: 2500, last: 7 });
      return true;
    });
    // Looks at 0, 1 and 2 s; the next would be after the deadline, so the wait ends at 2.5 s.
    assert.ok(spent >= 2500 && spent <= 2600, `${spent}`);
  });

  it('a look that hangs is cut off at the deadline (through its signal), with what was seen before', async () => {
    let looks = 0;
    const check = (signal: AbortSignal) =>
      looks++ === 0
        ? Promise.resolve(4)
        : new Promise<number>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
    const waited = pollUntil(options(check, { deadlineMs: 5000 }));
    const spent = await drive(waited);
    await assert.rejects(
      waited,
      (err: BenchError) => err.code === 'E_WAIT_DEADLINE' && /last seen 4/.test(err.message),
    );
    assert.ok(spent >= 5000 && spent <= 5100, `${spent}`);
  });

  it('a deadline before any look finished says so', async () => {
    const check = (signal: AbortSignal) =>
      new Promise<number>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
    const waited = pollUntil(options(check, { deadlineMs: 1000 }));
    await drive(waited);
    await assert.rejects(waited, /no look finished before the deadline/);
  });

  it('an abort ends the wait promptly, in the sleep between looks, with InterruptedError', async () => {
    const controller = new AbortController();
    const check = async () => 1;
    const waited = pollUntil(options(check, { intervalMs: 60_000, deadlineMs: 3_600_000, signal: controller.signal }));
    await settle();
    mock.timers.tick(10);
    controller.abort();
    // No time passes: the sleep of a minute does not hold the abort.
    await assert.rejects(waited, (err) => err instanceof InterruptedError && /the widgets to go/.test(err.message));
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });

  it('an abort during a look ends it through the look’s signal; an aborted signal looks not at all', async () => {
    const controller = new AbortController();
    let looks = 0;
    const check = (signal: AbortSignal) =>
      new Promise<number>((_, reject) => {
        looks++;
        signal.addEventListener('abort', () => reject(new Error('aborted')));
      });
    const waited = pollUntil(options(check, { signal: controller.signal }));
    await settle();
    controller.abort();
    await assert.rejects(waited, InterruptedError);
    assert.equal(looks, 1);

    await assert.rejects(pollUntil(options(check, { signal: AbortSignal.abort() })), InterruptedError);
    assert.equal(looks, 1);
  });

  it('the caller’s own errors for the deadline and the abort get the last state', async () => {
    const seen: (number | undefined)[] = [];
    const waited = pollUntil(
      options(async () => 2, {
        deadlineMs: 1500,
        pastDeadline: (last) => {
          seen.push(last);
          return new Error('custom deadline');
        },
      }),
    );
    await drive(waited);
    await assert.rejects(waited, /custom deadline/);
    const controller = new AbortController();
    const aborted = pollUntil(
      options(async () => 5, {
        signal: controller.signal,
        interrupted: (last) => {
          seen.push(last);
          return new Error('custom abort');
        },
      }),
    );
    await settle();
    controller.abort();
    await assert.rejects(aborted, /custom abort/);
    assert.deepEqual(seen, [2, 5]);
  });

  it('a look that fails by itself ends the wait with its error', async () => {
    const waited = pollUntil(options(async () => Promise.reject(new Error('AccessDenied'))));
    await assert.rejects(waited, /AccessDenied/);
  });
});
