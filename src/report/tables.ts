import { PHASES } from '../suite/schema.ts';
import { formatNumber, formatStat, gateCondition, gateOutcome, NO_VALUE, windowDuration } from './format.ts';
import {
  describeProvisioning,
  formatLabels,
  gateName,
  type GateReport,
  type MetricReport,
  type RunReport,
} from './model.ts';

/**
 * The rows of the report's tables, as plain strings: report.md and report.html show the same
 * tables, so both are built from these.
 */

/** A table: its header and rows of cells, all text. */
export interface TextTable {
  header: string[];
  rows: string[][];
}

/** The run header: what ran, where, when and how it ended. */
export function runTable(report: RunReport): TextTable {
  const { run } = report;
  return {
    header: ['', ''],
    rows: [
      ['run', run.runId],
      ['suite', run.suite],
      ['target', run.target],
      ['status', run.status],
      ['started', run.startedAt],
      ['ended', run.endedAt ?? NO_VALUE],
      ['provisioned with', describeProvisioning(run.tofu, run.target)],
      ['gates', gateSummary(report)],
    ],
  };
}

/** One row per phase that ran: start, end (and how it is known) and duration. */
export function phaseTable(report: RunReport): TextTable {
  return {
    header: ['phase', 'start', 'end', 'duration'],
    rows: report.phases.map((w) => [w.phase, w.start, endNote(w.end, w.endSource), windowDuration(w)]),
  };
}

/** A metric's statistics: a row per phase x series, a column per statistic the suite asks for. */
export function metricTable(metric: MetricReport): TextTable {
  const rows: string[][] = [];
  for (const phase of PHASES) {
    const data = metric.phases[phase];
    if (data === undefined) continue;
    if (data.series.length === 0) {
      rows.push([phase, 'no samples', '0', ...metric.aggregate.map(() => NO_VALUE)]);
      continue;
    }
    for (const s of data.series) {
      rows.push([
        phase,
        formatLabels(s.labels),
        formatNumber(s.samples) + (s.dropped > 0 ? ` (+${formatNumber(s.dropped)} NaN dropped)` : ''),
        ...metric.aggregate.map((stat) => formatStat(s.stats[stat], metric.unit, stat)),
      ]);
    }
  }
  return { header: ['phase', 'series', 'samples', ...metric.aggregate], rows };
}

/** The gates: outcome, gate, the value(s) seen, the threshold, the description. */
export function gateTable(report: RunReport): TextTable {
  return {
    header: ['result', 'gate', 'value', 'threshold', 'description'],
    rows: report.gates.map((g) => {
      const unit = report.metrics.find((m) => m.name === g.metric)?.unit ?? '';
      return [gateOutcome(g), gateName(g), gateValues(g, unit), gateCondition(g, unit), g.description ?? ''];
    }),
  };
}

/** `2 of 3 passed, 1 without data`. */
export function gateSummary(report: RunReport): string {
  if (report.gates.length === 0) return 'none declared';
  const passed = report.gates.filter((g) => g.ok).length;
  const missing = report.gates.filter((g) => g.missing).length;
  const failed = report.gates.length - passed - missing;
  const parts = [`${passed} of ${report.gates.length} passed`];
  if (failed > 0) parts.push(`${failed} failed`);
  if (missing > 0) parts.push(`${missing} without data`);
  return parts.join(', ');
}

/** The values a gate saw: the single series' value, or each series', failing ones first. */
export function gateValues(gate: GateReport, unit: string, limit = 5): string {
  if (gate.results.length === 0) return gate.missing ? 'no data' : NO_VALUE;
  const fmt = (v: number | null) => (v === null ? 'no value' : formatStat(v, unit, gate.stat));
  const only = gate.results.length === 1 ? gate.results[0] : undefined;
  if (only) return fmt(only.value);
  const ordered = [...gate.results.filter((r) => !r.ok), ...gate.results.filter((r) => r.ok)];
  const shown = ordered.slice(0, limit).map((r) => `${fmt(r.value)} ${formatLabels(r.labels)}`);
  if (ordered.length > limit) shown.push(`… ${ordered.length - limit} more`);
  return shown.join('; ');
}

/** What is missing and why: metrics without data, gates without data, phases not (fully) recorded. */
export function missingLines(report: RunReport): string[] {
  const lines = report.metrics.filter((m) => m.missing !== undefined).map((m) => `metric ${m.name}: ${m.missing}`);
  for (const g of report.gates) {
    if (g.missing) lines.push(`gate ${gateName(g)}: no data (${g.reason ?? 'no value'})`);
  }
  const notRun = PHASES.filter((p) => !report.phases.some((w) => w.phase === p));
  if (notRun.length > 0) lines.push(`phase${notRun.length === 1 ? '' : 's'} not run: ${notRun.join(', ')}`);
  for (const w of report.phases) {
    if (w.endSource === 'planned' || w.endSource === 'inferred') {
      const from = w.endSource === 'planned' ? 'its planned end' : 'the next journal record';
      lines.push(`phase ${w.phase}: no end was recorded; its window ends at ${from} (${w.end})`);
    }
  }
  return lines;
}

function endNote(end: string, source: string | undefined): string {
  if (source === 'planned') return `${end} (planned; no end recorded)`;
  if (source === 'inferred') return `${end} (inferred; no end recorded)`;
  return end;
}

/** The verdict in one line: `PASS: 2 of 2 gates held` / `FAIL: …` / `NO GATES: …`. */
export function verdictLine(report: RunReport): string {
  if (report.gates.length === 0) return `NO GATES: the suite declares none (run ${report.run.status})`;
  const held = report.gates.filter((g) => g.ok).length;
  const word = held === report.gates.length ? 'PASS' : 'FAIL';
  return `${word}: ${gateSummary(report)} (run ${report.run.status})`;
}

/** The verdict block's gates: outcome, gate, value seen, threshold. */
export function verdictGateTable(report: RunReport): TextTable {
  return {
    header: ['result', 'gate', 'value', 'threshold'],
    rows: report.gates.map((g) => {
      const unit = report.metrics.find((m) => m.name === g.metric)?.unit ?? '';
      return [
        gateOutcome(g),
        `${g.metric} ${g.stat} during ${g.phase}`,
        gateValues(g, unit, 3),
        gateCondition(g, unit),
      ];
    }),
  };
}

/** A metric's headline figure as text: `50,012.3 logs/s`, or `0.01 – 1.2 cores (3 series)`. */
export function headlineText(metric: MetricReport): string {
  const h = metric.headline;
  if (metric.missing !== undefined) return 'no data';
  if (h.series === 0) return NO_VALUE;
  const fmt = (v: number | null) => formatStat(v, metric.unit, h.stat);
  if (h.value !== null) return fmt(h.value);
  return `${fmt(h.min)} – ${fmt(h.max)} (${h.series} series)`;
}

/** The headline figures: a row per metric, its active-phase statistic and whether it is simulated. */
export function headlineTable(report: RunReport): TextTable {
  const simulated = report.simulation.simulated;
  return {
    header: ['metric', 'active', 'value', ...(simulated ? ['source'] : [])],
    rows: report.metrics.map((m) => [
      m.name,
      m.headline.stat,
      headlineText(m),
      ...(simulated ? [m.simulated ? 'simulated' : 'measured'] : []),
    ]),
  };
}

/** Every workload's images: a row per (workload, container, image, imageID). */
export function imagesTable(report: RunReport): TextTable {
  return {
    header: ['workload', 'container', 'image', 'imageID', 'pods'],
    rows: (report.workloads ?? []).flatMap((w) =>
      w.images.map((i) => [
        `${w.kind} ${w.namespace}/${w.name}`,
        `${i.container}${i.init ? ' (init)' : ''}`,
        i.image,
        i.imageID ?? 'null (not reported)',
        String(i.pods.length),
      ]),
    ),
  };
}
