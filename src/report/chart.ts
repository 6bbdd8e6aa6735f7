import { createLTTB } from 'downsample';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { PHASES, type PhaseName, type StatName } from '../suite/schema.ts';
import { binaryUnit, formatStat, isBytesUnit } from './format.ts';
import { formatLabels } from './model.ts';
import type { PhaseWindow, RawMetric } from './raw.ts';
import { sampleValue } from './stats.ts';

/**
 * Charts as inline SVG, rendered in-process by Vega (no browser, no network): the HTML reports
 * embed the SVG text, so they stay one self-contained file.
 */

/** Points per series a chart keeps; enough for a 1,000-pixel-wide line to look exact. */
export const MAX_POINTS_PER_SERIES = 600;

/** Fill colours of the phase bands, light enough for the lines to stay readable on them. */
export const PHASE_COLORS: Record<PhaseName, string> = { ramp: '#f2b447', active: '#4c9f70', cooldown: '#5b8ec9' };

const CHART_WIDTH = 880;
const CHART_HEIGHT = 240;

/** Renders a Vega-Lite spec to SVG text. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const lttb = createLTTB<[number, number]>({ x: (p) => p[0], y: (p) => p[1] });

/**
 * A series reduced to at most `max` points with Largest-Triangle-Three-Buckets, which keeps the
 * peaks and dips a plain every-nth-sample cut would lose. Non-finite values are left out (a line
 * cannot be drawn through them) and the points are put in time order first.
 */
export function downsampleSeries(
  samples: readonly (readonly [number, unknown])[],
  max: number = MAX_POINTS_PER_SERIES,
): [number, number][] {
  const points: [number, number][] = [];
  for (const [t, raw] of samples) {
    const v = sampleValue(raw);
    if (Number.isFinite(v) && Number.isFinite(t)) points.push([t, v]);
  }
  points.sort((a, b) => a[0] - b[0]);
  if (points.length <= max) return points;
  return Array.from(lttb(points, max) as [number, number][]);
}

/** The instant charts count seconds from: the start of the first phase, else of the data. */
export function chartOrigin(windows: readonly PhaseWindow[], raw: Iterable<RawMetric>): number {
  const first = windows[0];
  if (first) return Date.parse(first.start);
  let earliest = Infinity;
  for (const r of raw) {
    const start = Date.parse(r.start);
    if (Number.isFinite(start)) earliest = Math.min(earliest, start);
  }
  return Number.isFinite(earliest) ? earliest : 0;
}

/**
 * Legend names of a metric's series: only the labels whose values differ between the series
 * (`instance=node-1`), not every label of each (`{instance="…", job="…", service_name="…"}`,
 * which a legend truncates into soup). One series, or series that differ in no label, are named
 * after the metric.
 */
export function seriesNames(series: readonly { labels: Record<string, string> }[], metric: string): string[] {
  const keys = [...new Set(series.flatMap((s) => Object.keys(s.labels)))].sort();
  const varying = keys.filter((k) => new Set(series.map((s) => s.labels[k] ?? '')).size > 1);
  if (varying.length === 0) return series.map((_, i) => (series.length === 1 ? metric : `${metric} #${i + 1}`));
  const names = series.map((s) => varying.map((k) => `${k}=${s.labels[k] ?? ''}`).join(', '));
  // Distinct by construction of `varying`, unless two series share every varying value: fall back to the full labels.
  return new Set(names).size === names.length ? names : series.map((s) => formatLabels(s.labels));
}

/** A gate drawn on a chart: its threshold as a dashed rule, labelled. */
export interface ChartThreshold {
  value: number;
  /** e.g. `gate: mean during active >= 50,000 logs/s`. */
  label: string;
}

/**
 * The chart of one metric over the whole run: a line per series (x = seconds since the first
 * phase started), the phase windows as shaded, labelled bands behind the lines, and each gate's
 * threshold as a dashed rule. Bytes are drawn in the binary unit their largest value reads best
 * in (MiB, GiB).
 */
export function metricChartSpec(input: {
  title: string;
  unit: string;
  raw: RawMetric;
  windows: readonly PhaseWindow[];
  originMs: number;
  thresholds?: readonly ChartThreshold[];
}): TopLevelSpec {
  const secondsOf = (iso: string) => round((Date.parse(iso) - input.originMs) / 1000, 3);
  const bands = input.windows.map((w) => ({ phase: w.phase, start: secondsOf(w.start), end: secondsOf(w.end) }));
  const names = seriesNames(input.raw.series, input.raw.metric);
  const unscaled = input.raw.series.flatMap((s, i) =>
    downsampleSeries(s.samples).map(([t, v]) => ({
      t: round(t - input.originMs / 1000, 3),
      v,
      series: names[i] as string,
    })),
  );
  const thresholdValues = (input.thresholds ?? []).map((t) => t.value);
  let axisUnit = input.unit;
  let divisor = 1;
  if (isBytesUnit(input.unit)) {
    const largest = Math.max(0, ...unscaled.map((p) => Math.abs(p.v)), ...thresholdValues.map(Math.abs));
    ({ unit: axisUnit, divisor } = binaryUnit(largest));
  }
  const points = divisor === 1 ? unscaled : unscaled.map((p) => ({ ...p, v: p.v / divisor }));
  const rules = (input.thresholds ?? []).map((t) => ({ v: t.value / divisor, label: t.label }));
  const multiSeries = input.raw.series.length > 1;
  // A flat line (no export failures at all) gives a zero-height domain, which Vega draws as one
  // meaningless tick: widen it so the line sits on a readable axis (and its threshold shows).
  const values = points.map((p) => p.v);
  const flat = values.length > 0 && values.every((v) => v === values[0]);
  const level = flat ? (values[0] as number) : 0;
  const around = [level, ...rules.map((r) => r.v)];
  const yScale = flat
    ? { domain: [Math.min(0, ...around.map((v) => v * 1.1)), Math.max(1, ...around.map((v) => v * 1.1))] }
    : {};
  const layers: Record<string, unknown>[] = [
    {
      data: { values: bands },
      mark: { type: 'rect', opacity: 0.14 },
      encoding: {
        x: { field: 'start', type: 'quantitative' },
        x2: { field: 'end' },
        color: {
          field: 'phase',
          type: 'nominal',
          scale: { domain: [...PHASES], range: PHASES.map((p) => PHASE_COLORS[p]) },
          legend: null,
        },
      },
    },
    {
      data: { values: bands },
      mark: { type: 'text', align: 'left', baseline: 'top', dx: 4, dy: 4, fontSize: 11, color: '#444' },
      encoding: {
        x: { field: 'start', type: 'quantitative' },
        y: { value: 0 },
        text: { field: 'phase', type: 'nominal' },
      },
    },
    {
      data: { values: points },
      mark: { type: 'line', strokeWidth: 1.5, interpolate: 'linear' },
      encoding: {
        x: { field: 't', type: 'quantitative', title: 'seconds since the ramp started' },
        y: { field: 'v', type: 'quantitative', title: axisUnit, scale: yScale },
        color: multiSeries
          ? { field: 'series', type: 'nominal', legend: { orient: 'bottom', title: null, labelLimit: 400, columns: 4 } }
          : { value: '#1f4e8c' },
        detail: { field: 'series', type: 'nominal' },
      },
    },
  ];
  if (rules.length > 0) {
    layers.push(
      {
        data: { values: rules },
        mark: { type: 'rule', color: '#b3261e', strokeDash: [6, 4], strokeWidth: 1.5 },
        encoding: { y: { field: 'v', type: 'quantitative' } },
      },
      {
        data: { values: rules },
        mark: { type: 'text', align: 'right', baseline: 'bottom', dy: -3, fontSize: 11, color: '#b3261e' },
        encoding: {
          x: { value: CHART_WIDTH - 4 },
          y: { field: 'v', type: 'quantitative' },
          text: { field: 'label', type: 'nominal' },
        },
      },
    );
  }
  return {
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    title: { text: input.title, anchor: 'start' },
    layer: layers,
    resolve: { scale: { color: 'independent' } },
    config: { font: 'sans-serif', view: { stroke: '#ccc' } },
  } as unknown as TopLevelSpec;
}

/** A threshold's label: `gate: mean during active >= 50,000 logs/s`. */
export function thresholdLabel(
  gate: { stat: StatName; phase: string; op: string; threshold: number },
  unit: string,
): string {
  return `gate: ${gate.stat} during ${gate.phase} ${gate.op} ${formatStat(gate.threshold, unit, gate.stat)}`;
}

/**
 * A comparison chart: one point per run with its 95% confidence interval as an error bar, and
 * a second panel with each run's relative difference to the baseline (and its interval).
 */
export function runComparisonChartSpec(input: {
  title: string;
  unit: string;
  values: { run: string; value: number; low: number; high: number }[];
  differences: { run: string; value: number; low: number; high: number; significant: boolean }[];
}): TopLevelSpec {
  const runOrder = input.values.map((v) => v.run);
  const width = Math.max(160, Math.min(420, 90 * runOrder.length));
  const panel = (
    data: Record<string, unknown>[],
    title: string,
    axisTitle: string,
    extra: Record<string, unknown>[],
  ): Record<string, unknown> => ({
    width,
    height: 200,
    title: { text: title, fontSize: 12 },
    data: { values: data },
    layer: [
      ...extra,
      {
        mark: { type: 'rule', strokeWidth: 2 },
        encoding: {
          x: { field: 'run', type: 'nominal', sort: runOrder, title: null, axis: { labelAngle: 0, labelLimit: 200 } },
          y: { field: 'low', type: 'quantitative', title: axisTitle, scale: { zero: false } },
          y2: { field: 'high' },
          color: { value: '#555' },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 80 },
        encoding: {
          x: { field: 'run', type: 'nominal', sort: runOrder },
          y: { field: 'value', type: 'quantitative' },
          color: { value: '#1f4e8c' },
        },
      },
    ],
  });
  const concat: Record<string, unknown>[] = [panel(input.values, 'value (95% CI)', input.unit, [])];
  if (input.differences.length > 0) {
    concat.push(
      panel(
        input.differences.map((d) => ({ ...d, value: d.value * 100, low: d.low * 100, high: d.high * 100 })),
        'difference to baseline, % (95% CI)',
        '%',
        [{ mark: { type: 'rule', strokeDash: [4, 3], color: '#999' }, encoding: { y: { datum: 0 } } }],
      ),
    );
  }
  return {
    title: { text: input.title, anchor: 'start' },
    hconcat: concat,
    config: { font: 'sans-serif', view: { stroke: '#ccc' } },
  } as unknown as TopLevelSpec;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
