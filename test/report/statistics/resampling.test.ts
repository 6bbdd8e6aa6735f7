import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { quantileSorted } from 'simple-statistics';
import { estimate, type Estimator } from '../../../src/report/statistics/estimators.ts';
import { hierarchicalBootstrap, mulberry32, percentileInterval } from '../../../src/report/statistics/resampling.ts';

const close = (actual: number | null | undefined, expected: number, tolerance: number, what = '') =>
  assert.ok(
    typeof actual === 'number' && Math.abs(actual - expected) <= tolerance,
    `${what} expected ${expected} +- ${tolerance}, got ${actual}`,
  );

/** Relative closeness, for p-values far out in the tail. */

describe('comparison statistics: the hierarchical bootstrap', () => {
  const random = mulberry32(11);
  const reps = [60, 75, 52].map((n) => Array.from({ length: n }, () => Math.round(random() * 30)));

  it('is deterministic: the same seed gives the same distribution, another seed another', () => {
    const estimator: Estimator = { kind: 'quantile', q: 0.95 };
    const first = hierarchicalBootstrap(reps, estimator, { resamples: 500, seed: 4 });
    assert.deepEqual(hierarchicalBootstrap(reps, estimator, { resamples: 500, seed: 4 }), first);
    assert.notDeepEqual(hierarchicalBootstrap(reps, estimator, { resamples: 500, seed: 5 }), first);
    assert.equal(first.length, 500);
  });

  it('walks the counts to exactly the type-7 quantile of each resample (and the mean sums)', () => {
    // The same draws as the bootstrap (repetition, then its units), sorted and handed to
    // simple-statistics' quantileSorted: identical to the last bit, for low and high q, ties included.
    for (const q of [0, 0.1, 0.5, 0.73, 0.95, 0.99, 1]) {
      const fast = hierarchicalBootstrap(reps, { kind: 'quantile', q }, { resamples: 200, seed: 3 });
      const rnd = mulberry32(3);
      const sorted = reps.map((r) => [...r].sort((x, y) => x - y));
      for (let s = 0; s < 200; s++) {
        const drawn: number[] = [];
        for (let i = 0; i < 3; i++) {
          const rep = sorted[Math.floor(rnd() * 3)]!;
          const resample = rep.map(() => rep[Math.floor(rnd() * rep.length)]!).sort((x, y) => x - y);
          drawn.push(quantileSorted(resample, q));
        }
        assert.equal(fast[s], drawn.sort((x, y) => x - y)[1], `q ${q}, resample ${s}`);
      }
    }
    const means = hierarchicalBootstrap([[1, 2, 3, 4]], { kind: 'mean' }, { resamples: 2000, seed: 1 });
    assert.ok(means.every((m) => m >= 1 && m <= 4));
    close(means.reduce((a, b) => a + b, 0) / means.length, 2.5, 0.05);
  });

  it('resamples only the repetitions of a `value` metric', () => {
    const boot = hierarchicalBootstrap([[3], [5], [4]], { kind: 'value' }, { resamples: 1000, seed: 2 });
    assert.ok(boot.every((v) => v === 3 || v === 4 || v === 5));
    assert.deepEqual(new Set(boot), new Set([3, 4, 5]));
    assert.deepEqual([...hierarchicalBootstrap([[7]], { kind: 'value' }, { resamples: 3, seed: 2 })], [7, 7, 7]);
    assert.equal(estimate([2, 4], { kind: 'value' }), 3);
  });

  // Its speed is bench/comparison-stats.ts's figure, not a timed assertion here.
  it('takes 2,000 resamples of 3 repetitions x 6,000 units, each within the values drawn from', () => {
    const rnd = mulberry32(8);
    const big = [0, 1, 2].map(() => Array.from({ length: 6000 }, () => Math.exp(rnd())));
    const boot = hierarchicalBootstrap(big, { kind: 'quantile', q: 0.99 }, { resamples: 2000, seed: 1 });
    assert.equal(boot.length, 2000);
    assert.ok(
      boot.every((v) => v >= 1 && v <= Math.E),
      'a p99 of values in [1, e] lies in [1, e]',
    );
  });

  it('gives the central percentile interval with type-7 quantiles', () => {
    const distribution = Array.from({ length: 101 }, (_, i) => 100 - i);
    // (101 - 1) * 0.025 = 2.5: halfway between the 3rd and 4th smallest (2 and 3).
    const intervals = [0.95, 0.9].map((confidence) => percentileInterval(distribution, confidence));
    [2.5, 97.5, 5, 95].forEach((expected, i) => close(intervals.flat()[i], expected, 1e-12));
  });
});
