import { GateError } from '../errors.ts';
import { PHASES, STATS, type PhaseName, type StatName, type Suite, type SuiteGate } from '../suite/schema.ts';
import type { WorkloadImages } from '../run/workload-images.ts';
import { SIMULATED_METRIC_NAMES } from './simulated-metrics.ts';
import { targetTraits } from '../targets/traits.ts';
import type { PhaseWindow, RawMetric } from './raw.ts';
import { msWindow, type StatValues, windowStats } from './stats.ts';

/**
 * The report model of one run. It is also `summary.json`: these types are the schema, and
 * docs/summary-json.md documents them field by field. Change them only together with that
 * document, and bump {@link SUMMARY_SCHEMA_VERSION} when a change would break a reader
 * (a field removed, renamed or retyped); adding an optional field does not.
 */

/** Version of the summary.json schema. */
export const SUMMARY_SCHEMA_VERSION = 1;

/** The comparison operators a gate can use. */
export type GateOp = SuiteGate['op'];

/** One series of a metric in one phase. */
export interface SeriesReport {
  /** The series' labels (`{}` for a metric with a single unlabelled series). */
  labels: Record<string, string>;
  /** Samples inside the phase window that went into the statistics. */
  samples: number;
  /** Samples inside the window dropped because their value was NaN or ±Infinity. */
  dropped: number;
  /**
   * The metric's aggregate statistics (plus any other statistic a gate on it reads), in the
   * order of STATS; each `null` when no sample was usable.
   */
  stats: StatValues;
}

/** A metric in one phase. */
export interface PhaseMetricReport {
  /** Every series with at least one sample (usable or dropped) inside the window, in raw order. */
  series: SeriesReport[];
}

/** One metric of the suite, per phase. */
export interface MetricReport {
  name: string;
  description: string | null;
  unit: string;
  /** The PromQL query as sent (from the raw data), else as declared; `null` for non-Prometheus metrics. */
  query: string | null;
  source: 'prometheus' | 'workload' | 'pod-metrics';
  /** The statistics computed for each series, in the suite's order. */
  aggregate: StatName[];
  /** Present when the metric has no data at all: why. */
  missing?: string;
  /**
   * True when the series come from bench's own workload simulator, not from the system under
   * test: on the local cloud (target `sandbox`) its pods run no program, and the agent's
   * simulator serves what the suite's metrics read (see `simulation` at the top level).
   */
  simulated: boolean;
  /** The metric's headline figure: one statistic of the active phase (see {@link MetricHeadline}). */
  headline: MetricHeadline;
  /** One entry per phase that ran (the keys of the top-level `phases`). */
  phases: Partial<Record<PhaseName, PhaseMetricReport>>;
}

/**
 * A metric's figure at a glance: the statistic of the active phase a gate on it reads (else its
 * mean, else its first aggregate), over its series: the value of a single series, or the lowest
 * and highest of several.
 */
export interface MetricHeadline {
  phase: PhaseName;
  stat: StatName;
  /** Series with a value in that phase. */
  series: number;
  /** The single series' value, or null with several (then see min and max) or none. */
  value: number | null;
  min: number | null;
  max: number | null;
}

/** Which figures of the run came from simulated systems, in words and by metric. */
export interface SimulationReport {
  /** True when at least one metric's series are simulated. */
  simulated: boolean;
  /** Names of the simulated metrics, in the suite's order. */
  metrics: string[];
  /** What that means for the reader; null when nothing is simulated. */
  note: string | null;
}

/** A gate's value for one series. */
export interface GateSeriesResult {
  labels: Record<string, string>;
  /** The statistic's value in the gate's phase; `null` when the series had no usable sample. */
  value: number | null;
  /** Whether this series satisfies the gate. */
  ok: boolean;
}

/** One gate (SLO) of the suite, evaluated. */
export interface GateReport {
  metric: string;
  phase: PhaseName;
  stat: StatName;
  op: GateOp;
  threshold: number;
  description: string | null;
  /** One result per series of the metric in that phase. */
  results: GateSeriesResult[];
  /** True only when there is data and every series satisfies the gate. */
  ok: boolean;
  /** True when the gate could not be evaluated at all (no series with a value); `ok` is then false. */
  missing: boolean;
  /** Why the gate is missing, or which series failed it; absent for a gate that holds. */
  reason?: string;
}

/** When and where the run ran, and how it ended. */
export interface RunInfo {
  runId: string;
  suite: string;
  target: string;
  /** e.g. `succeeded`, `failed`, `interrupted`, `running` (the report is written before teardown). */
  status: string;
  startedAt: string;
  /** `null` when the run had not ended when the report was built. */
  endedAt: string | null;
  /**
   * The infrastructure-as-code binary that provisioned (and tears down) the run's cluster, as the
   * preflight chose and the journal's run-start record holds it; null on an existing cluster
   * (target kube) or for a run journaled before it was recorded.
   */
  tofu: TofuInfo | null;
}

/** Which tofu ran: OpenTofu (`tofu`) or, only on aws when no OpenTofu was found, Terraform. */
export interface TofuInfo {
  kind: 'tofu' | 'terraform';
  version: string;
  /** The path of the binary that ran. */
  binary: string;
}

/** The whole report of one run: summary.json. */
export interface RunReport {
  schemaVersion: typeof SUMMARY_SCHEMA_VERSION;
  run: RunInfo;
  /** The phase windows from the journal, in phase order; a phase that never started is absent. */
  phases: PhaseWindow[];
  /** Every metric the suite declares, in its order. */
  metrics: MetricReport[];
  /** Every gate the suite declares, in its order. */
  gates: GateReport[];
  /** Names of the metrics with no data (each one's `missing` says why). */
  missing: string[];
  /** Which series came from simulated systems (the local cloud's simulator). */
  simulation: SimulationReport;
  /**
   * Every workload's pods' images as the API server held them after verify: the reference asked
   * for and the resolved `imageID` (null where the API server holds none). Null when the run
   * recorded none (it did not get past verify, or ran before images were recorded).
   */
  workloads: WorkloadImages[] | null;
  /** Says what a null imageID in `workloads` means for this run; null when every imageID is known. */
  imagesNote: string | null;
}

/** What {@link buildReport} needs. */
export interface BuildReportInput {
  runId: string;
  suite: Suite;
  run: {
    target: string;
    status: string;
    startedAt: string;
    endedAt: string | null | undefined;
    /** The tofu of the run (see {@link recordedTofu}). */
    tofu?: TofuInfo | null | undefined;
  };
  windows: readonly PhaseWindow[];
  /** Raw data by metric name (see readRawMetrics). */
  raw: ReadonlyMap<string, RawMetric>;
  /** The pods' images the journal recorded (see recordedImages). */
  images?: WorkloadImages[] | undefined;
}

/** Builds the report model of one run from its phase windows and raw series. */
export function buildReport(input: BuildReportInput): RunReport {
  const windows = PHASES.flatMap((p) => input.windows.filter((w) => w.phase === p).slice(-1));
  const metrics = input.suite.metrics.map((declared): MetricReport => {
    const raw = input.raw.get(declared.name);
    // A gate may read a statistic the metric does not aggregate (the schema allows it): it is
    // computed as well, so the gate has a value, and stays out of the tables (aggregate).
    const gateStats = input.suite.gates.filter((g) => g.metric === declared.name).map((g) => g.stat);
    const computedStats = STATS.filter((s) => declared.aggregate.includes(s) || gateStats.includes(s));
    const phases: MetricReport['phases'] = {};
    const lookbackMs = queryLookbackSeconds(raw?.query ?? declared.query) * 1000;
    for (const window of windows) {
      const ms = trimLookback(msWindow(window), lookbackMs);
      const series: SeriesReport[] = [];
      for (const s of raw?.series ?? []) {
        const computed = windowStats(s.samples, ms, computedStats);
        if (computed.samples + computed.dropped === 0) continue;
        series.push({ labels: { ...s.labels }, ...computed });
      }
      phases[window.phase] = { series };
    }
    const query = raw?.query ?? declared.query ?? null;
    const report: MetricReport = {
      name: declared.name,
      description: declared.description ?? null,
      unit: declared.unit,
      query,
      source: declared.source,
      aggregate: [...declared.aggregate],
      simulated: isSimulated(input.run.target, declared.source, query),
      headline: headlineOf(phases, headlineStat(declared.aggregate, gateStatsActive(input.suite, declared.name))),
      phases,
    };
    const missing = whyMissing(raw, phases, windows.length);
    if (missing !== undefined) report.missing = missing;
    return report;
  });
  const byName = new Map(metrics.map((m) => [m.name, m]));
  const gates = input.suite.gates.map((gate) => evaluateGate(gate, byName.get(gate.metric)));
  return {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    run: {
      runId: input.runId,
      suite: input.suite.name,
      target: input.run.target,
      status: input.run.status,
      startedAt: input.run.startedAt,
      endedAt: input.run.endedAt ?? null,
      tofu: input.run.tofu ?? null,
    },
    phases: windows.map((w) => ({ ...w })),
    metrics,
    gates,
    missing: metrics.filter((m) => m.missing !== undefined).map((m) => m.name),
    simulation: simulationOf(input.suite.name, metrics),
    workloads: input.images ?? null,
    imagesNote: imagesNoteOf(input.images, input.run.target),
  };
}

/**
 * The tofu a run's run-start record names (its `options.tofu`: binary, kind, version), or null
 * when it names none or an incomplete one.
 */
export function recordedTofu(options: unknown): TofuInfo | null {
  const tofu = (options as { tofu?: { binary?: unknown; kind?: unknown; version?: unknown } } | undefined)?.tofu;
  if (!tofu || (tofu.kind !== 'tofu' && tofu.kind !== 'terraform')) return null;
  if (typeof tofu.binary !== 'string' || typeof tofu.version !== 'string') return null;
  return { kind: tofu.kind, version: tofu.version, binary: tofu.binary };
}

/** How a report names the tofu: `OpenTofu 1.9.0 (/path/to/tofu)`. */
export function describeTofu(tofu: TofuInfo): string {
  return `${tofu.kind === 'tofu' ? 'OpenTofu' : 'Terraform'} ${tofu.version} (${tofu.binary})`;
}

/**
 * The report's "provisioned with": the recorded tofu; else nothing, on a target that provisions
 * nothing (`nothing (an existing cluster)`); else the run did not record it.
 */
export function describeProvisioning(tofu: TofuInfo | null | undefined, target: string): string {
  if (tofu) return describeTofu(tofu);
  const traits = targetTraits(target);
  return traits && !traits.usesTofu ? `nothing (${traits.description})` : 'not recorded';
}

/**
 * Whether a metric's series come from the local cloud's simulator: on a simulated target (`sandbox`)
 * the pods run no program, so the workload's output and the pods' JSON are the simulator's, and a
 * Prometheus query is when it reads a series the simulator serves. A query over anything else
 * (Prometheus' own series, the API server's) reads real components and is not simulated.
 */
export function isSimulated(target: string, source: MetricReport['source'], query: string | null): boolean {
  if (targetTraits(target)?.simulated !== true) return false;
  if (source !== 'prometheus') return true;
  const names = new Set((query ?? '').match(/[A-Za-z_:][A-Za-z0-9_:]*/g) ?? []);
  return SIMULATED_METRIC_NAMES.some((n) => names.has(n) || [...names].some((x) => x.startsWith(`${n}_`)));
}

/** Which of the metrics are simulated, and the note that says what that means. */
export function simulationOf(
  suite: string,
  metrics: readonly { name: string; simulated: boolean }[],
): SimulationReport {
  const simulated = metrics.filter((m) => m.simulated).map((m) => m.name);
  if (simulated.length === 0) return { simulated: false, metrics: [], note: null };
  const which =
    simulated.length === metrics.length
      ? 'every series of this report comes'
      : `the series of ${simulated.join(', ')} come`;
  return {
    simulated: true,
    metrics: simulated,
    note:
      `Run on the local cloud (target sandbox): ${which} from bench's own workload simulator, not from ${suite}. ` +
      `The figures show the tool working end to end (deploy, load, collect, report); they say nothing about the real performance of the system under test.`,
  };
}

function imagesNoteOf(images: WorkloadImages[] | undefined, target: string): string | null {
  if (images === undefined) return null;
  const unresolved = images.flatMap((w) => w.images).filter((i) => i.imageID === null).length;
  if (unresolved === 0) return null;
  const why =
    targetTraits(target)?.noImageIdReason ?? 'their containers had not reported one when the images were recorded';
  return `${unresolved} container image(s) have imageID null: the API server held none (${why}); only the reference asked for is known.`;
}

/** The statistics gates read of a metric during the active phase, in the suite's order. */
function gateStatsActive(suite: Suite, metric: string): StatName[] {
  return suite.gates.filter((g) => g.metric === metric && g.phase === 'active').map((g) => g.stat);
}

/** The headline statistic: the one a gate reads, else the mean, else the first aggregate. */
function headlineStat(aggregate: readonly StatName[], gated: readonly StatName[]): StatName {
  return gated[0] ?? (aggregate.includes('mean') ? 'mean' : (aggregate[0] ?? 'mean'));
}

function headlineOf(phases: MetricReport['phases'], stat: StatName): MetricHeadline {
  const values = (phases.active?.series ?? []).map((s) => s.stats[stat] ?? null).filter((v): v is number => v !== null);
  return {
    phase: 'active',
    stat,
    series: values.length,
    value: values.length === 1 ? (values[0] as number) : null,
    min: values.length === 0 ? null : Math.min(...values),
    max: values.length === 0 ? null : Math.max(...values),
  };
}

/** Why a metric has no data, or undefined when some phase has a usable sample. */
function whyMissing(
  raw: RawMetric | undefined,
  phases: MetricReport['phases'],
  windowCount: number,
): string | undefined {
  if (raw === undefined) return 'no raw data was collected for this metric';
  if (raw.missing !== undefined) return raw.missing;
  if (windowCount === 0) return 'the journal shows no ramp, active or cool-down phase';
  const usable = Object.values(phases).some((p) => p.series.some((s) => s.samples > 0));
  if (usable) return undefined;
  if (raw.series.length === 0) return 'the query returned no series';
  const dropped = Object.values(phases).some((p) => p.series.length > 0);
  return dropped
    ? 'every sample inside the phase windows was NaN or infinite'
    : 'no sample falls inside the ramp, active or cool-down window';
}

/** Whether `value op threshold` holds. */
export function compare(value: number, op: GateOp, threshold: number): boolean {
  switch (op) {
    case '>=':
      return value >= threshold;
    case '<=':
      return value <= threshold;
    case '>':
      return value > threshold;
    case '<':
      return value < threshold;
    case '==':
      return value === threshold;
  }
}

/**
 * Evaluates one gate. It holds only when every series of the metric in the gate's phase has a
 * value that satisfies it: one bad series fails the gate, and a series without a value (all its
 * samples NaN, or a cv whose mean is 0) cannot show that it holds, so it fails too. A gate with
 * nothing to evaluate (metric missing, phase not run, no sample in the window) is `missing` and
 * not ok: a gate never passes for lack of data.
 */
function evaluateGate(gate: SuiteGate, metric: MetricReport | undefined): GateReport {
  const base = {
    metric: gate.metric,
    phase: gate.phase,
    stat: gate.stat,
    op: gate.op,
    threshold: gate.value,
    description: gate.description ?? null,
  };
  const missing = (reason: string, results: GateSeriesResult[] = []): GateReport => ({
    ...base,
    results,
    ok: false,
    missing: true,
    reason,
  });
  if (metric === undefined) return missing(`the suite declares no metric '${gate.metric}'`);
  if (metric.missing !== undefined) return missing(`metric '${gate.metric}' is missing: ${metric.missing}`);
  const phase = metric.phases[gate.phase];
  if (phase === undefined) return missing(`phase '${gate.phase}' did not run`);
  const results: GateSeriesResult[] = phase.series.map((s) => {
    const value = statValue(s, gate.stat);
    return { labels: { ...s.labels }, value, ok: value !== null && compare(value, gate.op, gate.value) };
  });
  if (!results.some((r) => r.value !== null)) {
    return missing(`no sample of '${gate.metric}' inside the ${gate.phase} window`, results);
  }
  const bad = results.filter((r) => !r.ok);
  if (bad.length === 0) return { ...base, results, ok: true, missing: false };
  return {
    ...base,
    results,
    ok: false,
    missing: false,
    reason: bad
      .map(
        (r) =>
          `${formatLabels(r.labels)}: ${gate.stat} ${r.value === null ? 'has no value' : `${r.value} is not ${gate.op} ${gate.value}`}`,
      )
      .join('; '),
  };
}

/** A series' value of a statistic (computed for every statistic a gate reads, see buildReport). */
function statValue(series: SeriesReport, stat: StatName): number | null {
  return series.stats[stat] ?? null;
}

/** Labels as people read them: `{instance="a", job="b"}`, or `(all)` for none. */
export function formatLabels(labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '(all)';
  return `{${entries.map(([k, v]) => `${k}="${v}"`).join(', ')}}`;
}

/** The gates that did not hold (failed or missing), in the suite's order. */
export function failedGates(report: RunReport): GateReport[] {
  return report.gates.filter((g) => !g.ok);
}

/** A gate as one line: `throughput mean during active >= 50000`. */
export function gateName(gate: Pick<GateReport, 'metric' | 'stat' | 'phase' | 'op' | 'threshold'>): string {
  return `${gate.metric} ${gate.stat} during ${gate.phase} ${gate.op} ${gate.threshold}`;
}

/**
 * The error a run ends with when a gate did not hold (exit 4), or undefined when all held.
 * Its message names each failed gate with its value and threshold.
 */
export function gateFailure(report: RunReport): GateError | undefined {
  const failed = failedGates(report);
  if (failed.length === 0) return undefined;
  const lines = failed.map((g) => `${gateName(g)}: ${g.missing ? 'no data' : 'failed'} (${g.reason ?? ''})`);
  return new GateError(
    'E_GATE_FAILED',
    `${failed.length} of ${report.gates.length} gate${report.gates.length === 1 ? '' : 's'} did not hold:\n${lines.join('\n')}`,
    {
      fix: 'see the gates table in report.md; a gate with no data means the metric was not collected',
      data: { failed: failed.map((g) => ({ gate: gateName(g), missing: g.missing, results: g.results })) },
    },
  );
}

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };

/**
 * The longest range selector of a PromQL expression (`rate(x[1m])` -> 60), in seconds: a sample
 * at time t of such a query describes (t - range, t].
 */
export function queryLookbackSeconds(query: string | undefined): number {
  let longest = 0;
  for (const m of (query ?? '').matchAll(/\[((?:\d+(?:ms|s|m|h|d|w|y))+)(?::[^\]]*)?\]/g)) {
    let seconds = 0;
    for (const part of (m[1] as string).matchAll(/(\d+)(ms|s|m|h|d|w|y)/g))
      seconds += Number(part[1]) * (UNIT_SECONDS[part[2] as string] ?? 0);
    longest = Math.max(longest, seconds);
  }
  return longest;
}

/**
 * A phase's statistics use only samples whose lookback lies inside the phase: the first
 * `lookback` of a phase still describes the phase before it (a rate over 1m at the start of the
 * active phase is mostly ramp). When the phase is not longer than twice the lookback, half of
 * it is trimmed at most, so a short phase still has samples.
 */
export function trimLookback(
  window: { startMs: number; endMs: number },
  lookbackMs: number,
): { startMs: number; endMs: number } {
  const trim = Math.min(lookbackMs, (window.endMs - window.startMs) / 2);
  return { startMs: window.startMs + Math.max(0, trim), endMs: window.endMs };
}
