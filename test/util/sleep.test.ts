import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { InterruptedError } from '../../src/errors.ts';
import { sleep } from '../../src/util/sleep.ts';

/** Lets the promise callbacks queued by a tick run (setImmediate is not faked). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('sleep', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'] }));
  afterEach(() => mock.timers.reset());

  it('resolves after its time, not before', async () => {
    let done = false;
    const slept = sleep(1000).then(() => (done = true));
    mock.timers.tick(999);
    await settle();
    assert.equal(done, false);
    mock.timers.tick(1);
    await slept;
    assert.equal(done, true);
  });

  it('an abort during the wait rejects at once with InterruptedError, or the error given', async () => {
    const controller = new AbortController();
    const slept = sleep(60_000, controller.signal);
    mock.timers.tick(10);
    controller.abort();
    await assert.rejects(slept, (err) => err instanceof InterruptedError && err.message === 'interrupted');

    const other = new AbortController();
    const named = sleep(60_000, other.signal, () => new InterruptedError('interrupted while waiting to retry'));
    other.abort();
    await assert.rejects(named, /interrupted while waiting to retry/);
  });

  it('a signal aborted before the wait rejects without waiting', async () => {
    await assert.rejects(sleep(60_000, AbortSignal.abort()), InterruptedError);
  });

  it('leaves no abort listener on the signal, whether it ran out or was aborted', async () => {
    const controller = new AbortController();
    for (let i = 0; i < 50; i++) {
      const slept = sleep(1000, controller.signal);
      mock.timers.tick(1000);
      await slept;
    }
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
    const slept = sleep(1000, controller.signal);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
    controller.abort();
    await assert.rejects(slept, InterruptedError);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });
});
