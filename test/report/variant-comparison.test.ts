import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Estimator } from '../../src/report/statistics/estimators.ts';
import { holm } from '../../src/report/statistics/multiple-testing.ts';
import { repetitionsToTest, smallestMannWhitneyP } from '../../src/report/statistics/rank-tests.ts';
import { mulberry32 } from '../../src/report/statistics/resampling.ts';
import { buildVariantComparison, type VariantComparisonInput } from '../../src/report/variant-comparison/build.ts';
import type { ComparisonArm, ComparisonMetricDef, TrialSamples } from '../../src/report/variant-comparison/model.ts';
import { normal, poisson } from '../helpers/random.ts';

const close = (actual: number | null | undefined, expected: number, tolerance: number, what = '') =>
  assert.ok(
    typeof actual === 'number' && Math.abs(actual - expected) <= tolerance,
    `${what} expected ${expected} +- ${tolerance}, got ${actual}`,
  );

/** Relative closeness, for p-values far out in the tail. */

const ARMS: ComparisonArm[] = [
  { name: 'chord', variant: 'chord', namespace: 'bench-chord' },
  { name: 'koorde', variant: 'koorde', namespace: 'bench-koorde' },
];

function def(id: string, label: string, unit: string, estimator: Estimator): ComparisonMetricDef {
  return { id, metric: id.split('.')[0]!, label, unit, estimator, better: 'lower' };
}

const LATENCY: ComparisonMetricDef[] = [
  def('latency.p50', 'latency p50', 'ms', { kind: 'quantile', q: 0.5 }),
  def('latency.p95', 'latency p95', 'ms', { kind: 'quantile', q: 0.95 }),
  def('latency.p99', 'latency p99', 'ms', { kind: 'quantile', q: 0.99 }),
  def('latency.mean', 'latency mean', 'ms', { kind: 'mean' }),
];

function trial(arm: string, size: number, repetition: number, units: Record<string, number[]>): TrialSamples {
  return {
    arm,
    size,
    repetition,
    order: repetition,
    window: { start: '2026-01-01T00:00:00.000Z', end: '2026-01-01T00:01:00.000Z' },
    units,
  };
}

/** Lognormal latencies (median 20 ms x scale, sigma 0.35), 3 repetitions x 2,000 requests per arm. */
function latencyTrials(scales: Record<string, number>, seed: number, size = 16): TrialSamples[] {
  const random = mulberry32(seed);
  const z = normal(random);
  const trials: TrialSamples[] = [];
  for (const arm of ARMS) {
    for (let rep = 1; rep <= 3; rep++) {
      const latencies = Array.from({ length: 2000 }, () => 20 * (scales[arm.name] ?? 1) * Math.exp(0.35 * z()));
      trials.push(trial(arm.name, size, rep, Object.fromEntries(LATENCY.map((m) => [m.id, latencies]))));
    }
  }
  return trials;
}

function compare(overrides: Partial<VariantComparisonInput> & Pick<VariantComparisonInput, 'metrics' | 'trials'>) {
  return buildVariantComparison({ arms: ARMS, sweepParam: 'nodes', sizes: [16], ...overrides });
}

describe('comparison statistics: buildVariantComparison', () => {
  it('finds a true 20% difference in lognormal latencies: lower, interval excluding 0 and containing -20%', () => {
    const out = compare({ metrics: LATENCY, trials: latencyTrials({ chord: 1, koorde: 0.8 }, 1) });
    assert.deepEqual(
      out.results.map((r) => [r.size, r.metric]),
      LATENCY.map((m) => [16, m.id]),
    );
    for (const result of out.results) {
      const [base, koorde] = result.values;
      assert.equal(base!.arm, 'chord');
      assert.equal(base!.repetitions.length, 3);
      assert.equal(base!.units, 6000);
      assert.ok(base!.interval![0] <= base!.median! && base!.median! <= base!.interval![1]);
      const c = result.comparisons[0]!;
      assert.equal(c.arm, 'koorde');
      assert.equal(c.baseline, 'chord');
      assert.equal(c.verdict, 'lower', `${result.metric}: ${c.text}`);
      assert.equal(c.significant, true);
      const [low, high] = c.relativeInterval!;
      assert.ok(high < 0 && low <= -0.2 && high >= -0.2, `${result.metric}: [${low}, ${high}]`);
      close(c.relativeDifference, koorde!.median! / base!.median! - 1, 1e-12);
      close(c.difference, koorde!.median! - base!.median!, 1e-12);
      assert.ok(c.interval![1] < 0);
      assert.equal(c.test!.name, 'mann-whitney-u');
      assert.ok(c.test!.p < 1e-10 && c.test!.pAdjusted >= c.test!.p);
      assert.ok(c.effectSize!.value < 0);
    }
    const p95 = out.results[1]!.comparisons[0]!;
    assert.match(
      p95.text,
      /^koorde latency p95 \d+\.\d% lower \[\d+\.\d%, \d+\.\d%\] than chord at nodes=16 \(p < 0\.001, Cliff's delta -0\.\d\d, (small|medium|large)\)$/,
    );
    assert.deepEqual(
      out.verdicts,
      out.results.map((r) => r.comparisons[0]!.text),
    );
    assert.deepEqual(out.missing, {});
  });

  it('finds no significant difference on any metric between arms from the same distribution (A/A)', () => {
    const metrics: ComparisonMetricDef[] = [
      ...LATENCY,
      def('throughput.mean', 'throughput', 'req/s', { kind: 'mean' }),
      def('hit.mean', 'cache hit rate', '', { kind: 'mean' }),
      def('restarts.last', 'restarts', 'restarts', { kind: 'value' }),
    ];
    const random = mulberry32(77);
    const trials = latencyTrials({}, 2).map((t) => ({
      ...t,
      units: {
        ...t.units,
        'throughput.mean': Array.from({ length: 60 }, () => poisson(random, 40)),
        'hit.mean': Array.from({ length: 2000 }, () => (random() < 0.7 ? 1 : 0)),
        'restarts.last': [0],
      },
    }));
    const out = compare({ metrics, trials });
    for (const result of out.results) {
      const c = result.comparisons[0]!;
      assert.equal(c.significant, false);
      if (result.metric === 'restarts.last') continue;
      assert.equal(c.verdict, 'no-significant-difference', `${result.metric}: ${c.text}`);
      assert.match(c.text, /^no significant difference in .+ at nodes=16: koorde .+ vs chord \(p (=|<) [\d.]+\)$/);
    }
    assert.deepEqual(
      out.verdicts,
      metrics.map((m) =>
        m.id === 'restarts.last'
          ? 'restarts: too few repetitions to test (n = 3) at any size; --repeat 4 or more can show a difference'
          : `no significant difference in ${m.label} at any size`,
      ),
    );
    const restarts = out.results.find((r) => r.metric === 'restarts.last')!.comparisons[0]!;
    assert.deepEqual(
      [
        restarts.difference,
        restarts.interval,
        restarts.relativeDifference,
        restarts.relativeInterval,
        restarts.test!.p,
      ],
      [0, [0, 0], null, null, 1],
    );
    // One value per repetition, three repetitions per arm: no test of these could be significant.
    assert.equal(restarts.verdict, 'too-few-repetitions');
    assert.match(
      restarts.text,
      /^too few repetitions to test \(n = 3\): restarts at nodes=16, the smallest possible p after Holm is [\d.]+, not below 0\.05: koorde 0 restarts \[0 restarts, 0 restarts\] vs chord \(p = 1\)$/,
    );
    const p95 = out.results.find((r) => r.metric === 'latency.p95')!.comparisons[0]!;
    assert.match(
      p95.text,
      /^no significant difference in latency p95 at nodes=16: koorde [+-]?\d+\.\d% \[-\d+\.\d%, \+\d+\.\d%\] vs chord/,
    );
  });

  it('compares a `value` metric whose baseline is 0 by the absolute difference', () => {
    const restarts = def('restarts.last', 'restarts', 'restarts', { kind: 'value' });
    const trials = (candidate: number[]) =>
      candidate.flatMap((value, i) => [
        trial('chord', 16, i + 1, { 'restarts.last': [0] }),
        trial('koorde', 16, i + 1, { 'restarts.last': [value] }),
      ]);
    // 3 repetitions: three values against three can never be significant (the smallest two-sided
    // p-value of 3 vs 3 is 0.1), whatever the difference.
    const few = compare({ metrics: [restarts], trials: trials([3, 5, 4]) }).results[0]!;
    const c = few.comparisons[0]!;
    assert.deepEqual([few.values[0]!.median, few.values[1]!.median, c.difference], [0, 4, 4]);
    assert.deepEqual([c.relativeDifference, c.relativeInterval], [null, null]);
    assert.ok(c.interval![0] >= 3 && c.interval![1] <= 5);
    assert.equal(c.verdict, 'too-few-repetitions');
    assert.deepEqual(c.test!.n, [3, 3]);
    // Tied values (all of chord's are 0) take the normal approximation, a little below the exact 0.1.
    assert.ok(c.test!.smallestPAdjusted >= 0.05 && c.test!.smallestPAdjusted <= 0.1, String(c.test!.smallestPAdjusted));
    assert.match(
      c.text,
      /^too few repetitions to test \(n = 3\): restarts at nodes=16, the smallest possible p after Holm is 0\.06\d*, not below 0\.05: koorde \+4 restarts \[\+3 restarts, \+5 restarts\] vs chord \(p = 0\.06\d*\)$/,
    );
    // 8 repetitions: the absolute interval excludes 0 and the test agrees.
    const many = compare({ metrics: [restarts], trials: trials([3, 5, 4, 6, 2, 4, 5, 3]) });
    const d = many.results[0]!.comparisons[0]!;
    assert.equal(d.verdict, 'higher', d.text);
    assert.match(
      d.text,
      /^koorde restarts 4 restarts higher \[\d(\.\d+)? restarts, \d(\.\d+)? restarts\] than chord at nodes=16 \(p < 0\.001, Cliff's delta 1\.00, large\)$/,
    );
    assert.deepEqual(many.verdicts, [d.text]);
  });

  it('says "too few repetitions to test (n = 2)" where no test could reach significance, not "no difference"', () => {
    assert.equal(smallestMannWhitneyP(2, 2), 1 / 3);
    assert.equal(smallestMannWhitneyP(3, 3), 0.1);
    assert.equal(smallestMannWhitneyP(4, 4), 2 / 70);
    assert.equal(repetitionsToTest(0.05), 4);
    const hops = def('de_bruijn_success.last', 'de Bruijn hops', 'hops', { kind: 'value' });
    // Chord takes no de Bruijn hops, Koorde thousands: as different as can be, but two values
    // against two can give p = 1/3 at best.
    const trials = [1, 2].flatMap((rep) => [
      trial('chord', 16, rep, { 'de_bruijn_success.last': [0] }),
      trial('koorde', 16, rep, { 'de_bruijn_success.last': [5000 + rep] }),
    ]);
    const out = compare({ metrics: [hops], trials });
    const c = out.results[0]!.comparisons[0]!;
    assert.equal(c.verdict, 'too-few-repetitions', c.text);
    assert.equal(c.significant, false);
    assert.ok(c.text.startsWith('too few repetitions to test (n = 2): de Bruijn hops at nodes=16'), c.text);
    assert.doesNotMatch(c.text, /no significant difference/);
    assert.deepEqual(out.verdicts, [
      'de Bruijn hops: too few repetitions to test (n = 2) at any size; --repeat 4 or more can show a difference',
    ]);
    // Holm decides too: 4 vs 4 alone could reach p = 0.029 < 0.05, but among three tests the best
    // it can do after Holm is above alpha, while latency over thousands of pooled requests stays testable.
    const four = [1, 2, 3, 4].flatMap((rep) => [
      trial('chord', 16, rep, { 'de_bruijn_success.last': [0] }),
      trial('koorde', 16, rep, { 'de_bruijn_success.last': [5000 + rep] }),
    ]);
    const alone = compare({ metrics: [hops], trials: four }).results[0]!.comparisons[0]!;
    assert.equal(alone.verdict, 'higher', alone.text);
    const family = compare({
      metrics: [
        hops,
        def('hops2.last', 'hops 2', 'hops', { kind: 'value' }),
        def('hops3.last', 'hops 3', 'hops', { kind: 'value' }),
      ],
      trials: four.map((t) => ({
        ...t,
        units: {
          ...t.units,
          'hops2.last': t.units['de_bruijn_success.last']!,
          'hops3.last': t.units['de_bruijn_success.last']!,
        },
      })),
    });
    for (const r of family.results) {
      const x = r.comparisons[0]!;
      assert.ok(x.test!.smallestPAdjusted >= 0.05, `${r.metric}: ${x.test!.smallestPAdjusted}`);
      assert.equal(x.verdict, 'too-few-repetitions', x.text);
    }
    const twoReps = latencyTrials({ chord: 1, koorde: 0.8 }, 2).filter((t) => t.repetition <= 2);
    const latency = compare({ metrics: LATENCY, trials: twoReps });
    for (const r of latency.results) assert.equal(r.comparisons[0]!.verdict, 'lower', r.comparisons[0]!.text);
  });

  it('is seeded: the same input gives the same output, and a metric’s numbers do not depend on the others', () => {
    const trials = latencyTrials({ chord: 1, koorde: 0.97 }, 3);
    const one = compare({ metrics: LATENCY, trials, resamples: 500 });
    assert.equal(JSON.stringify(compare({ metrics: LATENCY, trials, resamples: 500 })), JSON.stringify(one));
    const alone = compare({ metrics: [LATENCY[1]!], trials, resamples: 500 });
    assert.deepEqual(alone.results[0]!.values, one.results[1]!.values);
    assert.deepEqual(alone.results[0]!.comparisons[0]!.interval, one.results[1]!.comparisons[0]!.interval);
    const reseeded = compare({ metrics: LATENCY, trials, resamples: 500, seed: 2 });
    assert.notDeepEqual(reseeded.results[1]!.values[0]!.interval, one.results[1]!.values[0]!.interval);
    // A 3% difference is inside the +-5% threshold: never called significant, however small p is.
    for (const r of one.results) assert.equal(r.comparisons[0]!.significant, false, r.comparisons[0]!.text);
  });

  it('adjusts the p-values with Holm over every size x metric x arm', () => {
    const trials = [
      ...latencyTrials({ chord: 1, koorde: 0.98 }, 4, 8),
      ...latencyTrials({ chord: 1, koorde: 1 }, 5, 16),
    ];
    const out = compare({ metrics: LATENCY, trials, sizes: [8, 16], resamples: 500 });
    const tests = out.results.map((r) => r.comparisons[0]!.test!);
    assert.equal(tests.length, 8);
    assert.deepEqual(
      tests.map((t) => t.pAdjusted),
      holm(tests.map((t) => t.p)),
    );
    // Results per metric, then per size.
    assert.deepEqual(
      out.results.slice(0, 2).map((r) => [r.metric, r.size]),
      [
        ['latency.p50', 8],
        ['latency.p50', 16],
      ],
    );
  });

  it('says which arm has no data, and why, instead of comparing', () => {
    const trials = latencyTrials({}, 6).map((t) =>
      t.arm === 'koorde'
        ? { ...t, units: { ...t.units, 'latency.p95': [] }, missing: { 'latency.p95': 'the load generator crashed' } }
        : t,
    );
    // Repetition 2 of chord lost its latencies: the other two still give a value.
    const partial = trials.map((t) =>
      t.arm === 'chord' && t.repetition === 2 ? { ...t, units: { ...t.units, 'latency.p50': [] } } : t,
    );
    const out = compare({ metrics: LATENCY.slice(0, 2), trials: partial });
    const [p50, p95] = out.results;
    assert.deepEqual(p50!.values[0]!.repetitions[1], null);
    assert.equal(p50!.values[0]!.units, 4000);
    assert.notEqual(p50!.comparisons[0]!.verdict, 'no-data');
    const c = p95!.comparisons[0]!;
    assert.deepEqual([c.verdict, c.test, c.interval, c.significant], ['no-data', null, null, false]);
    assert.equal(c.text, 'no data for latency p95 at nodes=16: koorde: the load generator crashed');
    assert.deepEqual(p95!.values[1], {
      arm: 'koorde',
      median: null,
      interval: null,
      repetitions: [null, null, null],
      units: 0,
    });
    assert.deepEqual(out.missing, { 'latency.p95': 'koorde at nodes=16: the load generator crashed' });
    assert.deepEqual(out.verdicts, [
      'no significant difference in latency p50 at any size',
      'no data for latency p95 at any size',
    ]);
    // A size no trial ran at.
    const absent = compare({ metrics: LATENCY.slice(0, 1), trials, sizes: [16, 32] });
    assert.equal(absent.results[1]!.comparisons[0]!.verdict, 'no-data');
    assert.equal(absent.missing['latency.p50'], 'chord at nodes=32: no trial ran; koorde at nodes=32: no trial ran');
    assert.deepEqual(absent.verdicts, [
      'no significant difference in latency p50 at any size with data (no data: koorde at nodes=32)',
    ]);
  });
});
