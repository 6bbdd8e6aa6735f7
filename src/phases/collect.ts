import type { PrometheusClient } from '../adapters/prometheus.ts';
import type { EventBus } from '../run/events.ts';
import type { Journal } from '../run/journal.ts';
import { readRawMetrics, writeRawMetric, type RawMetric } from '../report/raw.ts';
import { resolveQuery, type ParamValues } from '../suite/render.ts';
import type { Suite } from '../suite/schema.ts';
import { beginPhase } from './record.ts';

const PHASE = 'collect';

export interface CollectInput {
  suite: Suite;
  runDir: string;
  /** Undefined when the run has no Prometheus to read (then every PromQL metric is missing). */
  prometheus: PrometheusClient | undefined;
  /** The window to fetch: from the ramp's start to the cool-down's end. */
  start: Date;
  end: Date;
  stepSeconds: number;
  /** The run's parameter values (queries may use them, e.g. `${rateWindow}`). */
  params: ParamValues;
  journal: Journal;
  events: EventBus;
  signal?: AbortSignal;
  /** Fetch only these metrics (re-collection by `bench report`); default all. */
  only?: string[];
}

export interface CollectResult {
  collected: string[];
  /** Metrics that could not be fetched, and why. */
  missing: { metric: string; why: string }[];
}

/**
 * Fetches every PromQL metric of the suite over the run's window and stores the raw series
 * (compressed) before anything is computed from them, so a failed report never loses data.
 * A metric that cannot be fetched is stored as missing, with the reason, and the others go on.
 * Metrics read from the workload or the pods themselves are stored as not collected here.
 */
export async function collect(input: CollectInput): Promise<CollectResult> {
  const phase = beginPhase(input.journal, input.events, PHASE, `fetching ${input.suite.metrics.length} metrics`);
  const result: CollectResult = { collected: [], missing: [] };
  for (const metric of input.suite.metrics) {
    if (input.only && !input.only.includes(metric.name)) continue;
    const query = metric.query === undefined ? undefined : resolveQuery(metric.query, input.params);
    const base: Omit<RawMetric, 'series'> = {
      metric: metric.name,
      unit: metric.unit,
      query,
      source: metric.source,
      stepSeconds: input.stepSeconds,
      start: input.start.toISOString(),
      end: input.end.toISOString(),
    };
    if (metric.source !== 'prometheus' || query === undefined) {
      writeRawMetric(input.runDir, {
        ...base,
        series: [],
        missing: `the ${metric.source} source is read by \`bench compare\`, not by a single run`,
      });
      continue;
    }
    if (!input.prometheus) {
      const why = 'no Prometheus endpoint for this run (give --prometheus-url)';
      writeRawMetric(input.runDir, { ...base, series: [], missing: why });
      result.missing.push({ metric: metric.name, why });
      continue;
    }
    input.journal.append({
      type: 'action',
      phase: PHASE,
      action: 'query-range',
      data: { metric: metric.name, endpoint: input.prometheus.describe() },
    });
    try {
      const { series, stepSeconds, chunks } = await input.prometheus.queryRange(query, input.start, input.end, {
        stepSeconds: input.stepSeconds,
        signal: input.signal,
      });
      writeRawMetric(input.runDir, {
        ...base,
        stepSeconds,
        series: series.map((s) => ({
          labels: s.labels,
          samples: s.samples.map((p) => [p.t, p.v] as [number, number]),
        })),
      });
      result.collected.push(metric.name);
      input.events.emit(
        'info',
        PHASE,
        'collect.metric',
        `${metric.name}: ${series.length} series, step ${stepSeconds}s${chunks > 1 ? `, ${chunks} chunks` : ''}`,
      );
    } catch (err) {
      const why = (err as Error).message.split('\n')[0] ?? String(err);
      writeRawMetric(input.runDir, { ...base, series: [], missing: why });
      result.missing.push({ metric: metric.name, why });
      input.journal.append({
        type: 'error',
        phase: PHASE,
        code: (err as { code?: string }).code ?? 'E_COLLECT',
        message: `${metric.name}: ${why}`,
      });
      input.events.emit('warn', PHASE, 'collect.missing', `${metric.name}: not fetched: ${why}`);
    }
  }
  if (result.missing.length === 0) phase.done(`${result.collected.length} metrics stored`);
  else
    phase.failed(
      new Error(`${result.missing.length} metric(s) missing: ${result.missing.map((m) => m.metric).join(', ')}`),
    );
  return result;
}

/** Metrics of a run whose raw data is missing because fetching failed (not those of other sources). */
export function missingPrometheusMetrics(runDir: string): string[] {
  return [...readRawMetrics(runDir).values()]
    .filter((r) => r.source === 'prometheus' && r.missing !== undefined)
    .map((r) => r.metric);
}
