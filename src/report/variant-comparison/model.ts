import type { SimulationReport, TofuInfo } from '../model.ts';
import type { Estimator } from '../statistics/estimators.ts';
import type { Interval } from '../statistics/resampling.ts';

/**
 * The data model of `bench compare`: what one trial measured (the samples, derived from the raw
 * data stored under the comparison's run directory), which metrics are compared, and the
 * comparison report (summary.json of a comparison run).
 *
 * Vocabulary:
 * - arm: one side of the comparison (`chord`, `koorde`; comparing a variant with itself gives
 *   `chord` and `chord-2`); the first arm is the baseline every other arm is compared with.
 * - size: the value of the suite's sweep parameter (e.g. DHT nodes).
 * - trial: one repetition at one size: a warm-up then a measured window, for every arm (side by
 *   side: at the same time; `--sequential`: one arm after another in a random order).
 */

/** Version of a comparison's summary.json. */
export const VARIANT_COMPARISON_SCHEMA_VERSION = 1;

/** One arm of the comparison. */
export interface ComparisonArm {
  /** Unique name (the variant, or `<variant>-<n>` for a repeated variant). */
  name: string;
  /** The suite variant it deploys. */
  variant: string;
  /** Namespace it runs in. */
  namespace: string;
}

/** A metric as compared (one statistic of one suite metric, e.g. latency p95). */
export interface ComparisonMetricDef {
  /** `<suite metric>.<aggregate>`, e.g. `latency.p95`, `throughput.mean`, `de_bruijn_success.last`. */
  id: string;
  /** The suite metric's name. */
  metric: string;
  /** For people: `latency p95`, `throughput`, `cache hit rate`. */
  label: string;
  unit: string;
  estimator: Estimator;
  /** Lower is better (latency, errors) or higher (throughput, hit rate); undefined: neither. */
  better: 'lower' | 'higher' | undefined;
  description?: string;
}

/** What one arm measured in one trial, per metric: the units its value is computed from. */
export interface TrialSamples {
  arm: string;
  size: number;
  /** 1-based. */
  repetition: number;
  /** Position of the trial in the (randomized) schedule, 1-based. */
  order: number;
  /** The measured window (ISO times). */
  window: { start: string; end: string };
  /** Metric id -> units (e.g. latencies in ms, per-second counts, 0/1 hits, one counter increase). */
  units: Record<string, number[]>;
  /** Metric id -> why this trial has no units for it. */
  missing?: Record<string, string>;
}

/** One arm's value of one metric at one size. */
export interface ArmValue {
  arm: string;
  /** Median over the repetitions of the per-trial values; null without data. */
  median: number | null;
  /** Bootstrap confidence interval of that median. */
  interval: Interval | null;
  /** Per repetition (in repetition order): the trial's value. */
  repetitions: (number | null)[];
  /** Units pooled over the repetitions (requests, seconds, ...). */
  units: number;
}

/** How sure the comparison is, and what it concludes. */
export type VerdictKind = 'lower' | 'higher' | 'no-significant-difference' | 'too-few-repetitions' | 'no-data';

/** One arm against the baseline, for one metric at one size. */
export interface ArmComparison {
  arm: string;
  baseline: string;
  /** (arm / baseline - 1) of the medians; null when the baseline is 0 or either has no data. */
  relativeDifference: number | null;
  /** Bootstrap interval of the relative difference. */
  relativeInterval: Interval | null;
  /** arm - baseline of the medians. */
  difference: number | null;
  /** Bootstrap interval of the difference. */
  interval: Interval | null;
  /** Mann-Whitney U test on the pooled units (two-sided). */
  test: {
    name: 'mann-whitney-u';
    u: number;
    z: number | null;
    p: number;
    pAdjusted: number;
    /** Values on each side (arm, baseline): the units of every repetition, pooled. */
    n: [number, number];
    /**
     * The smallest adjusted p this test could have had with these sample sizes (its p at the
     * exact test's minimum, 2 / C(n1 + n2, n1), the family as it is). Not below 1 - confidence:
     * the verdict is `too-few-repetitions`, as no data of this size could have been significant.
     */
    smallestPAdjusted: number;
    /** Whether each repetition gave exactly one unit (then n counts repetitions). */
    perRepetition: boolean;
  } | null;
  /** Cliff's delta of arm against baseline (-1..1; > 0: the arm's units tend to be larger). */
  effectSize: { name: 'cliffs-delta'; value: number; magnitude: 'negligible' | 'small' | 'medium' | 'large' } | null;
  significant: boolean;
  verdict: VerdictKind;
  /** In words: "koorde latency p95 18% lower [12%, 24%]" or "no significant difference (...)". */
  text: string;
}

/** One metric at one size. */
export interface SizeMetricResult {
  size: number;
  metric: string;
  values: ArmValue[];
  comparisons: ArmComparison[];
}

/** One trial of the schedule, as it ran. */
export interface TrialRecord {
  order: number;
  size: number;
  repetition: number;
  /** Arms in the order they ran (side by side: all at once). */
  arms: string[];
  /** Per arm: its measured window. */
  windows: Record<string, { start: string; end: string }>;
}

/** The whole comparison: summary.json of a comparison run. */
export interface VariantComparisonReport {
  schemaVersion: typeof VARIANT_COMPARISON_SCHEMA_VERSION;
  kind: 'comparison';
  run: {
    runId: string;
    suite: string;
    target: string;
    status: string;
    startedAt: string;
    endedAt: string | null;
    /** The tofu that provisioned the run's cluster, as in a single run's summary.json; null if none. */
    tofu?: TofuInfo | null;
  };
  mode: 'side-by-side' | 'sequential';
  /** The baseline first. */
  arms: ComparisonArm[];
  sweepParam: string;
  sizes: number[];
  repeat: number;
  /** Identical for every arm: the workload and system parameters (sizes aside). */
  params: Record<string, string | number | boolean>;
  /** Per arm: the parameters its variant sets (the protocol), which differ by arm and are not in `params`. */
  armParams?: Record<string, Record<string, string | number | boolean>>;
  method: {
    confidence: number;
    /** Differences inside +-threshold (relative) are not called significant. */
    threshold: number;
    resamples: number;
    seed: number;
    test: string;
    correction: string;
    description: string;
  };
  metrics: ComparisonMetricDef[];
  schedule: TrialRecord[];
  results: SizeMetricResult[];
  /** The significant findings in words, and a line per metric without any. */
  verdicts: string[];
  /** Metric ids with no data, and why. */
  missing: Record<string, string>;
  /** Which metrics (by id) came from simulated systems (the local cloud's simulator); absent in older reports. */
  simulation?: SimulationReport;
}
