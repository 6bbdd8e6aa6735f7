/**
 * Rank tests of two independent samples and what goes with them: the Mann-Whitney U test (exact
 * and normal approximation), Cliff's delta (a rescaled U) with its magnitude, and the smallest
 * p-value a test of given sample sizes can reach. Pure functions, no I/O.
 */

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

/** Cliff's delta from an already counted U of samples of n1 and n2 values (see {@link cliffsDelta}). */
export function cliffsFromU(u: number, n1: number, n2: number): { value: number; magnitude: CliffsMagnitude } {
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
