import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/errors.ts';
import { formatDuration, parseDuration } from '../../src/util/duration.ts';

describe('parseDuration', () => {
  it('reads the units a user writes', () => {
    assert.equal(parseDuration('90s', 'x'), 90);
    assert.equal(parseDuration('5m', 'x'), 300);
    assert.equal(parseDuration('1h30m', 'x'), 5400);
    assert.equal(parseDuration('1.5m', 'x'), 90);
    assert.equal(parseDuration('250ms', 'x'), 0.25);
    assert.equal(parseDuration('0', 'x'), 0);
    assert.equal(parseDuration(45, 'x'), 45);
  });

  it('refuses what it does not understand, naming the flag and the fix', () => {
    for (const bad of ['5x', '5', '-5m', 'm', '5m garbage', '', '1d']) {
      assert.throws(
        () => parseDuration(bad, '--ramp'),
        (err: unknown) =>
          err instanceof UsageError &&
          err.exitCode === 2 &&
          err.message.startsWith('--ramp:') &&
          /90s/.test(err.fix ?? ''),
        bad,
      );
    }
    assert.throws(() => parseDuration(-1, '--active'), UsageError);
  });
});

describe('formatDuration', () => {
  it('writes durations compactly', () => {
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(45), '45s');
    assert.equal(formatDuration(300), '5m');
    assert.equal(formatDuration(3723), '1h 2m 3s');
  });
});
