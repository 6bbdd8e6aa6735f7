import { existsSync, readFileSync } from 'node:fs';
import type { PhaseName, StatName } from '../suite/schema.ts';
import { gateCondition, gateOutcome } from './format.ts';
import { gateName, type GateOp, type MetricHeadline, type RunReport } from './model.ts';
import { gateValues, headlineText } from './tables.ts';

/**
 * What a run measured, in the few figures the end-of-run summary shows (and `--json` carries):
 * each gate with its value, threshold and outcome, each metric's active-phase headline figure,
 * and whether the figures came from simulated systems. Taken from the report model, so the
 * terminal says what report.md says.
 */

/** One gate, evaluated. */
export interface GateFigure {
  /** `throughput mean during active >= 50000`. */
  gate: string;
  metric: string;
  phase: PhaseName;
  stat: StatName;
  op: GateOp;
  threshold: number;
  unit: string;
  outcome: 'PASS' | 'FAIL' | 'MISSING';
  /** The value of a single series; null with several (see `values`) or none. */
  value: number | null;
  values: { labels: Record<string, string>; value: number | null }[];
  /** The value(s) for people: `50,132.1 logs/s`. */
  valueText: string;
  /** The threshold for people: `>= 50,000 logs/s`. */
  thresholdText: string;
  /** Why it is missing or which series failed it; absent when it holds. */
  reason?: string;
}

/** One metric's headline figure: the report's {@link MetricHeadline}, named, with its unit and words. */
export interface HeadlineFigure extends MetricHeadline {
  metric: string;
  unit: string;
  /** For people: `50,132.1 logs/s`, `0.41 cores – 1.02 cores (3 series)`, `no data`. */
  text: string;
  /** The series come from the local cloud's simulator, not the system under test. */
  simulated: boolean;
}

/** The figures of a run's summary. */
export interface RunFigures {
  gates: GateFigure[];
  headlines: HeadlineFigure[];
  /** What the report says about simulated series; null when none is. */
  simulated: string | null;
}

/** The figures of a report. */
export function runFigures(report: RunReport): RunFigures {
  const unitOf = (metric: string) => report.metrics.find((m) => m.name === metric)?.unit ?? '';
  return {
    gates: report.gates.map((g) => {
      const unit = unitOf(g.metric);
      const figure: GateFigure = {
        gate: gateName(g),
        metric: g.metric,
        phase: g.phase,
        stat: g.stat,
        op: g.op,
        threshold: g.threshold,
        unit,
        outcome: gateOutcome(g),
        value: g.results.length === 1 ? (g.results[0]?.value ?? null) : null,
        values: g.results.map((r) => ({ labels: { ...r.labels }, value: r.value })),
        valueText: gateValues(g, unit, 3),
        thresholdText: gateCondition(g, unit),
      };
      if (g.reason !== undefined) figure.reason = g.reason;
      return figure;
    }),
    headlines: report.metrics.map((m) => ({
      metric: m.name,
      unit: m.unit,
      ...m.headline,
      text: headlineText(m),
      simulated: m.simulated,
    })),
    simulated: report.simulation.note,
  };
}

/** The figures of the summary.json at `path`; empty when there is none (the run wrote no report). */
export function readRunFigures(path: string | undefined): RunFigures {
  const empty: RunFigures = { gates: [], headlines: [], simulated: null };
  if (path === undefined || !existsSync(path)) return empty;
  try {
    const report = JSON.parse(readFileSync(path, 'utf8')) as RunReport;
    // A summary.json from before headlines existed still gives its gates.
    for (const m of report.metrics) {
      m.headline ??= { phase: 'active', stat: 'mean', series: 0, value: null, min: null, max: null };
      m.simulated ??= false;
    }
    report.simulation ??= { simulated: false, metrics: [], note: null };
    return runFigures(report);
  } catch {
    return empty;
  }
}
