import { mean, median, quantileSorted } from 'simple-statistics';
import { mulberry32 } from './compare.ts';
import type {
  ArmComparison,
  ArmValue,
  ComparisonArm,
  ComparisonMetricDef,
  Estimator,
  Interval,
  SizeMetricResult,
  TrialSamples,
  VerdictKind,
} from './comparison-model.ts';
import { formatSigned, formatStat } from './format.ts';

/**
 * The statistics of `bench compare`: pure functions, no I/O, no clock.
 *
 * Method (what {@link buildComparison} does, per size and metric):
 * - A trial's value is its estimator over its units (the q-quantile of its request latencies,
 *   the mean of its per-second counts, its single counter value); an arm's value is the median of
 *   its trials' values over the repetitions. The median, not the mean: one disturbed repetition
 *   (a noisy neighbour, a slow node) moves it least.
 * - Its confidence interval comes from a hierarchical percentile bootstrap
 *   ({@link hierarchicalBootstrap}): repetitions are resampled, then units within each drawn
 *   repetition. Resampling only the units would treat thousands of requests as independent and
 *   ignore that whole repetitions differ from each other, giving intervals far too narrow.
 * - Difference and relative difference of each arm against the baseline, with percentile
 *   intervals from the i-th resample of the arm against the i-th of the baseline (drawn
 *   independently: the arms are independent samples).
 * - A Mann-Whitney U test on the units of all repetitions pooled (does one arm tend to give larger
 *   units?), Cliff's delta as its effect size, and Holm's correction over every test of the
 *   comparison, as a comparison asks many questions at once (sizes x metrics x arms).
 * - Significant: the adjusted p-value is below 1 - confidence AND the interval of the relative
 *   difference lies entirely outside [-threshold, +threshold]. The second condition is a region of
 *   practical equivalence: with thousands of requests, a 0.5% difference can be "statistically
 *   significant" yet mean nothing; a finding is only called when even the most pessimistic end of
 *   its interval exceeds the threshold.
 *
 * Quantiles, everywhere (point estimates, bootstrap resamples, interval ends): linear
 * interpolation between the closest ranks, R type 7 (numpy's default, simple-statistics'
 * `quantile`): the q-quantile of n sorted values x is x[h] + (h - floor h)(x[h+1] - x[h]) with
 * h = (n - 1) q. The bootstrap's count walk computes exactly this on each resample (see
 * {@link hierarchicalBootstrap}), so point estimates and resamples agree to the last bit.
 */

// ---------------------------------------------------------------------------------------------
// Mann-Whitney U

/** The result of {@link mannWhitneyU}. */
export interface MannWhitneyResult {
  /** U of the first sample: pairs (x of a, y of b) with x > y, plus half the pairs with x = y. */
  u: number;
  /** Standardized U (with continuity correction) of the normal approximation; null when exact. */
  z: number | null;
  /** Two-sided p-value. */
  p: number;
}

/** Options of {@link mannWhitneyU}. */
export interface MannWhitneyOptions {
  /**
   * `auto` (default): exact when there are no ties and both samples have at most
   * {@link MWU_EXACT_MAX} values, else the normal approximation. `exact` forces the exact
   * distribution (of untied data: with ties it is only an approximation; at most 50 values per
   * sample, as its table grows with n1^2 n2); `asymptotic` forces the normal approximation.
   */
  method?: 'auto' | 'exact' | 'asymptotic';
}

/**
 * Largest sample size for which {@link mannWhitneyU} uses the exact distribution. Up to 20 x 20
 * the counts (at most C(40, 20) ~ 1.4e11) are exact in doubles and the table takes microseconds;
 * beyond, the normal approximation is within a few thousandths of the exact p-value.
 */
export const MWU_EXACT_MAX = 20;

/**
 * Two-sided Mann-Whitney U test (Wilcoxon rank-sum) of two independent samples: do values of `a`
 * tend to be larger or smaller than values of `b`? Conventions as scipy.stats.mannwhitneyu
 * (`alternative='two-sided'`, `use_continuity=True`): ranks average over ties; exact p-values
 * (z = null) for small untied samples; otherwise the normal approximation with the tie
 * correction of the variance and a continuity correction of 0.5. All values equal: p = 1.
 *
 * O(n log n): both samples are sorted and U is counted in one merge pass, so ~20,000 values per
 * side take milliseconds.
 * @throws RangeError when a sample is empty or holds NaN (or is too large for `method: 'exact'`).
 */
export function mannWhitneyU(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  options: MannWhitneyOptions = {},
): MannWhitneyResult {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('mannWhitneyU needs two non-empty samples');
  const { u, tieTerm } = uStatistic(a, b);
  const method = options.method ?? 'auto';
  if (method === 'exact' && Math.max(n1, n2) > 50) {
    throw new RangeError('mannWhitneyU: the exact method takes at most 50 values per sample');
  }
  const exact =
    method === 'exact' || (method === 'auto' && tieTerm === 0 && n1 <= MWU_EXACT_MAX && n2 <= MWU_EXACT_MAX);
  if (exact) return { u, z: null, p: exactMannWhitneyP(u, n1, n2) };
  const n = n1 + n2;
  const mu = (n1 * n2) / 2;
  // Tie correction: each group of t equal values lowers the variance of the rank sum by (t^3 - t) / (n (n - 1)).
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  // All values equal (one tie group of n): variance 0, and nothing tells the samples apart.
  if (!(variance > 1e-12 * ((n1 * n2 * (n + 1)) / 12))) return { u, z: 0, p: 1 };
  const d = u - mu;
  // Continuity correction towards the mean, never past it (|d| < 0.5 is no evidence at all: z = 0).
  const z = (Math.sign(d) * Math.max(0, Math.abs(d) - 0.5)) / Math.sqrt(variance) + 0; // + 0: no -0
  return { u, z, p: Math.min(1, normalTwoSidedP(z)) };
}

/** U of `a` and the tie term sum(t^3 - t) over the groups of equal values of both samples pooled. */
function uStatistic(a: ArrayLike<number>, b: ArrayLike<number>): { u: number; tieTerm: number } {
  const x = Float64Array.from(a).sort();
  const y = Float64Array.from(b).sort();
  // Float64Array sorts NaN last, where the merge below would never match it: refuse it instead.
  if (Number.isNaN(x[x.length - 1]) || Number.isNaN(y[y.length - 1])) {
    throw new RangeError('mannWhitneyU: samples must not hold NaN');
  }
  let i = 0;
  let j = 0;
  let below = 0; // values of b smaller than the current value
  let u = 0;
  let tieTerm = 0;
  while (i < x.length || j < y.length) {
    const v = Math.min(i < x.length ? (x[i] as number) : Infinity, j < y.length ? (y[j] as number) : Infinity);
    let ca = 0;
    while (i < x.length && x[i] === v) {
      ca++;
      i++;
    }
    let cb = 0;
    while (j < y.length && y[j] === v) {
      cb++;
      j++;
    }
    // Each of the ca values of a beats the `below` values of b and ties with the cb equal ones.
    u += ca * (below + 0.5 * cb);
    below += cb;
    const t = ca + cb;
    if (t > 1) tieTerm += t * t * t - t;
  }
  return { u, tieTerm };
}

/**
 * Two-sided exact p-value of U for samples of n1 and n2 untied values: 2 min(P(U <= u), P(U >= u)),
 * capped at 1 (scipy's `method='exact'`). The distribution counts, for every u, the orderings of
 * n1 + n2 values with U = u: f(i, j)[u] = f(i - 1, j)[u - j] + f(i, j - 1)[u] (the largest value is
 * from a, beating all j values of b, or from b).
 */
function exactMannWhitneyP(u: number, n1: number, n2: number): number {
  let prev: Float64Array[] = []; // f(i - 1, j) for j = 0..n2
  for (let i = 0; i <= n1; i++) {
    const row: Float64Array[] = [];
    for (let j = 0; j <= n2; j++) {
      const f = new Float64Array(i * j + 1);
      if (i === 0 || j === 0) f[0] = 1;
      else {
        const up = prev[j] as Float64Array; // f(i - 1, j): length (i - 1) j + 1
        const left = row[j - 1] as Float64Array; // f(i, j - 1): length i (j - 1) + 1
        for (let k = 0; k < left.length; k++) f[k] = left[k] as number;
        for (let k = 0; k < up.length; k++) f[k + j] = (f[k + j] as number) + (up[k] as number);
      }
      row.push(f);
    }
    prev = row;
  }
  const counts = prev[n2] as Float64Array;
  let total = 0;
  let lower = 0; // orderings with U <= u
  let upper = 0; // orderings with U >= u
  for (let k = 0; k < counts.length; k++) {
    const c = counts[k] as number;
    total += c;
    if (k <= u) lower += c;
    if (k >= u) upper += c;
  }
  return Math.min(1, (2 * Math.min(lower, upper)) / total);
}

/**
 * Two-sided p-value of a standard normal statistic: P(|Z| >= |z|) = erfc(|z| / sqrt 2).
 *
 * simple-statistics is not used here on purpose: its `cumulativeStdNormalProbability` is a table
 * with 4 decimals (p = 0 beyond |z| ~ 4), and its `errorFunction` returns erf = 1 - erfc, so
 * 1 - errorFunction(x) keeps only about 16 + log10(p) significant digits and is exactly 0 below
 * ~1e-16. With thousands of requests per arm, p-values far below that are common; they are
 * reported (and multiplied by Holm), and a p of 0 would read as certainty. {@link erfc} keeps a
 * relative error below 1.2e-7 down to the smallest double (~1e-308).
 */
export function normalTwoSidedP(z: number): number {
  return erfc(Math.abs(z) / Math.SQRT2);
}

/**
 * The complementary error function, with a fractional (relative) error below 1.2e-7 everywhere:
 * the Chebyshev fit `erfcc` of Numerical Recipes (Press et al., Numerical Recipes in C, 2nd ed.,
 * 1992, section 6.2). Being relative, the accuracy holds in the far tail, unlike 1 - erf(x).
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

// ---------------------------------------------------------------------------------------------
// Effect size and multiple testing

/** How large a Cliff's delta is, after Romano et al. (2006). */
export type CliffsMagnitude = 'negligible' | 'small' | 'medium' | 'large';

/**
 * Cliff's delta of `a` against `b`: P(x > y) - P(x < y) for x from a and y from b, in -1..1
 * (> 0: values of a tend to be larger). It is a rescaled Mann-Whitney U, 2U / (n1 n2) - 1, so it
 * is computed from U in O(n log n) rather than by comparing all n1 n2 pairs.
 * @throws RangeError when a sample is empty or holds NaN.
 */
export function cliffsDelta(a: ArrayLike<number>, b: ArrayLike<number>): { value: number; magnitude: CliffsMagnitude } {
  if (a.length === 0 || b.length === 0) throw new RangeError('cliffsDelta needs two non-empty samples');
  return cliffsFromU(uStatistic(a, b).u, a.length, b.length);
}

function cliffsFromU(u: number, n1: number, n2: number): { value: number; magnitude: CliffsMagnitude } {
  const value = (2 * u) / (n1 * n2) - 1;
  return { value, magnitude: cliffsMagnitude(value) };
}

/**
 * The magnitude of a Cliff's delta with the thresholds of Romano, Kromrey, Coraggio and Skowronek
 * (2006), which correspond to Cohen's d of 0.2, 0.5 and 0.8 for normal data: |d| < 0.147
 * negligible, < 0.33 small, < 0.474 medium, else large.
 */
export function cliffsMagnitude(delta: number): CliffsMagnitude {
  const d = Math.abs(delta);
  if (d < 0.147) return 'negligible';
  if (d < 0.33) return 'small';
  if (d < 0.474) return 'medium';
  return 'large';
}

/**
 * The smallest two-sided p-value the exact Mann-Whitney U test can give for samples of n1 and n2
 * values: 2 / C(n1 + n2, n1), when one sample lies entirely above the other (ties only make it
 * larger). With 2 values per side it is 1/3: no such test can ever be significant at 5%.
 */
export function smallestMannWhitneyP(n1: number, n2: number): number {
  if (n1 <= 0 || n2 <= 0) return 1;
  // C(n1 + n2, n1) as a product of ratios; it overflows to Infinity (p = 0) only far beyond
  // the sizes where the question matters.
  let orderings = 1;
  for (let k = 1; k <= Math.min(n1, n2); k++) orderings = (orderings * (Math.max(n1, n2) + k)) / k;
  return Math.min(1, 2 / orderings);
}

/**
 * The smallest repetition count per arm whose exact test can go below `alpha` at all (with no
 * correction for multiple comparisons: Holm can only raise it).
 */
export function repetitionsToTest(alpha: number): number {
  let n = 1;
  while (smallestMannWhitneyP(n, n) >= alpha && n < 1000) n++;
  return n;
}

/**
 * Holm-Bonferroni adjusted p-values, in the order given: the i-th smallest of m p-values is
 * multiplied by m - i + 1, then made monotone (an adjusted p-value is never below that of a
 * smaller p-value) and capped at 1; the same as R's `p.adjust(p, 'holm')`. Rejecting where the
 * adjusted p-value is below alpha controls the family-wise error rate at alpha without assuming
 * anything about the dependence between the tests (and is uniformly more powerful than Bonferroni).
 */
export function holm(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((_, i) => i).sort((i, j) => (pValues[i] as number) - (pValues[j] as number) || i - j);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach((index, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * (pValues[index] as number)));
    adjusted[index] = running;
  });
  return adjusted;
}

// ---------------------------------------------------------------------------------------------
// Estimators and the hierarchical bootstrap

/**
 * A trial's value: its estimator over its units. `quantile`: type-7 quantile (see the module
 * comment); `mean`: the mean; `value`: the single unit (were there several, their mean, so a
 * producer that reports a counter in parts still gets a value rather than an error).
 * @throws RangeError when there are no units.
 */
export function estimate(units: ArrayLike<number>, estimator: Estimator): number {
  if (units.length === 0) throw new RangeError('estimate needs at least one unit');
  const values = Array.from(units);
  switch (estimator.kind) {
    case 'quantile':
      return quantileSorted(
        values.sort((x, y) => x - y),
        estimator.q,
      );
    case 'mean':
      return mean(values);
    case 'value':
      return values.length === 1 ? (values[0] as number) : mean(values);
  }
}

/** Options of {@link hierarchicalBootstrap}. */
export interface BootstrapOptions {
  /** Number of resamples. */
  resamples: number;
  /** Seed of the random numbers (mulberry32). */
  seed: number;
}

/**
 * The bootstrap distribution of an arm's statistic (the median over repetitions of the
 * per-repetition estimator): `resamples` values. Each resample draws as many repetitions as there
 * are, with replacement (when there are at least 2; one is used as is), resamples the units of
 * each drawn repetition with replacement, applies the estimator, and takes the median of the
 * drawn repetitions' values. For `value` the repetition's value is used as is (nothing to
 * resample inside a repetition); only the repetitions are resampled.
 *
 * Speed (2,000 resamples x 3 repetitions x 6,000 units in ~0.3 s, almost all of it drawing the
 * 36 million random indices): each repetition's units are
 * sorted once; a quantile resample draws n indices into a count array and walks the cumulative
 * counts to the ranks the type-7 quantile needs, which is the exact type-7 quantile of the
 * resample (the sorted resample is each sorted unit repeated by its count), in O(n) without a
 * sort. A mean resample sums the drawn units.
 * @param repetitions each repetition's units; none may be empty.
 * @throws RangeError without repetitions or with an empty one.
 */
export function hierarchicalBootstrap(
  repetitions: readonly ArrayLike<number>[],
  estimator: Estimator,
  options: BootstrapOptions,
): Float64Array {
  if (repetitions.length === 0) throw new RangeError('hierarchicalBootstrap needs at least one repetition');
  if (repetitions.some((r) => r.length === 0)) throw new RangeError('hierarchicalBootstrap: a repetition has no units');
  const random = mulberry32(options.seed);
  const reps = repetitions.map((r) => Float64Array.from(r).sort());
  const fixed = estimator.kind === 'value' ? reps.map((r) => estimate(r, estimator)) : [];
  const counts = new Int32Array(Math.max(...reps.map((r) => r.length)));
  const k = reps.length;
  const drawn = new Float64Array(k);
  const out = new Float64Array(options.resamples);
  for (let s = 0; s < options.resamples; s++) {
    for (let i = 0; i < k; i++) {
      const index = k >= 2 ? Math.floor(random() * k) : 0;
      const units = reps[index] as Float64Array;
      switch (estimator.kind) {
        case 'quantile':
          drawn[i] = resampleQuantile(units, estimator.q, random, counts);
          break;
        case 'mean':
          drawn[i] = resampleMean(units, random);
          break;
        case 'value':
          drawn[i] = fixed[index] as number;
          break;
      }
    }
    out[s] = k === 1 ? (drawn[0] as number) : quantileSorted7(drawn.sort(), 0.5);
  }
  return out;
}

/** The type-7 q-quantile of one resample (with replacement) of sorted units, by counting. */
function resampleQuantile(sorted: Float64Array, q: number, random: () => number, counts: Int32Array): number {
  const n = sorted.length;
  if (n === 1) return sorted[0] as number;
  counts.fill(0, 0, n);
  for (let i = 0; i < n; i++) {
    const k = Math.floor(random() * n);
    counts[k] = (counts[k] as number) + 1;
  }
  // The resample, sorted, is sorted[i] repeated counts[i] times; the quantile needs its values at
  // ranks lo and lo + 1 (0-based), h = (n - 1) q.
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const frac = h - lo;
  let low: number;
  let high: number;
  if (h <= (n - 1) / 2) {
    // Walk up from the smallest unit (low quantiles: the ranks are near the bottom).
    let i = 0;
    let below = 0; // resample values before unit i
    while (below + (counts[i] as number) <= lo) below += counts[i++] as number;
    low = sorted[i] as number;
    if (frac === 0) return low;
    if (below + (counts[i] as number) <= lo + 1) {
      i++;
      while (counts[i] === 0) i++;
    }
    high = sorted[i] as number;
  } else {
    // Walk down from the largest (p95, p99: the ranks are near the top). Rank r counted from the
    // top is n - 1 - r.
    const top = frac === 0 ? n - 1 - lo : n - 2 - lo;
    let i = n - 1;
    let above = 0; // resample values after unit i
    while (above + (counts[i] as number) <= top) above += counts[i--] as number;
    high = sorted[i] as number;
    if (frac === 0) return high;
    if (above + (counts[i] as number) <= top + 1) {
      i--;
      while (counts[i] === 0) i--;
    }
    low = sorted[i] as number;
  }
  // The same arithmetic as simple-statistics' quantileSorted, so a resample identical to the
  // data gives exactly the point estimate.
  return low + frac * (high - low);
}

/** The mean of one resample (with replacement) of the units. */
function resampleMean(units: Float64Array, random: () => number): number {
  const n = units.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += units[Math.floor(random() * n)] as number;
  return sum / n;
}

/** Type-7 quantile of a sorted typed array (simple-statistics' `quantileSorted` takes number[]). */
function quantileSorted7(sorted: Float64Array, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const a = sorted[lo] as number;
  if (h === lo) return a;
  return a + (h - lo) * ((sorted[lo + 1] as number) - a);
}

/**
 * The central `confidence` percentile interval of a bootstrap distribution: its type-7 quantiles
 * at (1 - confidence) / 2 and (1 + confidence) / 2.
 */
export function percentileInterval(distribution: ArrayLike<number>, confidence: number): Interval {
  const sorted = Float64Array.from(distribution).sort();
  const tail = (1 - confidence) / 2;
  return [quantileSorted7(sorted, tail), quantileSorted7(sorted, 1 - tail)];
}

/**
 * A seed for one random stream, from the user's seed and a key (e.g. size, metric id and arm), so
 * each stream is reproducible on its own: adding a metric or an arm leaves the others' intervals
 * unchanged. FNV-1a over the key, started from the seed.
 */
export function streamSeed(seed: number, key: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (const ch of key) {
    h ^= ch.codePointAt(0) as number;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

// ---------------------------------------------------------------------------------------------
// The comparison

/** Input of {@link buildComparison}. */
export interface BuildComparisonInput {
  /** The arms, the baseline first. */
  arms: ComparisonArm[];
  /** Name of the sweep parameter, for the texts (`nodes` in "at nodes=16"). */
  sweepParam: string;
  /** The sizes compared, in the order of the results. */
  sizes: number[];
  /** The metrics compared, in the order of the results. */
  metrics: ComparisonMetricDef[];
  /**
   * Every arm x size x repetition that ran. A metric without units in a trial (absent, empty, or
   * named in `missing`) is missing for that repetition. Units that are not finite numbers are
   * dropped; trials of arms or sizes not listed are ignored.
   */
  trials: TrialSamples[];
  /** Confidence of the intervals; 1 - confidence is the significance level (default 0.95). */
  confidence?: number;
  /** Relative differences within +-threshold are not called significant (default 0.05). */
  threshold?: number;
  /** Bootstrap resamples (default 2,000). */
  resamples?: number;
  /** Seed of the random numbers (default 1). */
  seed?: number;
}

/** Output of {@link buildComparison}: the `results`, `verdicts` and `missing` of a ComparisonReport. */
export interface BuiltComparison {
  /** Per metric (in the given order), per size (in the given order). */
  results: SizeMetricResult[];
  /**
   * Per metric: one line per significant finding (per size, per arm), or one line saying there
   * is none at any size (or no data at all).
   */
  verdicts: string[];
  /** Metric id -> which arms at which sizes have no data, and why. Metrics with full data are absent. */
  missing: Record<string, string>;
}

/** Defaults of {@link buildComparison}. */
export const COMPARISON_DEFAULTS = { confidence: 0.95, threshold: 0.05, resamples: 2000, seed: 1 } as const;

interface ArmData {
  /** Units of every repetition, pooled (for the test). */
  pooled: Float64Array;
  /** Why it has no data at all; undefined when it has some. */
  missing?: string;
  value: ArmValue;
  boot: Float64Array | null;
}

/**
 * Compares every arm with the baseline (the first), for every size and metric: each arm's median
 * over repetitions with its bootstrap interval, the (relative) difference with intervals, a
 * Mann-Whitney U test with Holm's correction over the whole family (every size x metric x
 * non-baseline arm with data on both sides), Cliff's delta, a verdict and its text. See the module
 * comment for the method. Deterministic: the same input gives the same output; each size x metric x
 * arm has its own random stream, so adding a metric or an arm leaves the others unchanged.
 */
export function buildComparison(input: BuildComparisonInput): BuiltComparison {
  const confidence = input.confidence ?? COMPARISON_DEFAULTS.confidence;
  const threshold = input.threshold ?? COMPARISON_DEFAULTS.threshold;
  const resamples = input.resamples ?? COMPARISON_DEFAULTS.resamples;
  const seed = input.seed ?? COMPARISON_DEFAULTS.seed;
  const alpha = 1 - confidence;
  const baseline = input.arms[0];
  const where = (size: number) => `${input.sweepParam}=${size}`;

  const results: SizeMetricResult[] = [];
  const missing: Record<string, string> = {};
  // Tests waiting for Holm's correction over the whole family.
  const tested: { comparison: ArmComparison; p: number }[] = [];
  const pending: { comparison: ArmComparison; metric: ComparisonMetricDef; size: number; missingText?: string }[] = [];

  for (const metric of input.metrics) {
    const gaps: string[] = [];
    for (const size of input.sizes) {
      const trials = input.trials.filter((t) => t.size === size);
      const repNumbers = [...new Set(trials.map((t) => t.repetition))].sort((x, y) => x - y);
      const data = input.arms.map((arm) =>
        armData(arm, metric, size, repNumbers, trials, { resamples, confidence, seed }),
      );
      for (const [i, d] of data.entries()) {
        if (d.missing === undefined) continue;
        gaps.push(`${(input.arms[i] as ComparisonArm).name} at ${where(size)}: ${d.missing}`);
      }
      const base = data[0];
      const comparisons: ArmComparison[] = [];
      if (baseline !== undefined && base !== undefined) {
        for (const [i, d] of data.entries()) {
          if (i === 0) continue;
          const arm = input.arms[i] as ComparisonArm;
          const comparison = compareArm(arm.name, baseline.name, d, base, confidence);
          comparisons.push(comparison);
          if (comparison.test !== null) tested.push({ comparison, p: comparison.test.p });
          const lacking = [base, d].flatMap((x, k) =>
            x.missing === undefined ? [] : [`${k === 0 ? baseline.name : arm.name}: ${x.missing}`],
          );
          pending.push({ comparison, metric, size, missingText: lacking.length ? lacking.join('; ') : undefined });
        }
      }
      results.push({ size, metric: metric.id, values: data.map((d) => d.value), comparisons });
    }
    if (gaps.length > 0) missing[metric.id] = gaps.join('; ');
  }

  const adjusted = holm(tested.map((t) => t.p));
  tested.forEach((t, i) => {
    const test = t.comparison.test as NonNullable<ArmComparison['test']>;
    test.pAdjusted = adjusted[i] as number;
    // The best this test could have done with its sample sizes: its p at the exact minimum, the
    // rest of the family as it is (Holm's adjusted p only grows with each p-value). When even
    // that is not below alpha, no data of this many values could have shown a difference: the
    // verdict says so instead of "no significant difference".
    const best = tested.map((x, j) => (j === i ? Math.min(x.p, smallestMannWhitneyP(test.n[0], test.n[1])) : x.p));
    test.smallestPAdjusted = holm(best)[i] as number;
  });

  for (const { comparison: c, metric, size, missingText } of pending) {
    if (c.test === null || c.difference === null || c.interval === null) {
      c.verdict = 'no-data';
      c.text = `no data for ${metric.label} at ${where(size)}: ${missingText ?? 'no values'}`;
      continue;
    }
    const pAdj = c.test.pAdjusted;
    if (c.relativeInterval !== null) {
      const [lo, hi] = c.relativeInterval;
      c.significant = pAdj < alpha && (lo > threshold || hi < -threshold);
    } else {
      // Relative difference undefined (a baseline of 0): no scale for a threshold, so the
      // absolute interval has to exclude 0.
      const [lo, hi] = c.interval;
      c.significant = pAdj < alpha && (lo > 0 || hi < 0);
    }
    c.verdict = c.significant
      ? directionOf(c)
      : c.test.smallestPAdjusted >= alpha
        ? 'too-few-repetitions'
        : 'no-significant-difference';
    c.text = verdictText(c, metric, where(size), alpha);
  }

  const verdicts: string[] = [];
  if (input.arms.length >= 2) {
    for (const metric of input.metrics) {
      const mine = pending.filter((p) => p.metric === metric);
      const found = mine.filter((p) => p.comparison.significant);
      if (found.length > 0) {
        verdicts.push(...found.map((p) => p.comparison.text));
        continue;
      }
      const noData = mine.filter((p) => p.comparison.verdict === 'no-data');
      const untestable = mine.filter((p) => p.comparison.verdict === 'too-few-repetitions');
      const gapText =
        noData.length === 0
          ? ''
          : ` (no data: ${noData.map((p) => `${p.comparison.arm} at ${where(p.size)}`).join(', ')})`;
      if (noData.length === mine.length) verdicts.push(`no data for ${metric.label} at any size`);
      else if (untestable.length + noData.length === mine.length) {
        // Not "no difference": nothing this small could have shown one.
        verdicts.push(
          `${metric.label}: ${tooFewText(untestable.map((p) => p.comparison))} at any size${gapText}; ${repeatAdvice(alpha)}`,
        );
      } else if (untestable.length > 0) {
        const where_ = untestable.map((p) => `${p.comparison.arm} at ${where(p.size)}`).join(', ');
        verdicts.push(
          `no significant difference in ${metric.label} where it could be tested; ${tooFewText(untestable.map((p) => p.comparison))}: ${where_}${gapText}`,
        );
      } else if (noData.length === 0) verdicts.push(`no significant difference in ${metric.label} at any size`);
      else verdicts.push(`no significant difference in ${metric.label} at any size with data${gapText}`);
    }
  }
  return { results, verdicts, missing };
}

/** One arm's units, value and bootstrap distribution for one metric at one size. */
function armData(
  arm: ComparisonArm,
  metric: ComparisonMetricDef,
  size: number,
  repNumbers: number[],
  trials: TrialSamples[],
  options: { resamples: number; confidence: number; seed: number },
): ArmData {
  const mine = trials.filter((t) => t.arm === arm.name);
  const reasons = new Set<string>();
  const reps = repNumbers.map((repetition): Float64Array | null => {
    const trial = mine.find((t) => t.repetition === repetition);
    if (trial === undefined) return null;
    const units = (trial.units[metric.id] ?? []).filter((x) => Number.isFinite(x));
    if (units.length > 0) return Float64Array.from(units);
    reasons.add(trial.missing?.[metric.id] ?? 'no units');
    return null;
  });
  const present = reps.filter((r): r is Float64Array => r !== null);
  const pooledLength = present.reduce((sum, r) => sum + r.length, 0);
  const pooled = new Float64Array(pooledLength);
  let offset = 0;
  for (const r of present) {
    pooled.set(r, offset);
    offset += r.length;
  }
  const repValues = reps.map((r) => (r === null ? null : estimate(r, metric.estimator)));
  if (present.length === 0) {
    const why = mine.length === 0 ? 'no trial ran' : [...reasons].join('; ');
    return {
      pooled,
      missing: why,
      boot: null,
      value: { arm: arm.name, median: null, interval: null, repetitions: repValues, units: 0 },
    };
  }
  const boot = hierarchicalBootstrap(present, metric.estimator, {
    resamples: options.resamples,
    seed: streamSeed(options.seed, `${size}\0${metric.id}\0${arm.name}`),
  });
  return {
    pooled,
    boot,
    value: {
      arm: arm.name,
      median: median(repValues.filter((v): v is number => v !== null)),
      interval: percentileInterval(boot, options.confidence),
      repetitions: repValues,
      units: pooledLength,
    },
  };
}

/** The numbers of one arm against the baseline; verdict and text are filled in after Holm. */
function compareArm(arm: string, baseline: string, d: ArmData, base: ArmData, confidence: number): ArmComparison {
  const comparison: ArmComparison = {
    arm,
    baseline,
    relativeDifference: null,
    relativeInterval: null,
    difference: null,
    interval: null,
    test: null,
    effectSize: null,
    significant: false,
    verdict: 'no-data',
    text: '',
  };
  const m = d.value.median;
  const mb = base.value.median;
  if (m === null || mb === null || d.boot === null || base.boot === null) return comparison;
  comparison.difference = m - mb;
  comparison.relativeDifference = mb === 0 ? null : m / mb - 1;
  const n = Math.min(d.boot.length, base.boot.length);
  const diffs = new Float64Array(n);
  const ratios = new Float64Array(n);
  let ratioDefined = true;
  for (let i = 0; i < n; i++) {
    const b = base.boot[i] as number;
    const x = d.boot[i] as number;
    diffs[i] = x - b;
    if (b === 0) ratioDefined = false;
    else ratios[i] = x / b - 1;
  }
  comparison.interval = percentileInterval(diffs, confidence);
  comparison.relativeInterval = ratioDefined && mb !== 0 ? percentileInterval(ratios, confidence) : null;
  const { u, z, p } = mannWhitneyU(d.pooled, base.pooled);
  comparison.test = {
    name: 'mann-whitney-u',
    u,
    z,
    p,
    pAdjusted: p,
    n: [d.pooled.length, base.pooled.length],
    smallestPAdjusted: p,
    perRepetition: d.value.units === countRepetitions(d) && base.value.units === countRepetitions(base),
  };
  comparison.effectSize = { name: 'cliffs-delta', ...cliffsFromU(u, d.pooled.length, base.pooled.length) };
  return comparison;
}

function directionOf(c: ArmComparison): VerdictKind {
  const d = c.difference as number;
  if (d !== 0) return d < 0 ? 'lower' : 'higher';
  const [lo] = c.interval as Interval;
  return lo > 0 ? 'higher' : 'lower';
}

/** A relative difference for people, unsigned: 0.182 -> `18.2%`. */
function percent(ratio: number): string {
  const text = (ratio * 100).toFixed(1);
  return `${text === '-0.0' ? '0.0' : text}%`;
}

/** A relative difference for people, signed: `+1.1%`, `-3.4%`, `0.0%`. */
function signedPercent(ratio: number): string {
  const text = percent(ratio);
  return ratio > 0 && text !== '0.0%' ? `+${text}` : text;
}

/** `p < 0.001`, `p = 0.041`, `p = 1`. */
function pText(p: number): string {
  return p < 0.001 ? 'p < 0.001' : `p = ${Number(p.toPrecision(2))}`;
}

/** Repetitions with a value: when each gives exactly one unit, the test's n is the repetitions. */
function countRepetitions(d: ArmData): number {
  return d.value.repetitions.filter((v) => v !== null).length;
}

/** `too few repetitions to test (n = 2)`, or `(n = 2 and 3)`, or samples when units are not repetitions. */
function tooFewText(comparisons: ArmComparison[]): string {
  const tests = comparisons.flatMap((c) => (c.test ? [c.test] : []));
  const ns = [...new Set(tests.flatMap((t) => t.n))].sort((a, b) => a - b);
  const what = tests.every((t) => t.perRepetition) ? 'repetitions' : 'samples';
  const n = ns.length <= 1 ? String(ns[0] ?? 0) : `${ns.slice(0, -1).join(', ')} and ${ns.at(-1)}`;
  return `too few ${what} to test (n = ${n})`;
}

function repeatAdvice(alpha: number): string {
  return `--repeat ${repetitionsToTest(alpha)} or more can show a difference`;
}

function verdictText(c: ArmComparison, metric: ComparisonMetricDef, at: string, alpha: number): string {
  const test = c.test as NonNullable<ArmComparison['test']>;
  const difference = c.difference as number;
  const interval = c.interval as Interval;
  const relative = c.relativeDifference !== null && c.relativeInterval !== null;
  if (c.significant) {
    const lower = c.verdict === 'lower';
    const effect = c.effectSize ? `, Cliff's delta ${c.effectSize.value.toFixed(2)}, ${c.effectSize.magnitude}` : '';
    const tail = `than ${c.baseline} at ${at} (${pText(test.pAdjusted)}${effect})`;
    if (relative) {
      const [lo, hi] = c.relativeInterval as Interval;
      const r = c.relativeDifference as number;
      const [from, to] = lower ? [-hi, -lo] : [lo, hi];
      return `${c.arm} ${metric.label} ${percent(lower ? -r : r)} ${c.verdict} [${percent(from)}, ${percent(to)}] ${tail}`;
    }
    const [from, to] = lower ? [-interval[1], -interval[0]] : interval;
    const unit = (x: number) => formatStat(x, metric.unit);
    return `${c.arm} ${metric.label} ${unit(Math.abs(difference))} ${c.verdict} [${unit(from)}, ${unit(to)}] ${tail}`;
  }
  const head =
    c.verdict === 'too-few-repetitions'
      ? `${tooFewText([c])}: ${metric.label} at ${at}, the smallest possible p after Holm is ${Number(test.smallestPAdjusted.toPrecision(2))}, not below ${Number(alpha.toPrecision(2))}: ${c.arm}`
      : `no significant difference in ${metric.label} at ${at}: ${c.arm}`;
  const tail = `vs ${c.baseline} (${pText(test.pAdjusted)})`;
  if (relative) {
    const [lo, hi] = c.relativeInterval as Interval;
    return `${head} ${signedPercent(c.relativeDifference as number)} [${signedPercent(lo)}, ${signedPercent(hi)}] ${tail}`;
  }
  const signed = (x: number) => formatSigned(x, metric.unit);
  return `${head} ${signed(difference)} [${signed(interval[0])}, ${signed(interval[1])}] ${tail}`;
}
