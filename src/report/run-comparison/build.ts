import { mean, quantile } from 'simple-statistics';
import { UsageError } from '../../errors.ts';
import { queryLookbackSeconds, trimLookback, type RunReport } from '../model.ts';
import type { RawMetric } from '../raw.ts';
import { bootstrap, percentileInterval, streamSeed } from '../statistics/resampling.ts';
import { msWindow, samplesInWindow } from '../stats.ts';
import {
  RUN_COMPARISON_PHASE,
  RUN_COMPARISON_SCHEMA_VERSION,
  type RunComparisonDifference,
  type RunComparisonMetric,
  type RunComparisonReport,
  type ComparedRun,
  type RunComparisonStat,
  type RunComparisonStatReport,
  type RunComparisonValue,
} from './model.ts';

/**
 * Several runs compared metric by metric, each against the first (the baseline): the active
 * phase's mean (and p95 where the suite aggregates it), the difference, the relative difference,
 * and a 95% bootstrap confidence interval of the difference.
 *
 * Method, and what it assumes:
 * - A run's sample set is every finite sample of every series of the metric inside its active
 *   window (less the query's first lookback, as in the run's report), pooled: series labels (pods, instances) differ between runs, so series cannot be
 *   paired, and the pooled mean of a single-series metric is just its mean.
 * - Percentile bootstrap: each run's samples are resampled with replacement (as many as it has),
 *   the statistic computed, 2,000 times; the differences of the i-th resamples of two runs (drawn
 *   independently) give the distribution of the difference; its 2.5th and 97.5th percentiles are
 *   the interval. `significant` means the interval excludes 0.
 * - Resampling single samples treats them as independent. Consecutive samples of a time series
 *   are correlated (a rate over a 1-minute window changes slowly), so the intervals are narrower
 *   than the truth; read `significant` for small differences with that in mind.
 * - The random numbers come from a seeded generator, seeded per metric, statistic and run, so the
 *   same runs give the same report, whatever the order of metrics.
 */

/** One run to compare. */
export interface RunComparisonInput {
  report: RunReport;
  raw: ReadonlyMap<string, RawMetric>;
  /** Defaults to the run id. */
  label?: string;
}

/** Options of {@link compareRuns}. */
export interface RunComparisonOptions {
  /** Bootstrap resamples (default 2,000). */
  resamples?: number;
  /** Seed of the random numbers (default 1). */
  seed?: number;
}

/** Confidence of every interval (the 2.5th and 97.5th percentiles). */
const CONFIDENCE = 0.95;

/** Compares runs b..n with run a (the first), metric by metric. */
export function compareRuns(
  inputs: readonly RunComparisonInput[],
  options: RunComparisonOptions = {},
): RunComparisonReport {
  if (inputs.length < 2) {
    throw new UsageError('E_COMPARE_RUNS', `comparing needs at least two runs, got ${inputs.length}`, {
      fix: 'name two or more run ids (see `bench list`)',
    });
  }
  const resamples = options.resamples ?? 2000;
  const seed = options.seed ?? 1;
  const runs: ComparedRun[] = inputs.map((i) => ({ ...i.report.run, label: i.label ?? i.report.run.runId }));
  // Charts and tables tell runs apart by label: two runs given the same one get their run ids added.
  const given = runs.map((r) => r.label);
  runs.forEach((run, i) => {
    if (given.filter((l) => l === given[i]).length > 1) run.label = `${run.label} (${run.runId})`;
  });
  const metricNames: string[] = [];
  for (const i of inputs) for (const m of i.report.metrics) if (!metricNames.includes(m.name)) metricNames.push(m.name);

  const metrics = metricNames.map((name): RunComparisonMetric => {
    const declared = inputs.map((i) => i.report.metrics.find((m) => m.name === name));
    const first = declared.find((m) => m !== undefined);
    const stats: RunComparisonStat[] = declared.some((m) => m?.aggregate.includes('p95')) ? ['mean', 'p95'] : ['mean'];
    const pooled = inputs.map((input, index) => activeSamples(input, declared[index]));
    return {
      name,
      unit: first?.unit ?? '',
      description: first?.description ?? null,
      stats: stats.map((stat) => compareStat(name, stat, pooled, runs, { resamples, seed })),
    };
  });

  return {
    schemaVersion: RUN_COMPARISON_SCHEMA_VERSION,
    method: {
      phase: RUN_COMPARISON_PHASE,
      confidence: CONFIDENCE,
      resamples,
      seed,
      interval: 'percentile bootstrap; each run’s active-window samples resampled with replacement',
    },
    baseline: runs[0]?.runId ?? '',
    runs,
    metrics,
    simulated: simulatedRuns(inputs),
  };
}

/** The runs whose figures a simulator made: a difference between them is the simulator's, not the systems'. */
function simulatedRuns(inputs: readonly RunComparisonInput[]): RunComparisonReport['simulated'] {
  const runs = inputs.filter((i) => i.report.simulation?.simulated).map((i) => i.report.run.runId);
  if (runs.length === 0) return null;
  return {
    runs,
    note: `${runs.length === inputs.length ? 'Every run compared here' : `${runs.length === 1 ? 'Run' : 'Runs'} ${runs.join(', ')}`} ran on the local cloud: their series come from bench's own workload simulator, not from the systems under test. The differences show the tool working, not the systems' real performance.`,
  };
}

interface Pooled {
  values: Float64Array;
  series: number;
  missing?: string;
}

/** Every finite sample of the metric's series inside the run's active window. */
function activeSamples(input: RunComparisonInput, metric: RunReport['metrics'][number] | undefined): Pooled {
  const none = (missing: string): Pooled => ({ values: new Float64Array(0), series: 0, missing });
  if (metric === undefined) return none('the run’s suite does not declare this metric');
  if (metric.missing !== undefined) return none(metric.missing);
  const window = input.report.phases.find((w) => w.phase === RUN_COMPARISON_PHASE);
  if (window === undefined) return none(`the run has no ${RUN_COMPARISON_PHASE} phase`);
  const raw = input.raw.get(metric.name);
  if (raw === undefined) return none('no raw data for this metric');
  // The same samples as the report's active statistics: a range query's first lookback left out.
  const ms = trimLookback(msWindow(window), queryLookbackSeconds(metric.query ?? undefined) * 1000);
  const values: number[] = [];
  let series = 0;
  for (const s of raw.series) {
    const { points } = samplesInWindow(s.samples, ms);
    if (points.length > 0) series++;
    for (const p of points) values.push(p[1]);
  }
  if (values.length === 0) return none(`no sample inside the ${RUN_COMPARISON_PHASE} window`);
  return { values: Float64Array.from(values), series };
}

function compareStat(
  metric: string,
  stat: RunComparisonStat,
  pooled: readonly Pooled[],
  runs: readonly ComparedRun[],
  options: { resamples: number; seed: number },
): RunComparisonStatReport {
  const statOf = (values: Float64Array) =>
    stat === 'mean' ? mean(Array.from(values)) : quantile(Array.from(values), 0.95);
  const boots = pooled.map((p, index) =>
    p.values.length === 0
      ? undefined
      : bootstrap(p.values, stat === 'mean' ? { kind: 'mean' } : { kind: 'quantile', q: 0.95 }, {
          resamples: options.resamples,
          seed: streamSeed(options.seed, `${metric}\0${stat}\0${index}`),
        }),
  );
  const values: RunComparisonValue[] = pooled.map((p, index) => {
    const run = runs[index] as ComparedRun;
    const boot = boots[index];
    const value: RunComparisonValue = {
      runId: run.runId,
      label: run.label,
      value: p.values.length === 0 ? null : statOf(p.values),
      interval: boot ? percentileInterval(boot, CONFIDENCE) : null,
      samples: p.values.length,
      series: p.series,
    };
    if (p.missing !== undefined) value.missing = p.missing;
    return value;
  });
  const base = values[0] as RunComparisonValue;
  const baseBoot = boots[0];
  const differences = values.slice(1).map((v, i): RunComparisonDifference => {
    const boot = boots[i + 1];
    const out: RunComparisonDifference = {
      runId: v.runId,
      label: v.label,
      baseline: base.runId,
      value: v.value,
      baselineValue: base.value,
      difference: null,
      relativeDifference: null,
      interval: null,
      relativeInterval: null,
      significant: false,
    };
    if (v.value === null || base.value === null || boot === undefined || baseBoot === undefined) {
      out.missing = base.value === null ? `baseline: ${base.missing ?? 'no value'}` : (v.missing ?? 'no value');
      return out;
    }
    out.difference = v.value - base.value;
    out.relativeDifference = base.value === 0 ? null : out.difference / base.value;
    const diffs = new Float64Array(boot.length);
    const ratios = new Float64Array(boot.length);
    let ratioDefined = true;
    for (let k = 0; k < boot.length; k++) {
      const a = baseBoot[k] as number;
      const b = boot[k] as number;
      diffs[k] = b - a;
      if (a === 0) ratioDefined = false;
      else ratios[k] = (b - a) / a;
    }
    out.interval = percentileInterval(diffs, CONFIDENCE);
    out.relativeInterval = ratioDefined ? percentileInterval(ratios, CONFIDENCE) : null;
    out.significant = out.interval[0] > 0 || out.interval[1] < 0;
    return out;
  });
  return { stat, values, differences };
}
