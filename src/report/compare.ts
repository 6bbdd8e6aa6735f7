import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { mean, quantile } from 'simple-statistics';
import { UsageError } from '../errors.ts';
import type { PhaseName } from '../suite/schema.ts';
import { compareChartSpec, renderSvg } from './chart.ts';
import { formatPercent, formatSigned, formatStat, NO_VALUE } from './format.ts';
import { queryLookbackSeconds, trimLookback, type RunInfo, type RunReport } from './model.ts';
import { writeFileAtomic, type RawMetric } from './raw.ts';
import { markdownTable } from './render-md.ts';
import { esc, htmlPage, htmlTable } from './render-html.ts';
import { msWindow, samplesInWindow } from './stats.ts';
import type { TextTable } from './tables.ts';

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

/** Version of the compare.json schema. */
export const COMPARE_SCHEMA_VERSION = 1;

/** The statistics compared. */
export type CompareStat = 'mean' | 'p95';

/** The phase compared. */
export const COMPARE_PHASE: PhaseName = 'active';

/** A closed interval `[low, high]`. */
export type Interval = [number, number];

/** A run in the comparison. */
export interface CompareRun extends RunInfo {
  /** How the run is named in the tables and charts (e.g. the variant); defaults to the run id. */
  label: string;
}

/** One run's value of a statistic. */
export interface CompareValue {
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
export interface CompareDifference {
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
export interface CompareStatReport {
  stat: CompareStat;
  /** One per run, in run order (the baseline first). */
  values: CompareValue[];
  /** One per run after the baseline. */
  differences: CompareDifference[];
}

/** One metric across the runs. */
export interface CompareMetric {
  name: string;
  unit: string;
  description: string | null;
  stats: CompareStatReport[];
}

/** The comparison of several runs: compare.json. */
export interface CompareReport {
  schemaVersion: typeof COMPARE_SCHEMA_VERSION;
  method: {
    phase: PhaseName;
    confidence: number;
    resamples: number;
    seed: number;
    interval: string;
  };
  /** Run id of the baseline (the first run). */
  baseline: string;
  runs: CompareRun[];
  /** Every metric any run reports, in the order the runs declare them. */
  metrics: CompareMetric[];
  /** Which runs' figures came from simulated systems (the local cloud), and what that means; null when none. */
  simulated: { runs: string[]; note: string } | null;
}

/** One run to compare. */
export interface CompareInput {
  report: RunReport;
  raw: ReadonlyMap<string, RawMetric>;
  /** Defaults to the run id. */
  label?: string;
}

/** Options of {@link compareRuns}. */
export interface CompareOptions {
  /** Bootstrap resamples (default 2,000). */
  resamples?: number;
  /** Seed of the random numbers (default 1). */
  seed?: number;
}

const CONFIDENCE = 0.95;

/** Compares runs b..n with run a (the first), metric by metric. */
export function compareRuns(inputs: readonly CompareInput[], options: CompareOptions = {}): CompareReport {
  if (inputs.length < 2) {
    throw new UsageError('E_COMPARE_RUNS', `comparing needs at least two runs, got ${inputs.length}`, {
      fix: 'name two or more run ids (see `bench list`)',
    });
  }
  const resamples = options.resamples ?? 2000;
  const seed = options.seed ?? 1;
  const runs: CompareRun[] = inputs.map((i) => ({ ...i.report.run, label: i.label ?? i.report.run.runId }));
  // Charts and tables tell runs apart by label: two runs given the same one get their run ids added.
  const given = runs.map((r) => r.label);
  runs.forEach((run, i) => {
    if (given.filter((l) => l === given[i]).length > 1) run.label = `${run.label} (${run.runId})`;
  });
  const metricNames: string[] = [];
  for (const i of inputs) for (const m of i.report.metrics) if (!metricNames.includes(m.name)) metricNames.push(m.name);

  const metrics = metricNames.map((name): CompareMetric => {
    const declared = inputs.map((i) => i.report.metrics.find((m) => m.name === name));
    const first = declared.find((m) => m !== undefined);
    const stats: CompareStat[] = declared.some((m) => m?.aggregate.includes('p95')) ? ['mean', 'p95'] : ['mean'];
    const pooled = inputs.map((input, index) => activeSamples(input, declared[index]));
    return {
      name,
      unit: first?.unit ?? '',
      description: first?.description ?? null,
      stats: stats.map((stat) => compareStat(name, stat, pooled, runs, { resamples, seed })),
    };
  });

  return {
    schemaVersion: COMPARE_SCHEMA_VERSION,
    method: {
      phase: COMPARE_PHASE,
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
function simulatedRuns(inputs: readonly CompareInput[]): CompareReport['simulated'] {
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
function activeSamples(input: CompareInput, metric: RunReport['metrics'][number] | undefined): Pooled {
  const none = (missing: string): Pooled => ({ values: new Float64Array(0), series: 0, missing });
  if (metric === undefined) return none('the run’s suite does not declare this metric');
  if (metric.missing !== undefined) return none(metric.missing);
  const window = input.report.phases.find((w) => w.phase === COMPARE_PHASE);
  if (window === undefined) return none(`the run has no ${COMPARE_PHASE} phase`);
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
  if (values.length === 0) return none(`no sample inside the ${COMPARE_PHASE} window`);
  return { values: Float64Array.from(values), series };
}

function compareStat(
  metric: string,
  stat: CompareStat,
  pooled: readonly Pooled[],
  runs: readonly CompareRun[],
  options: { resamples: number; seed: number },
): CompareStatReport {
  const statOf = (values: Float64Array) =>
    stat === 'mean' ? mean(Array.from(values)) : quantile(Array.from(values), 0.95);
  const boots = pooled.map((p, index) =>
    p.values.length === 0
      ? undefined
      : bootstrap(p.values, stat, options.resamples, streamSeed(options.seed, metric, stat, index)),
  );
  const values: CompareValue[] = pooled.map((p, index) => {
    const run = runs[index] as CompareRun;
    const boot = boots[index];
    const value: CompareValue = {
      runId: run.runId,
      label: run.label,
      value: p.values.length === 0 ? null : statOf(p.values),
      interval: boot ? percentileInterval(boot) : null,
      samples: p.values.length,
      series: p.series,
    };
    if (p.missing !== undefined) value.missing = p.missing;
    return value;
  });
  const base = values[0] as CompareValue;
  const baseBoot = boots[0];
  const differences = values.slice(1).map((v, i): CompareDifference => {
    const boot = boots[i + 1];
    const out: CompareDifference = {
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
    out.interval = percentileInterval(diffs);
    out.relativeInterval = ratioDefined ? percentileInterval(ratios) : null;
    out.significant = out.interval[0] > 0 || out.interval[1] < 0;
    return out;
  });
  return { stat, values, differences };
}

/** The bootstrap distribution of a statistic: `resamples` values. */
function bootstrap(values: Float64Array, stat: CompareStat, resamples: number, seed: number): Float64Array {
  const random = mulberry32(seed);
  const n = values.length;
  const out = new Float64Array(resamples);
  const draw = new Float64Array(n);
  for (let r = 0; r < resamples; r++) {
    if (stat === 'mean') {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += values[Math.floor(random() * n)] as number;
      out[r] = sum / n;
    } else {
      for (let i = 0; i < n; i++) draw[i] = values[Math.floor(random() * n)] as number;
      draw.sort();
      out[r] = quantileSorted7(draw, 0.95);
    }
  }
  return out;
}

/** The central {@link CONFIDENCE} interval of a bootstrap distribution. */
function percentileInterval(distribution: Float64Array): Interval {
  const sorted = Float64Array.from(distribution).sort();
  const tail = (1 - CONFIDENCE) / 2;
  return [quantileSorted7(sorted, tail), quantileSorted7(sorted, 1 - tail)];
}

/** Linear-interpolation quantile (R type 7), the same as simple-statistics' quantile, on a typed array. */
function quantileSorted7(sorted: Float64Array, p: number): number {
  const idx = (sorted.length - 1) * p;
  const lower = Math.floor(idx);
  const upper = Math.ceil(idx);
  const a = sorted[lower] as number;
  const b = sorted[upper] as number;
  return a + (idx - lower) * (b - a);
}

/** A small, fast, seedable PRNG (mulberry32): uniform in [0, 1). Enough for resampling indices. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed per (metric, statistic, run), so one metric's numbers do not depend on the others. */
function streamSeed(seed: number, metric: string, stat: string, run: number): number {
  // FNV-1a over the key, mixed with the user's seed.
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (const ch of `${metric}\0${stat}\0${run}`) {
    h ^= ch.codePointAt(0) as number;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Rendering

/** compare.md: the runs, then per metric and statistic a table of values and differences. */
export function renderCompareMarkdown(report: CompareReport): string {
  const out: string[] = [];
  out.push(`# Comparison: ${report.runs.map((r) => r.label).join(' vs ')}`, '');
  if (report.simulated) out.push(`> **Simulated:** ${report.simulated.note}`, '');
  out.push(methodText(report), '');
  out.push(markdownTable(runsTable(report)), '');
  for (const metric of report.metrics) {
    out.push(`## ${metric.name} (${metric.unit})`, '');
    if (metric.description) out.push(metric.description, '');
    for (const s of metric.stats) {
      out.push(`### ${s.stat} during ${report.method.phase}`, '');
      out.push(markdownTable(statTable(s, metric.unit)), '');
    }
  }
  return out.join('\n');
}

/** compare.html: the same tables, and per metric a chart of each run's value and difference with intervals. */
export async function renderCompareHtml(report: CompareReport): Promise<string> {
  const sections: string[] = [];
  for (const metric of report.metrics) {
    const parts = [`<section class="metric" id="metric-${esc(metric.name)}">`];
    parts.push(`<h2>${esc(metric.name)} <small>(${esc(metric.unit)})</small></h2>`);
    if (metric.description) parts.push(`<p>${esc(metric.description)}</p>`);
    const chartable = metric.stats[0];
    const points = chartable ? chartValues(chartable) : undefined;
    if (chartable && points && points.values.length > 0) {
      const svg = await renderSvg(
        compareChartSpec({
          title: `${metric.name}: ${chartable.stat} during ${report.method.phase}`,
          unit: metric.unit,
          ...points,
        }),
      );
      parts.push(`<figure class="chart">${svg}</figure>`);
    } else {
      parts.push('<div class="missing" role="note"><strong>missing:</strong> no run has data for this metric</div>');
    }
    for (const s of metric.stats) {
      parts.push(`<h3>${esc(s.stat)} during ${esc(report.method.phase)}</h3>`);
      parts.push(htmlTable(statTable(s, metric.unit), 'stats'));
    }
    parts.push('</section>');
    sections.push(parts.join('\n'));
  }
  const title = `Comparison: ${report.runs.map((r) => r.label).join(' vs ')}`;
  return htmlPage(
    title,
    `${report.simulated ? `<div class="simulated" role="note"><strong>Simulated:</strong> ${esc(report.simulated.note)}</div>\n` : ''}<p>${esc(methodText(report))}</p>
${htmlTable(runsTable(report), 'runs')}
${sections.join('\n')}`,
  );
}

/** Paths of the comparison files written. */
export interface WrittenCompare {
  md: string;
  html: string;
  json: string;
}

/** Writes compare.md, compare.html and compare.json (the model) into a directory, each atomically. */
export async function writeCompareReports(dir: string, report: CompareReport): Promise<WrittenCompare> {
  const files: [keyof WrittenCompare, string, string][] = [
    ['json', 'compare.json', `${JSON.stringify(report, null, 2)}\n`],
    ['md', 'compare.md', renderCompareMarkdown(report)],
    ['html', 'compare.html', await renderCompareHtml(report)],
  ];
  mkdirSync(dir, { recursive: true });
  const written: Partial<WrittenCompare> = {};
  for (const [kind, name, text] of files) {
    const path = join(dir, name);
    writeFileAtomic(path, text);
    written[kind] = path;
  }
  return written as WrittenCompare;
}

function methodText(report: CompareReport): string {
  const m = report.method;
  return (
    `Baseline: ${report.runs[0]?.label ?? report.baseline}. Values are over the ${m.phase} phase, all series pooled; ` +
    `intervals are ${Math.round(m.confidence * 100)}% ${m.interval} (${m.resamples.toLocaleString('en-US')} resamples, seed ${m.seed}). ` +
    'Samples of a time series are correlated, so the intervals are on the narrow side.'
  );
}

function runsTable(report: CompareReport): TextTable {
  return {
    header: ['run', 'run id', 'suite', 'target', 'status', 'started'],
    rows: report.runs.map((r, i) => [
      i === 0 ? `${r.label} (baseline)` : r.label,
      r.runId,
      r.suite,
      r.target,
      r.status,
      r.startedAt,
    ]),
  };
}

function statTable(s: CompareStatReport, unit: string): TextTable {
  const header = ['run', 'samples', s.stat, '95% CI', 'difference', 'relative', '95% CI of difference', 'significant'];
  const rows = s.values.map((v, i) => {
    const own = [
      i === 0 ? `${v.label} (baseline)` : v.label,
      v.samples.toLocaleString('en-US'),
      v.value === null ? `missing: ${v.missing ?? 'no value'}` : formatStat(v.value, unit),
      formatInterval(v.interval, (x) => formatStat(x, unit)),
    ];
    if (i === 0) return [...own, NO_VALUE, NO_VALUE, NO_VALUE, NO_VALUE];
    const d = s.differences[i - 1];
    if (d === undefined || d.difference === null) return [...own, NO_VALUE, NO_VALUE, NO_VALUE, 'no data'];
    return [
      ...own,
      formatSigned(d.difference, unit),
      formatPercent(d.relativeDifference),
      `${formatInterval(d.interval, (x) => formatSigned(x, unit))}${d.relativeInterval ? ` (${formatInterval(d.relativeInterval, formatPercent)})` : ''}`,
      d.significant ? 'yes' : 'no',
    ];
  });
  return { header, rows };
}

function formatInterval(interval: Interval | null, format: (x: number) => string): string {
  return interval === null ? NO_VALUE : `[${format(interval[0])}, ${format(interval[1])}]`;
}

function chartValues(s: CompareStatReport): {
  values: { run: string; value: number; low: number; high: number }[];
  differences: { run: string; value: number; low: number; high: number; significant: boolean }[];
} {
  const values = s.values.flatMap((v) =>
    v.value === null || v.interval === null
      ? []
      : [{ run: v.label, value: v.value, low: v.interval[0], high: v.interval[1] }],
  );
  const differences = s.differences.flatMap((d) =>
    d.relativeDifference === null || d.relativeInterval === null
      ? []
      : [
          {
            run: d.label,
            value: d.relativeDifference,
            low: d.relativeInterval[0],
            high: d.relativeInterval[1],
            significant: d.significant,
          },
        ],
  );
  return { values, differences };
}
