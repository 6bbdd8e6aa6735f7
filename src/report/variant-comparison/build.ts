import { median } from 'simple-statistics';
import { estimate } from '../statistics/estimators.ts';
import { holm } from '../statistics/multiple-testing.ts';
import { cliffsFromU, mannWhitneyU, smallestMannWhitneyP } from '../statistics/rank-tests.ts';
import { hierarchicalBootstrap, percentileInterval, streamSeed } from '../statistics/resampling.ts';
import type {
  ArmComparison,
  ArmValue,
  ComparisonArm,
  ComparisonMetricDef,
  SizeMetricResult,
  TrialSamples,
} from './model.ts';
import { directionOf, metricVerdicts, noDataText, verdictText } from './verdicts.ts';

/**
 * The statistics of `bench compare`: pure functions, no I/O, no clock.
 *
 * Method (what {@link buildVariantComparison} does, per size and metric):
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
 * Quantiles and resampling: see src/report/statistics/resampling.ts.
 */

/** Input of {@link buildVariantComparison}. */
export interface VariantComparisonInput {
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

/** Output of {@link buildVariantComparison}: the `results`, `verdicts` and `missing` of a VariantComparisonReport. */
export interface BuiltVariantComparison {
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

/** Defaults of {@link buildVariantComparison}. */
export const VARIANT_COMPARISON_DEFAULTS = { confidence: 0.95, threshold: 0.05, resamples: 2000, seed: 1 } as const;

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
export function buildVariantComparison(input: VariantComparisonInput): BuiltVariantComparison {
  const confidence = input.confidence ?? VARIANT_COMPARISON_DEFAULTS.confidence;
  const threshold = input.threshold ?? VARIANT_COMPARISON_DEFAULTS.threshold;
  const resamples = input.resamples ?? VARIANT_COMPARISON_DEFAULTS.resamples;
  const seed = input.seed ?? VARIANT_COMPARISON_DEFAULTS.seed;
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
      c.text = noDataText(metric, where(size), missingText);
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

  const verdicts = input.arms.length >= 2 ? metricVerdicts(pending, input.metrics, where, alpha) : [];
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

/** Repetitions with a value: when each gives exactly one unit, the test's n is the repetitions. */
function countRepetitions(d: ArmData): number {
  return d.value.repetitions.filter((v) => v !== null).length;
}
