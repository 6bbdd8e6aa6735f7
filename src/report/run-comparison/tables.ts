import { formatPercent, formatSigned, formatStat, NO_VALUE } from '../format.ts';
import type { Interval } from '../statistics/resampling.ts';
import type { TextTable } from '../tables.ts';
import type { RunComparisonReport, RunComparisonStatReport } from './model.ts';

/** The tables and texts compare.md and compare.html share. */

/** How the numbers were made, in one paragraph. */
export function methodText(report: RunComparisonReport): string {
  const m = report.method;
  return (
    `Baseline: ${report.runs[0]?.label ?? report.baseline}. Values are over the ${m.phase} phase, all series pooled; ` +
    `intervals are ${Math.round(m.confidence * 100)}% ${m.interval} (${m.resamples.toLocaleString('en-US')} resamples, seed ${m.seed}). ` +
    'Samples of a time series are correlated, so the intervals are on the narrow side.'
  );
}

/** The runs compared, the baseline first. */
export function runsTable(report: RunComparisonReport): TextTable {
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

/** One statistic of one metric: each run's value and its difference with the baseline. */
export function statTable(s: RunComparisonStatReport, unit: string): TextTable {
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

/** The points of a metric's chart: each run's value and each relative difference, with intervals. */
export function chartValues(s: RunComparisonStatReport): {
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
