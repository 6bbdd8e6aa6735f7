import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { holm } from '../../../src/report/statistics/multiple-testing.ts';
import {
  cliffsDelta,
  cliffsMagnitude,
  erfc,
  mannWhitneyU,
  normalTwoSidedP,
} from '../../../src/report/statistics/rank-tests.ts';
import { mulberry32 } from '../../../src/report/statistics/resampling.ts';

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
