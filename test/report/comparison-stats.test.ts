import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { quantileSorted } from 'simple-statistics';
import { mulberry32 } from '../../src/report/compare.ts';
import type { ComparisonArm, ComparisonMetricDef, Estimator, TrialSamples } from '../../src/report/comparison-model.ts';
import {
  buildComparison,
  cliffsDelta,
  cliffsMagnitude,
  erfc,
  estimate,
  hierarchicalBootstrap,
  holm,
  mannWhitneyU,
  normalTwoSidedP,
  percentileInterval,
  repetitionsToTest,
  smallestMannWhitneyP,
  type BuildComparisonInput,
} from '../../src/report/comparison-stats.ts';
import { normal, poisson } from '../helpers/random.ts';

const close = (actual: number | null | undefined, expected: number, tolerance: number, what = '') =>
  assert.ok(
    typeof actual === 'number' && Math.abs(actual - expected) <= tolerance,
    `${what} expected ${expected} +- ${tolerance}, got ${actual}`,
  );

/** Relative closeness, for p-values far out in the tail. */
const closeRelative = (actual: number, expected: number, relative: number) =>
  assert.ok(Math.abs(actual / expected - 1) <= relative, `expected ${expected} (relative ${relative}), got ${actual}`);

/** Every way to pick n1 of n1 + n2 positions for sample a: the exact null distribution, by brute force. */
function bruteForceP(a: number[], b: number[]): number {
  const all = [...a, ...b];
  const n1 = a.length;
  const observed = mannWhitneyU(a, b, { method: 'asymptotic' }).u;
  const mu = (a.length * b.length) / 2;
  let extreme = 0;
  let total = 0;
  const pick = (start: number, chosen: number[]): void => {
    if (chosen.length === n1) {
      const x = chosen.map((i) => all[i]!);
      const y = all.filter((_, i) => !chosen.includes(i));
      const u = mannWhitneyU(x, y, { method: 'asymptotic' }).u;
      total++;
      if (Math.abs(u - mu) >= Math.abs(observed - mu) - 1e-9) extreme++;
      return;
    }
    for (let i = start; i < all.length; i++) pick(i + 1, [...chosen, i]);
  };
  pick(0, []);
  return extreme / total;
}

describe('comparison statistics: Mann-Whitney U', () => {
  it('matches scipy on the Conover example, exact and asymptotic', () => {
    // scipy.stats.mannwhitneyu documentation (SciPy 1.7+), from Conover, Practical Nonparametric
    // Statistics: males [19, 22, 16, 29, 24] vs females [20, 11, 17, 12]: U1 = 17,
    // exact p = 0.1111111111111111, asymptotic p = 0.11134688653314041.
    const males = [19, 22, 16, 29, 24];
    const females = [20, 11, 17, 12];
    const exact = mannWhitneyU(males, females);
    assert.equal(exact.u, 17);
    assert.equal(exact.z, null);
    close(exact.p, 1 / 9, 1e-12);
    const asymptotic = mannWhitneyU(males, females, { method: 'asymptotic' });
    close(asymptotic.p, 0.11134688653314041, 1e-7);
    // z = (17 - 10 - 0.5) / sqrt(5 * 4 * 10 / 12)
    close(asymptotic.z, 6.5 / Math.sqrt(200 / 12), 1e-12);
  });

  it('computes small exact p-values as by hand and by brute-force enumeration', () => {
    // By hand: [3, 5, 8] vs [1, 2, 4, 6]: U = 2 + 3 + 4 = 9 of 12. Of the C(7, 3) = 35 equally
    // likely orderings, U <= 3 (the mirror of U >= 9) in 1 + 1 + 2 + 3 = 7 (partitions of 0..3
    // into at most 3 parts of at most 4), so p = 2 * 7 / 35 = 0.4.
    const r = mannWhitneyU([3, 5, 8], [1, 2, 4, 6]);
    assert.deepEqual(r, { u: 9, z: null, p: 0.4 });
    // Complete separation of 4 and 5 values: 2 / C(9, 4) = 2 / 126.
    close(mannWhitneyU([1.1, 2.2, 3.3, 4.4], [5.5, 6.6, 7.7, 8.8, 9.9]).p, 2 / 126, 1e-15);
    // The recurrence against enumerating every split (1,716 of them) of random untied data.
    const random = mulberry32(5);
    for (let k = 0; k < 4; k++) {
      const a = Array.from({ length: 6 }, () => random());
      const b = Array.from({ length: 7 }, () => random() + 0.15 * k);
      close(mannWhitneyU(a, b).p, bruteForceP(a, b), 1e-12, `case ${k}`);
    }
  });

  it('corrects the normal approximation for ties', () => {
    // a: 5 ones, 10 twos, 15 threes; b: 15 ones, 10 twos, 5 threes. U of a =
    // 5 (0 + 15/2) + 10 (15 + 10/2) + 15 (25 + 5/2) = 650; mean 30 * 30 / 2 = 450.
    // Three tie groups of 20: variance = 30 * 30 / 12 * (61 - 3 * (20^3 - 20) / (60 * 59))
    // = 4067.7966; z = (650 - 450 - 0.5) / sqrt(4067.7966) = 3.127975; p = erfc(z / sqrt 2) = 0.0017602
    // (the formulas of scipy.stats.mannwhitneyu, method='asymptotic', use_continuity=True).
    const a = [...Array<number>(5).fill(1), ...Array<number>(10).fill(2), ...Array<number>(15).fill(3)];
    const b = [...Array<number>(15).fill(1), ...Array<number>(10).fill(2), ...Array<number>(5).fill(3)];
    const r = mannWhitneyU(a, b);
    assert.equal(r.u, 650);
    close(r.z, 199.5 / Math.sqrt(75 * (61 - 23940 / 3540)), 1e-12);
    close(r.z, 3.127975, 1e-6);
    close(r.p, 0.0017602, 1e-7);
    // Swapping the samples mirrors U and z, and keeps p.
    const swapped = mannWhitneyU(b, a);
    assert.equal(swapped.u, 900 - 650);
    close(swapped.z, -r.z!, 1e-12);
    assert.equal(swapped.p, r.p);
  });

  it('gives p = 1 when every value is equal, and refuses empty samples or NaN', () => {
    assert.deepEqual(mannWhitneyU([0, 0, 0], [0, 0]), { u: 3, z: 0, p: 1 });
    assert.deepEqual(mannWhitneyU(Array<number>(5000).fill(7), Array<number>(3000).fill(7)).p, 1);
    assert.throws(() => mannWhitneyU([], [1]), RangeError);
    assert.throws(() => mannWhitneyU([1, Number.NaN], [1]), RangeError);
  });

  // Its speed is bench/comparison-stats.ts's figure, not a timed assertion here.
  it('handles 20,000 values per side', () => {
    const random = mulberry32(9);
    const a = Array.from({ length: 20_000 }, () => Math.round(random() * 1000));
    const b = Array.from({ length: 20_000 }, () => Math.round(random() * 1000) + 20);
    const r = mannWhitneyU(a, b);
    assert.ok(r.z! < -5 && r.p < 1e-6, JSON.stringify(r));
  });

  it('has an accurate normal tail (erfc with a relative error below 1.2e-7)', () => {
    // Reference values: 2 (1 - Phi(z)) for z = 1.959964 (0.05), 3.290527 (0.001), 5 and 10.
    close(normalTwoSidedP(1.959963984540054), 0.05, 1e-8);
    closeRelative(normalTwoSidedP(3.2905267314918945), 0.001, 2e-7);
    closeRelative(normalTwoSidedP(5), 5.733031437583878e-7, 2e-7);
    closeRelative(normalTwoSidedP(10), 1.5239706048320995e-23, 2e-7);
    close(erfc(0), 1, 1e-7);
    close(erfc(-1), 2 - 0.157299207050285, 2e-7);
  });
});

describe('comparison statistics: Cliff’s delta and Holm', () => {
  it('computes Cliff’s delta from U, as comparing every pair would', () => {
    assert.deepEqual(cliffsDelta([1, 2, 3], [4, 5, 6]), { value: -1, magnitude: 'large' });
    assert.deepEqual(cliffsDelta([4, 5, 6], [1, 2, 3]), { value: 1, magnitude: 'large' });
    assert.deepEqual(cliffsDelta([1, 2, 3], [1, 2, 3]), { value: 0, magnitude: 'negligible' });
    // [10..50] vs [15, 25, 35]: 9 pairs greater, 6 smaller, of 15: (9 - 6) / 15 = 0.2.
    const d = cliffsDelta([10, 20, 30, 40, 50], [15, 25, 35]);
    close(d.value, 0.2, 1e-15);
    assert.equal(d.magnitude, 'small');
    // Against the pairwise definition on tied data.
    const random = mulberry32(3);
    const a = Array.from({ length: 40 }, () => Math.floor(random() * 6));
    const b = Array.from({ length: 55 }, () => Math.floor(random() * 6) + 1);
    let sum = 0;
    for (const x of a) for (const y of b) sum += Math.sign(x - y);
    close(cliffsDelta(a, b).value, sum / (a.length * b.length), 1e-12);
  });

  it('names magnitudes with the thresholds of Romano et al. (2006)', () => {
    assert.deepEqual([0, 0.146, 0.147, -0.329, 0.33, 0.473, -0.474, 1].map(cliffsMagnitude), [
      'negligible',
      'negligible',
      'small',
      'small',
      'medium',
      'medium',
      'large',
      'large',
    ]);
  });

  it('adjusts p-values with Holm as R’s p.adjust does', () => {
    // R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") -> 0.03 0.06 0.06 0.02
    // (0.005 * 4, 0.01 * 3, 0.03 * 2, then 0.04 * 1 = 0.04 raised to 0.06 to stay monotone).
    const adjusted = holm([0.01, 0.04, 0.03, 0.005]);
    [0.03, 0.06, 0.06, 0.02].forEach((p, i) => close(adjusted[i], p, 1e-15));
    assert.deepEqual(holm([0.5, 0.4, 0.9]), [1, 1, 1]);
    assert.deepEqual(holm([]), []);
    assert.deepEqual(holm([0.02]), [0.02]);
  });
});

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

// ---------------------------------------------------------------------------------------------
// buildComparison

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

function compare(overrides: Partial<BuildComparisonInput> & Pick<BuildComparisonInput, 'metrics' | 'trials'>) {
  return buildComparison({ arms: ARMS, sweepParam: 'nodes', sizes: [16], ...overrides });
}

describe('comparison statistics: buildComparison', () => {
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
