import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeStats, msWindow, sampleValue, windowStats } from '../../src/report/stats.ts';
import { STATS } from '../../src/suite/schema.ts';

const ALL = [...STATS];
const window = { startMs: 0, endMs: 100_000 };
const close = (actual: number | null | undefined, expected: number, digits = 9) =>
  assert.ok(
    typeof actual === 'number' && Math.abs(actual - expected) < 10 ** -digits,
    `expected ${expected}, got ${actual}`,
  );

describe('stats', () => {
  it('computes mean, min, max, percentiles (linear interpolation), cv and last of a known vector', () => {
    // Time stamps out of order: `last` is the latest sample, not the last element.
    const samples: [number, number][] = [
      [10, 4],
      [40, 2],
      [20, 1],
      [30, 3],
    ];
    const { stats, samples: used, dropped } = windowStats(samples, window, ALL);
    assert.equal(used, 4);
    assert.equal(dropped, 0);
    assert.equal(stats.mean, 2.5);
    assert.equal(stats.min, 1);
    assert.equal(stats.max, 4);
    assert.equal(stats.p50, 2.5);
    close(stats.p95, 3.85); // (n-1)*0.95 = 2.85: 3 + 0.85 * (4 - 3)
    close(stats.p99, 3.97);
    close(stats.cv, Math.sqrt(1.25) / 2.5); // population standard deviation over the mean
    assert.equal(stats.last, 2);
  });

  it('matches textbook values on a longer vector', () => {
    const values = Array.from({ length: 101 }, (_, i) => i); // 0..100
    const stats = computeStats(
      values.map((v, i) => [i, v]),
      ['p50', 'p95', 'p99', 'mean'],
    );
    assert.deepEqual(stats, { p50: 50, p95: 95, p99: 99, mean: 50 });
  });

  it('gives null for every statistic of an empty window, never 0', () => {
    const { stats, samples } = windowStats([[500, 1]], window, ALL);
    assert.equal(samples, 0);
    assert.deepEqual(stats, Object.fromEntries(ALL.map((s) => [s, null])));
  });

  it('drops NaN, infinite values and their JSON forms (null, "NaN", "+Inf"), and counts them', () => {
    const samples = [
      [1, 1],
      [2, NaN],
      [3, 3],
      [4, null],
      [5, '+Inf'],
      [6, 'NaN'],
      [7, -Infinity],
    ] as [number, unknown][];
    const result = windowStats(samples, window, ['mean', 'max', 'last']);
    assert.equal(result.samples, 2);
    assert.equal(result.dropped, 5);
    assert.deepEqual(result.stats, { mean: 2, max: 3, last: 3 });
    const onlyNaN = windowStats([[1, NaN]], window, ['mean']);
    assert.deepEqual(onlyNaN, { samples: 0, dropped: 1, stats: { mean: null } });
  });

  it('reads numeric strings and the forms Prometheus writes', () => {
    assert.equal(sampleValue('42.5'), 42.5);
    assert.equal(sampleValue('+Inf'), Infinity);
    assert.equal(sampleValue('-Inf'), -Infinity);
    assert.ok(Number.isNaN(sampleValue('NaN')));
    assert.ok(Number.isNaN(sampleValue(null)));
    assert.ok(Number.isNaN(sampleValue('')));
  });

  it('gives a null cv when the mean is 0, and 0 for a single sample', () => {
    assert.equal(computeStats([[1, 0]], ['cv']).cv, null);
    assert.equal(
      computeStats(
        [
          [1, -1],
          [2, 1],
        ],
        ['cv'],
      ).cv,
      null,
    );
    assert.equal(computeStats([[1, 5]], ['cv']).cv, 0);
  });

  it('treats a window as half-open: a sample on the boundary belongs to the next phase', () => {
    const w = msWindow({ start: '1970-01-01T00:00:10.000Z', end: '1970-01-01T00:00:20.000Z' });
    const samples: [number, number][] = [
      [9.999, 1],
      [10, 2],
      [19.5, 3],
      [20, 4],
    ];
    const { stats, samples: used } = windowStats(samples, w, ['min', 'max']);
    assert.equal(used, 2);
    assert.deepEqual(stats, { min: 2, max: 3 });
  });

  it('only returns the statistics asked for', () => {
    assert.deepEqual(Object.keys(computeStats([[1, 1]], ['p95', 'mean'])), ['p95', 'mean']);
  });
});
