import type { PhaseName } from '../../suite/schema.ts';
import type { RunInfo } from '../model.ts';
import type { Interval } from '../statistics/resampling.ts';

/**
 * The data model of `bench report a b ...`: runs against runs, each against the first (the
 * baseline), metric by metric; written as compare.json. See build.ts for how its numbers are made.
 */

/** Version of the compare.json schema. */
export const RUN_COMPARISON_SCHEMA_VERSION = 1;

/** The statistics compared. */
export type RunComparisonStat = 'mean' | 'p95';

/** The phase compared. */
export const RUN_COMPARISON_PHASE: PhaseName = 'active';

/** A run in the comparison. */
export interface ComparedRun extends RunInfo {
  /** How the run is named in the tables and charts (e.g. the variant); defaults to the run id. */
  label: string;
}

/** One run's value of a statistic. */
export interface RunComparisonValue {
  runId: string;
  label: string;
  /** The statistic over the run's pooled active-window samples; `null` without samples. */
  value: number | null;
  /** 95% bootstrap interval of the run's own statistic. */
  interval: Interval | null;
  /** Samples pooled. */
  samples: number;
  /** Series that contributed samples. */
  series: number;
  /** Why the run has no value. */
  missing?: string;
}

/** One run against the baseline, for one statistic. */
export interface RunComparisonDifference {
  runId: string;
  label: string;
  /** Run id of the baseline (the first run). */
  baseline: string;
  value: number | null;
  baselineValue: number | null;
  /** value - baselineValue. */
  difference: number | null;
  /** difference / baselineValue; `null` when the baseline is 0. */
  relativeDifference: number | null;
  /** 95% bootstrap interval of the difference. */
  interval: Interval | null;
  /** 95% bootstrap interval of the relative difference; `null` when a baseline resample is 0. */
  relativeInterval: Interval | null;
  /** The interval of the difference excludes 0. */
  significant: boolean;
  /** Why there is nothing to compare (either run has no samples). */
  missing?: string;
}

/** One statistic of one metric across the runs. */
export interface RunComparisonStatReport {
  stat: RunComparisonStat;
  /** One per run, in run order (the baseline first). */
  values: RunComparisonValue[];
  /** One per run after the baseline. */
  differences: RunComparisonDifference[];
}

/** One metric across the runs. */
export interface RunComparisonMetric {
  name: string;
  unit: string;
  description: string | null;
  stats: RunComparisonStatReport[];
}

/** The comparison of several runs: compare.json. */
export interface RunComparisonReport {
  schemaVersion: typeof RUN_COMPARISON_SCHEMA_VERSION;
  method: {
    phase: PhaseName;
    confidence: number;
    resamples: number;
    seed: number;
    interval: string;
  };
  /** Run id of the baseline (the first run). */
  baseline: string;
  runs: ComparedRun[];
  /** Every metric any run reports, in the order the runs declare them. */
  metrics: RunComparisonMetric[];
  /** Which runs' figures came from simulated systems (the local cloud), and what that means; null when none. */
  simulated: { runs: string[]; note: string } | null;
}
