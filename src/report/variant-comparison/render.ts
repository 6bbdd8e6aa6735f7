import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from '../chart.ts';
import type {
  ArmComparison,
  ArmValue,
  ComparisonMetricDef,
  VariantComparisonReport,
  SizeMetricResult,
} from './model.ts';
import type { Interval } from '../statistics/resampling.ts';
import { formatNumber, formatPercent, formatSigned, formatStat, NO_VALUE, windowDuration } from '../format.ts';
import { writeFileAtomic } from '../raw.ts';
import { describeProvisioning } from '../model.ts';
import { esc, htmlPage, htmlTable } from '../render-html.ts';
import { escapeInline, markdownTable } from '../render-md.ts';
import type { TextTable } from '../tables.ts';
import { REPORT_FILES } from '../write.ts';

/**
 * The report of a `bench compare` run (report.md, report.html, summary.json in its run
 * directory): the run, the verdicts, the method, the identical parameters, the schedule as it
 * ran, and per metric a table with a row per size (each arm's median and interval, each arm
 * against the baseline: relative difference, test, effect size, verdict), its values per
 * repetition, and in the HTML a chart of the metric over the sizes with a line and a confidence
 * band per arm. Pure functions of the model, so the files can be rendered again from summary.json.
 */

/** Line colours of the arms, in arm order (the baseline first); repeated past the sixth arm. */
export const ARM_COLORS = ['#1f4e8c', '#d9730d', '#2e8b57', '#b3261e', '#7b5ea7', '#8c6d1f'];

const CHART_WIDTH = 720;
const CHART_HEIGHT = 260;

// ---------------------------------------------------------------------------------------------
// report.md

/** report.md of a comparison run. */
export function renderVariantComparisonMarkdown(report: VariantComparisonReport): string {
  const out: string[] = [];
  out.push(`# ${escapeInline(variantComparisonTitle(report))}`, '');
  const note = report.simulation?.note;
  if (note) out.push(`> **Simulated:** ${escapeInline(note)}`, '');
  out.push(markdownTable(runTable(report)), '');

  out.push('## Verdicts', '');
  if (report.verdicts.length === 0) out.push('No verdict: nothing was compared.', '');
  else
    out.push(
      ...report.verdicts.map((v) => `- ${verdictClass(v, report) ? `**${escapeInline(v)}**` : escapeInline(v)}`),
      '',
    );

  out.push('## Method', '', escapeInline(methodText(report)), '');

  out.push('## Parameters', '');
  out.push(paramsIntro(report), '');
  if (Object.keys(report.params).length > 0) out.push(markdownTable(paramsTable(report)), '');
  if (report.armParams) out.push(ARM_PARAMS_INTRO, '', markdownTable(armParamsTable(report)), '');

  out.push('## Schedule', '');
  out.push(escapeInline(scheduleIntro(report)), '');
  if (report.schedule.length > 0) out.push(markdownTable(scheduleTable(report)), '');

  out.push('## Metrics', '');
  if (report.metrics.length === 0) out.push('No metric was compared.', '');
  for (const metric of report.metrics) {
    out.push(`### ${escapeInline(metricHeading(metric))}`, '');
    out.push(escapeInline(metricAbout(metric, report)), '');
    if (metric.description) out.push(escapeInline(metric.description), '');
    const missing = report.missing[metric.id];
    if (missing !== undefined) out.push(`> **missing:** ${escapeInline(missing)}`, '');
    if (!hasData(report, metric)) {
      if (missing === undefined) out.push('> **missing:** no arm has data for this metric at any size', '');
      continue;
    }
    out.push(markdownStyledTable(resultTable(report, metric)), '');
    out.push(escapeInline(REPETITIONS_CAPTION), '');
    out.push(markdownTable(repetitionTable(report, metric)), '');
  }

  out.push('## Missing data', '');
  const missing = missingLines(report);
  if (missing.length === 0) out.push(NOTHING_MISSING);
  else out.push(...missing.map((line) => `- ${escapeInline(line)}`));
  out.push('');
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// report.html

/** report.html of a comparison run: the sections of report.md, a chart above each metric's table. */
export async function renderVariantComparisonHtml(report: VariantComparisonReport): Promise<string> {
  const sections: string[] = [];
  for (const metric of report.metrics) sections.push(await metricSectionHtml(report, metric));
  const missing = missingLines(report);
  const verdicts =
    report.verdicts.length === 0
      ? '<p>No verdict: nothing was compared.</p>'
      : `<ul class="verdicts">${report.verdicts
          .map((v) => {
            const cls = verdictClass(v, report);
            return `<li${cls ? ` class="${cls}"` : ''}>${esc(v)}</li>`;
          })
          .join('\n')}</ul>`;
  const note = report.simulation?.note;
  const simulated = note ? `<div class="simulated" role="note"><strong>Simulated:</strong> ${esc(note)}</div>\n` : '';
  return htmlPage(
    variantComparisonTitle(report),
    `${simulated}${htmlTable(runTable(report), 'run')}
<h2>Verdicts</h2>
${verdicts}
<h2>Method</h2>
<p class="method">${esc(methodText(report))}</p>
<h2>Parameters</h2>
<p>${esc(paramsIntro(report))}</p>
${Object.keys(report.params).length > 0 ? htmlTable(paramsTable(report), 'params') : ''}
${report.armParams ? `<p>${esc(ARM_PARAMS_INTRO)}</p>\n${htmlTable(armParamsTable(report), 'params')}` : ''}
<h2>Schedule</h2>
<p>${esc(scheduleIntro(report))}</p>
${report.schedule.length > 0 ? htmlTable(scheduleTable(report), 'schedule') : ''}
<h2>Metrics</h2>
${report.metrics.length === 0 ? '<p>No metric was compared.</p>' : sections.join('\n')}
<h2>Missing data</h2>
${missing.length === 0 ? `<p>${esc(NOTHING_MISSING)}</p>` : `<ul class="missing-list">${missing.map((m) => `<li>${esc(m)}</li>`).join('')}</ul>`}`,
    COMPARISON_STYLE,
  );
}

async function metricSectionHtml(report: VariantComparisonReport, metric: ComparisonMetricDef): Promise<string> {
  const parts = [
    `<section class="metric" id="metric-${esc(metric.id)}">`,
    `<h3>${esc(metric.label)}${metric.unit ? ` <small>(${esc(metric.unit)})</small>` : ''}</h3>`,
    `<p class="about">${esc(metricAbout(metric, report))}</p>`,
  ];
  if (metric.description) parts.push(`<p>${esc(metric.description)}</p>`);
  const missing = report.missing[metric.id];
  if (missing !== undefined || !hasData(report, metric)) {
    parts.push(
      `<div class="missing" role="note"><strong>missing:</strong> ${esc(missing ?? 'no arm has data for this metric at any size')}</div>`,
    );
  }
  if (hasData(report, metric)) {
    const svg = await renderSvg(variantComparisonChartSpec(report, metric));
    parts.push(`<figure class="chart">${svg}</figure>`);
    parts.push(htmlStyledTable(resultTable(report, metric), 'comparison'));
    parts.push(`<p class="caption">${esc(REPETITIONS_CAPTION)}</p>`);
    parts.push(htmlTable(repetitionTable(report, metric), 'repetitions'));
  }
  parts.push('</section>');
  return parts.join('\n');
}

/** The comparison page's own rules, on top of the shared style sheet. */
const COMPARISON_STYLE = `
ul.verdicts { padding-left: 1.2rem; } ul.verdicts li { margin: .3rem 0; color: #444; }
ul.verdicts li.significant { color: #111; font-weight: 700; list-style: none; margin-left: -1.2rem; padding: .3rem .6rem; border-left: 5px solid #555; background: #f3f3f3; }
ul.verdicts li.significant.better { border-left-color: #1b7a3a; background: #eef7f0; }
ul.verdicts li.significant.worse { border-left-color: #b3261e; background: #fdf0ef; }
p.method, p.about, p.caption { color: #444; font-size: .9rem; }
table.comparison { font-size: .85rem; }
table.comparison td, table.repetitions td { font-variant-numeric: tabular-nums; }
table.comparison td.num, table.repetitions td { white-space: nowrap; }
table.comparison td.verdict { min-width: 12rem; }
table.comparison td.significant { font-weight: 700; }
table.comparison td.significant.better { color: #1b7a3a; }
table.comparison td.significant.worse { color: #b3261e; }
table.comparison td.no-data, table.repetitions td.no-data { color: #9a5b00; }
table.schedule td { font-variant-numeric: tabular-nums; }
`;

// ---------------------------------------------------------------------------------------------
// Chart

/**
 * The chart of one metric over the sizes: x = the sweep parameter (log2 when the sizes are powers
 * of two or span more than 4x, ticks at the sizes), y = the metric; per arm a line through its
 * medians, points, and its confidence band (translucent, in the line's colour) with the interval
 * as a bar at each size. A size where an arm has no data is absent: its line breaks there.
 */
export function variantComparisonChartSpec(report: VariantComparisonReport, metric: ComparisonMetricDef): TopLevelSpec {
  const arms = report.arms.map((a) => a.name);
  const sizes = [...new Set(report.sizes)].sort((a, b) => a - b);
  const rows: { arm: string; size: number; median: number | null; low: number | null; high: number | null }[] = [];
  for (const arm of arms) {
    for (const size of sizes) {
      const v = armValue(report, metric.id, size, arm);
      const median = finite(v?.median);
      const interval = median === null ? null : (v?.interval ?? null);
      rows.push({
        arm,
        size,
        median,
        low: interval ? finite(interval[0]) : null,
        high: interval ? finite(interval[1]) : null,
      });
    }
  }
  const values = rows.flatMap((r) => [r.median, r.low, r.high]).filter((v): v is number => v !== null);
  // A flat metric (the same value everywhere, often 0) gives a zero-height domain: widen it.
  const flat = values.length > 0 && values.every((v) => v === values[0]);
  const level = flat ? (values[0] as number) : 0;
  const yScale: Record<string, unknown> = flat
    ? { domain: [Math.min(0, level * 1.1), Math.max(1, level * 1.1)] }
    : { zero: false, nice: true };
  const min = sizes[0] ?? 1;
  const max = sizes[sizes.length - 1] ?? 1;
  const log = useLogScale(sizes);
  const xScale: Record<string, unknown> =
    sizes.length < 2
      ? { domain: [min / 2, min * 1.5], nice: false }
      : log
        ? { type: 'log', base: 2, domain: [min, max], nice: false, padding: 28 }
        : { domain: [min, max], nice: false, zero: false, padding: 28 };
  const x = {
    field: 'size',
    type: 'quantitative',
    title: log ? `${report.sweepParam} (log scale)` : report.sweepParam,
    scale: xScale,
    axis: { values: sizes, format: ',d', grid: true, labelFontSize: 12 },
  };
  // The same colour encoding (legend included) on every layer, so Vega-Lite merges them into one legend.
  const color = {
    field: 'arm',
    type: 'nominal',
    scale: { domain: arms, range: arms.map((_, i) => ARM_COLORS[i % ARM_COLORS.length] as string) },
    legend: {
      orient: 'top',
      direction: 'horizontal',
      title: null,
      labelFontSize: 13,
      symbolType: 'stroke',
      symbolStrokeWidth: 3,
      symbolSize: 300,
      symbolOpacity: 1,
    },
  };
  const yTitle = metric.unit ? `${metric.label} (${metric.unit})` : metric.label;
  const confidence = `${formatNumber(report.method.confidence * 100)}%`;
  const better = metric.better ? ` (${metric.better} is better)` : '';
  return {
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    title: {
      text: `${metric.label} by ${report.sweepParam}${better}`,
      subtitle: `median of ${report.repeat} repetition${report.repeat === 1 ? '' : 's'} per size; band and bars: ${confidence} confidence interval`,
      anchor: 'start',
    },
    data: { values: rows },
    layer: [
      {
        mark: { type: 'area', opacity: 0.16, interpolate: 'linear' },
        encoding: {
          x,
          y: { field: 'low', type: 'quantitative' },
          y2: { field: 'high' },
          color,
          detail: { field: 'arm' },
        },
      },
      {
        mark: { type: 'rule', strokeWidth: 1.5, opacity: 0.55 },
        encoding: { x, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' }, color },
      },
      {
        mark: { type: 'line', strokeWidth: 2.5, interpolate: 'linear' },
        encoding: {
          x,
          y: { field: 'median', type: 'quantitative', title: yTitle, scale: yScale },
          color,
          detail: { field: 'arm' },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 70, opacity: 1 },
        encoding: { x, y: { field: 'median', type: 'quantitative' }, color },
      },
    ],
    config: {
      font: 'sans-serif',
      view: { stroke: '#ccc' },
      title: { fontSize: 14, subtitleFontSize: 11, subtitleColor: '#555' },
      axis: { labelColor: '#333', titleColor: '#333', labelFontSize: 11, titleFontSize: 12 },
    },
  } as unknown as TopLevelSpec;
}

/** log2 on the x axis when the sizes are all powers of two or span more than 4x. */
function useLogScale(sizes: readonly number[]): boolean {
  if (sizes.length < 2 || sizes.some((s) => !(s > 0))) return false;
  const powersOfTwo = sizes.every((s) => Number.isInteger(Math.log2(s)));
  return powersOfTwo || (sizes[sizes.length - 1] as number) / (sizes[0] as number) > 4;
}

// ---------------------------------------------------------------------------------------------
// Writing

/** Paths of the comparison report files written. */
export interface WrittenVariantComparisonReports {
  md: string;
  html: string;
  json: string;
}

/**
 * Writes report.md, report.html and summary.json (the model, pretty-printed) into the comparison
 * run's directory, each atomically. Everything is rendered before the first file is written, so
 * a renderer that fails leaves the previous files as they were, never a mix.
 */
export async function writeVariantComparisonReports(
  runDir: string,
  report: VariantComparisonReport,
): Promise<WrittenVariantComparisonReports> {
  const contents: [keyof WrittenVariantComparisonReports, string][] = [
    ['json', `${JSON.stringify(report, null, 2)}\n`],
    ['md', renderVariantComparisonMarkdown(report)],
    ['html', await renderVariantComparisonHtml(report)],
  ];
  mkdirSync(runDir, { recursive: true });
  const written: Partial<WrittenVariantComparisonReports> = {};
  for (const [kind, text] of contents) {
    const path = join(runDir, REPORT_FILES[kind]);
    writeFileAtomic(path, text);
    written[kind] = path;
  }
  return written as WrittenVariantComparisonReports;
}

// ---------------------------------------------------------------------------------------------
// The sections, as text (shared by report.md and report.html)

const NOTHING_MISSING = 'Nothing is missing: every arm has data for every metric at every size.';

const REPETITIONS_CAPTION =
  'Per repetition: each trial’s value, in repetition order; n: the units pooled over the repetitions (requests, seconds, …).';

/** `koorde comparison: chord vs koorde`. */
export function variantComparisonTitle(report: VariantComparisonReport): string {
  return `${report.run.suite} comparison: ${report.arms.map((a) => a.name).join(' vs ')}`;
}

function runTable(report: VariantComparisonReport): TextTable {
  const { run } = report;
  const arms = report.arms.map((a, i) => {
    const notes = [
      i === 0 ? 'baseline' : '',
      a.variant !== a.name ? `variant ${a.variant}` : '',
      `namespace ${a.namespace}`,
    ];
    return `${a.name} (${notes.filter(Boolean).join(', ')})`;
  });
  return {
    header: ['', ''],
    rows: [
      ['run', run.runId],
      ['suite', run.suite],
      ['target', run.target],
      ['status', run.status],
      [
        'mode',
        report.mode === 'side-by-side'
          ? 'side by side: the arms run at the same time'
          : 'sequential: one arm after another, in a random order per trial',
      ],
      ['arms', arms.join('; ')],
      ['sizes', `${report.sweepParam}: ${report.sizes.map((s) => formatNumber(s)).join(', ')}`],
      ['repetitions', `${report.repeat} per size`],
      ['started', run.startedAt],
      ['ended', run.endedAt ?? NO_VALUE],
      ['provisioned with', describeProvisioning(run.tofu, run.target)],
    ],
  };
}

function methodText(report: VariantComparisonReport): string {
  const m = report.method;
  const parts = [m.description.trim()];
  parts.push(
    `Confidence ${formatNumber(m.confidence * 100)}%; differences within ±${formatNumber(m.threshold * 100)}% are not called significant; ` +
      `${m.resamples.toLocaleString('en-US')} bootstrap resamples, seed ${m.seed}; test: ${m.test}; correction for multiple comparisons: ${m.correction}. ` +
      `Baseline: ${report.arms[0]?.name ?? NO_VALUE}.`,
  );
  return parts.filter(Boolean).join(' ');
}

function paramsIntro(report: VariantComparisonReport): string {
  return Object.keys(report.params).length === 0
    ? 'No parameter besides the sizes.'
    : `Identical for every arm (the sizes aside: ${report.sweepParam} is swept).`;
}

const ARM_PARAMS_INTRO = 'Different by arm (what each variant sets):';

/** A row per parameter that differs by arm, a column per arm. */
function armParamsTable(report: VariantComparisonReport): TextTable {
  const arms = report.arms.map((a) => a.name);
  const keys = [...new Set(Object.values(report.armParams ?? {}).flatMap((p) => Object.keys(p)))];
  return {
    header: ['parameter', ...arms],
    rows: keys.map((k) => [k, ...arms.map((a) => String(report.armParams?.[a]?.[k] ?? NO_VALUE))]),
  };
}

function paramsTable(report: VariantComparisonReport): TextTable {
  return {
    header: ['parameter', 'value'],
    rows: Object.entries(report.params).map(([k, v]) => [k, String(v)]),
  };
}

function scheduleIntro(report: VariantComparisonReport): string {
  const trials = report.schedule.length;
  if (trials === 0) return 'No trial ran.';
  const how =
    report.mode === 'side-by-side' ? 'every arm at the same time' : 'one arm after another, in the order shown';
  return `${trials} trial${trials === 1 ? '' : 's'} in the order they ran (${how}); each a warm-up, then the measured window shown per arm.`;
}

function scheduleTable(report: VariantComparisonReport): TextTable {
  const arms = report.arms.map((a) => a.name);
  const join = report.mode === 'side-by-side' ? ' + ' : ' → ';
  return {
    header: ['order', report.sweepParam, 'repetition', 'arms (run order)', ...arms.map((a) => `${a} window`)],
    rows: [...report.schedule]
      .sort((a, b) => a.order - b.order)
      .map((t) => [
        String(t.order),
        formatNumber(t.size),
        String(t.repetition),
        t.arms.join(join),
        ...arms.map((a) => {
          const w = t.windows[a];
          return w ? windowText(w) : NO_VALUE;
        }),
      ]),
  };
}

/** `2026-03-01T12:00:20Z → 12:02:20Z (2m)`: the end without its date when it is the same day. */
function windowText(w: { start: string; end: string }): string {
  const sameDay = w.start.slice(0, 11) === w.end.slice(0, 11) && w.end.length > 11;
  return `${w.start} → ${sameDay ? w.end.slice(11) : w.end} (${windowDuration(w)})`;
}

function metricHeading(metric: ComparisonMetricDef): string {
  return metric.unit ? `${metric.label} (${metric.unit})` : metric.label;
}

/** `latency.p95; lower is better; per trial: the p95 of its units; per size: the median of 3 repetitions`. */
function metricAbout(metric: ComparisonMetricDef, report: VariantComparisonReport): string {
  const e = metric.estimator;
  const perTrial =
    e.kind === 'quantile'
      ? `the ${quantileName(e.q)} of its units`
      : e.kind === 'mean'
        ? 'the mean of its units'
        : 'its single value';
  const better = metric.better ? `${metric.better} is better` : 'neither higher nor lower is better';
  const reps = `${report.repeat} repetition${report.repeat === 1 ? '' : 's'}`;
  return `${metric.id}: ${better}. Per trial: ${perTrial}; per size: the median of the ${reps}, with its ${formatNumber(report.method.confidence * 100)}% bootstrap interval.`;
}

function quantileName(q: number): string {
  const p = q * 100;
  return Number.isInteger(p) ? `p${p}` : `${formatNumber(q)}-quantile`;
}

/** A table whose cells may carry classes (significant verdicts, no data). */
interface StyledTable extends TextTable {
  /** Per row, per cell: space-separated classes, '' for none. */
  classes: string[][];
}

/**
 * A metric's results: a row per size; each arm's median [interval]; then per arm after the
 * baseline: relative difference [interval], p (adjusted), Cliff's delta, verdict.
 */
function resultTable(report: VariantComparisonReport, metric: ComparisonMetricDef): StyledTable {
  const arms = report.arms.map((a) => a.name);
  const baseline = arms[0] ?? '';
  const others = arms.slice(1);
  const prefix = (arm: string) => (others.length > 1 ? `${arm}: ` : '');
  const confidence = `${formatNumber(report.method.confidence * 100)}% CI`;
  const header = [
    report.sweepParam,
    ...arms.map((a) => `${a} median [${confidence}]`),
    ...others.flatMap((a) => [
      `${a} vs ${baseline} [${confidence}]`,
      `${prefix(a)}p (adjusted)`,
      `${prefix(a)}Cliff's δ`,
      `${prefix(a)}verdict`,
    ]),
  ];
  const rows: string[][] = [];
  const classes: string[][] = [];
  for (const size of report.sizes) {
    const result = resultOf(report, metric.id, size);
    const row = [formatNumber(size)];
    const cls = [''];
    for (const arm of arms) {
      const v = result?.values.find((x) => x.arm === arm);
      row.push(medianText(v, metric.unit));
      cls.push(v === undefined || v.median === null ? 'no-data' : 'num');
    }
    for (const arm of others) {
      const c = result?.comparisons.find((x) => x.arm === arm);
      row.push(relativeText(c, metric.unit), pText(c), deltaText(c), c?.text || (c ? c.verdict : 'no data'));
      const v = verdictCellClass(c, metric);
      // A relative difference stays on one line; the longer absolute one (baseline 0) may wrap.
      cls.push(c?.relativeDifference == null ? '' : 'num', '', '', `verdict${v ? ` ${v}` : ''}`);
    }
    rows.push(row);
    classes.push(cls);
  }
  return { header, rows, classes };
}

/** A metric's per-repetition values: a row per size, a column per arm. */
function repetitionTable(report: VariantComparisonReport, metric: ComparisonMetricDef): TextTable {
  const arms = report.arms.map((a) => a.name);
  return {
    header: [report.sweepParam, ...arms.map((a) => `${a} per repetition`)],
    rows: report.sizes.map((size) => {
      const result = resultOf(report, metric.id, size);
      return [
        formatNumber(size),
        ...arms.map((arm) => {
          const v = result?.values.find((x) => x.arm === arm);
          if (v === undefined || v.repetitions.length === 0) return 'no data';
          const reps = v.repetitions.map((r) => (r === null ? NO_VALUE : formatNumber(r))).join(', ');
          return `${reps} (n = ${v.units.toLocaleString('en-US')})`;
        }),
      ];
    }),
  };
}

function medianText(v: ArmValue | undefined, unit: string): string {
  if (v === undefined || v.median === null) return 'no data';
  const interval = v.interval === null ? '' : ` ${intervalText(v.interval, formatNumber)}`;
  return `${formatStat(v.median, unit)}${interval}`;
}

/** The relative difference and its interval; the absolute difference when the baseline is 0. */
function relativeText(c: ArmComparison | undefined, unit: string): string {
  if (c === undefined || c.difference === null) return NO_VALUE;
  if (c.relativeDifference !== null) {
    const interval = c.relativeInterval === null ? '' : ` ${intervalText(c.relativeInterval, formatPercent)}`;
    return `${formatPercent(c.relativeDifference)}${interval}`;
  }
  const signed = (x: number) => `${x > 0 ? '+' : ''}${formatNumber(x)}`;
  const interval = c.interval === null ? '' : ` ${intervalText(c.interval, signed)}`;
  return `${formatSigned(c.difference, unit)}${interval} (absolute; the baseline is 0)`;
}

function pText(c: ArmComparison | undefined): string {
  if (c?.test == null) return NO_VALUE;
  return `${formatP(c.test.p)} (adj. ${formatP(c.test.pAdjusted)})`;
}

/** A p-value: 3 significant digits, `< 0.001` below that. */
export function formatP(p: number): string {
  if (!Number.isFinite(p)) return NO_VALUE;
  return p < 0.001 ? '< 0.001' : formatNumber(p);
}

function deltaText(c: ArmComparison | undefined): string {
  if (c?.effectSize == null) return NO_VALUE;
  const v = c.effectSize.value;
  return `${v > 0 ? '+' : ''}${v.toFixed(2)} (${c.effectSize.magnitude})`;
}

function intervalText(interval: Interval, format: (x: number) => string): string {
  return `[${format(interval[0])}, ${format(interval[1])}]`;
}

/** `significant better` / `significant worse` / `significant` / `no-data` / ''. */
function verdictCellClass(c: ArmComparison | undefined, metric: ComparisonMetricDef): string {
  if (c === undefined || c.verdict === 'no-data') return 'no-data';
  if (!c.significant) return '';
  return ['significant', direction(c, metric)].filter(Boolean).join(' ');
}

function direction(c: ArmComparison, metric: ComparisonMetricDef): string {
  if (metric.better === undefined || (c.verdict !== 'lower' && c.verdict !== 'higher')) return '';
  return c.verdict === metric.better ? 'better' : 'worse';
}

/**
 * Whether a verdict line states a significant finding, and which way: it holds the text of a
 * significant comparison (the line with its class), else it says `lower` or `higher` and not
 * `no significant difference` / `no data`. '' for the lines that state no finding.
 */
function verdictClass(line: string, report: VariantComparisonReport): string {
  for (const r of report.results) {
    const metric = report.metrics.find((m) => m.id === r.metric);
    for (const c of r.comparisons) {
      if (c.significant && c.text !== '' && line.includes(c.text)) {
        return ['significant', metric ? direction(c, metric) : ''].filter(Boolean).join(' ');
      }
    }
  }
  if (/no significant difference|no data|not significant|too few (repetitions|samples) to test/i.test(line)) return '';
  return /\b(lower|higher)\b/i.test(line) ? 'significant' : '';
}

/** What is missing: metrics without data (and why), then sizes and repetitions an arm has no value for. */
function missingLines(report: VariantComparisonReport): string[] {
  const lines: string[] = [];
  const labelOf = (id: string) => {
    const m = report.metrics.find((x) => x.id === id);
    return m ? `${m.label} (${id})` : id;
  };
  for (const [id, why] of Object.entries(report.missing)) lines.push(`metric ${labelOf(id)}: ${why}`);
  const arms = report.arms.map((a) => a.name);
  for (const metric of report.metrics) {
    if (report.missing[metric.id] !== undefined && !hasData(report, metric)) continue;
    if (!hasData(report, metric)) {
      lines.push(`metric ${labelOf(metric.id)}: no arm has data at any ${report.sweepParam}`);
      continue;
    }
    for (const size of report.sizes) {
      const at = `${labelOf(metric.id)}, ${report.sweepParam} = ${formatNumber(size)}`;
      const result = resultOf(report, metric.id, size);
      if (result === undefined) {
        lines.push(`${at}: no result`);
        continue;
      }
      const without = arms.filter((arm) => {
        const v = result.values.find((x) => x.arm === arm);
        return v === undefined || v.median === null;
      });
      if (without.length > 0) lines.push(`${at}: no data from ${without.join(', ')}`);
      for (const v of result.values) {
        if (v.median === null) continue;
        const reps = v.repetitions.flatMap((r, i) => (r === null ? [i + 1] : []));
        if (reps.length > 0) {
          lines.push(
            `${at}: ${v.arm} has no value in repetition${reps.length === 1 ? '' : 's'} ${reps.join(', ')} of ${v.repetitions.length}`,
          );
        }
      }
    }
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Look-ups and small renderers

function resultOf(report: VariantComparisonReport, metric: string, size: number): SizeMetricResult | undefined {
  return report.results.find((r) => r.metric === metric && r.size === size);
}

function armValue(report: VariantComparisonReport, metric: string, size: number, arm: string): ArmValue | undefined {
  return resultOf(report, metric, size)?.values.find((v) => v.arm === arm);
}

function hasData(report: VariantComparisonReport, metric: ComparisonMetricDef): boolean {
  return report.results.some((r) => r.metric === metric.id && r.values.some((v) => finite(v.median) !== null));
}

function finite(v: number | null | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function markdownStyledTable(t: StyledTable): string {
  return markdownTable({
    header: t.header,
    rows: t.rows.map((row, i) =>
      row.map((cell, j) => ((t.classes[i]?.[j] ?? '').split(' ').includes('significant') ? `**${cell}**` : cell)),
    ),
  });
}

function htmlStyledTable(t: StyledTable, cls: string): string {
  const head = `<thead><tr>${t.header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>`;
  const body = t.rows
    .map((row, i) => {
      const cells = row.map((c, j) => {
        const k = t.classes[i]?.[j] ?? '';
        return `<td${k ? ` class="${esc(k)}"` : ''}>${esc(c)}</td>`;
      });
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('\n');
  return `<table class="${esc(cls)}">${head}<tbody>\n${body}\n</tbody></table>`;
}
