import type { WorkloadImages } from '../../src/run/workload-images.ts';
import { mulberry32 } from '../../src/report/statistics/resampling.ts';
import { buildReport, type RunReport } from '../../src/report/model.ts';
import type { PhaseWindow, RawMetric } from '../../src/report/raw.ts';
import { loadSuite } from '../../src/suite/load.ts';
import type { Suite } from '../../src/suite/schema.ts';

/**
 * Synthetic runs for the report tests: made here, seeded, so every test sees the same numbers.
 * The shape is a real run's: the ramp rises from 0, the active phase holds the level with noise,
 * the cool-down falls back to 0.
 */

/** When every synthetic run starts (unix seconds). */
export const T0 = Date.parse('2026-03-01T12:00:00.000Z') / 1000;

/** The Thyme suite as shipped. */
export function thymeSuite(): Suite {
  return loadSuite('thyme').suite;
}

/** A suite with different gates (the metrics stay Thyme's). */
export function withGates(suite: Suite, gates: Suite['gates']): Suite {
  return { ...suite, gates };
}

const iso = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString();

/** Phase windows of a run `seconds` long: ramp 1/6, active 2/3, cool-down 1/6 (20 / 80 / 20 s of 120 s). */
export function windowsFor(seconds: number, t0: number = T0): PhaseWindow[] {
  const rampEnd = t0 + seconds / 6;
  const activeEnd = t0 + (seconds * 5) / 6;
  return [
    { phase: 'ramp', start: iso(t0), end: iso(rampEnd), endSource: 'recorded' },
    { phase: 'active', start: iso(rampEnd), end: iso(activeEnd), endSource: 'recorded' },
    { phase: 'cooldown', start: iso(activeEnd), end: iso(t0 + seconds), endSource: 'recorded' },
  ];
}

/** Standard normal numbers from a seeded generator (Box-Muller). */
export function normal(seed: number): () => number {
  const random = mulberry32(seed);
  return () => {
    const u = 1 - random();
    const v = random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

export interface SeriesShape {
  labels: Record<string, string>;
  /** The level held during the active phase. */
  level: number;
  /** Standard deviation of the noise. */
  noise: number;
}

/** One metric's raw data: each series ramps up to its level, holds it with noise, falls back. */
export function rawMetric(input: {
  metric: string;
  unit: string;
  seconds: number;
  series: SeriesShape[];
  seed?: number;
  t0?: number;
  query?: string;
}): RawMetric {
  const t0 = input.t0 ?? T0;
  const rampEnd = input.seconds / 6;
  const activeEnd = (input.seconds * 5) / 6;
  const gauss = normal(input.seed ?? 7);
  return {
    metric: input.metric,
    unit: input.unit,
    query: input.query,
    source: 'prometheus',
    stepSeconds: 1,
    start: iso(t0),
    end: iso(t0 + input.seconds),
    series: input.series.map((s) => ({
      labels: s.labels,
      samples: Array.from({ length: input.seconds }, (_, i): [number, number] => {
        const share = i < rampEnd ? i / rampEnd : i < activeEnd ? 1 : 1 - (i - activeEnd) / (input.seconds - activeEnd);
        const value = s.level * share + (i >= rampEnd && i < activeEnd ? s.noise * gauss() : 0);
        return [t0 + i, Math.max(0, value)];
      }),
    })),
  };
}

const instances = (n: number) => Array.from({ length: n }, (_, i) => ({ instance: `10.0.0.${i + 1}:8888` }));

/**
 * The raw data of a whole Thyme run: throughput around 50,000 logs/s, no export failures, CPU
 * and heap per collector instance.
 * @param options.seconds run length at a 1 s step (default 120)
 * @param options.series series per metric (default: 1 for throughput and export_failures, 3 for cpu and heap)
 * @param options.level throughput's active level
 */
export function thymeRaw(
  options: { seconds?: number; series?: number; level?: number; seed?: number; t0?: number } = {},
): Map<string, RawMetric> {
  const seconds = options.seconds ?? 120;
  const seed = options.seed ?? 11;
  const t0 = options.t0 ?? T0;
  const level = options.level ?? 50_500;
  const labelsFor = (fallback: number) =>
    options.series === undefined ? instances(fallback) : instances(options.series);
  const one = (n: number) => (n === 1 && options.series === undefined ? [{}] : labelsFor(n));
  const metrics = [
    rawMetric({
      metric: 'throughput',
      unit: 'logs/s',
      seconds,
      t0,
      seed,
      // As the sandbox renders it: the first 5 s of each phase describe the phase before and are left out.
      query: 'sum(rate(otelcol_receiver_accepted_log_records_total{service_name="nop-collector"}[5s]))',
      series: one(1).map((labels) => ({ labels, level, noise: 400 })),
    }),
    rawMetric({
      metric: 'export_failures',
      unit: 'logs/s',
      seconds,
      t0,
      seed: seed + 1,
      query: 'sum(rate(otelcol_exporter_send_failed_log_records_total[5s]))',
      series: one(1).map((labels) => ({ labels, level: 0, noise: 0 })),
    }),
    rawMetric({
      metric: 'cpu',
      unit: 'cores',
      seconds,
      t0,
      seed: seed + 2,
      query: 'sum by (instance) (rate(otelcol_process_cpu_seconds_total[5s]))',
      series: labelsFor(3).map((labels, i) => ({ labels, level: 0.4 + i * 0.3, noise: 0.03 })),
    }),
    rawMetric({
      metric: 'heap',
      unit: 'bytes',
      seconds,
      t0,
      seed: seed + 3,
      query: 'otelcol_process_runtime_heap_alloc_bytes',
      series: labelsFor(3).map((labels, i) => ({ labels, level: 180_000_000 + i * 20_000_000, noise: 4_000_000 })),
    }),
  ];
  return new Map(metrics.map((m) => [m.metric, m]));
}

/** The report of a synthetic Thyme run. */
export function thymeReport(
  options: {
    suite?: Suite;
    raw?: Map<string, RawMetric>;
    seconds?: number;
    runId?: string;
    target?: string;
    images?: WorkloadImages[];
  } = {},
): { report: RunReport; raw: Map<string, RawMetric>; windows: PhaseWindow[] } {
  const seconds = options.seconds ?? 120;
  const raw = options.raw ?? thymeRaw({ seconds });
  const windows = windowsFor(seconds);
  const report = buildReport({
    runId: options.runId ?? 'thyme-20260301-120000-abcd',
    suite: options.suite ?? thymeSuite(),
    run: {
      target: options.target ?? 'sandbox',
      status: 'succeeded',
      startedAt: iso(T0 - 600),
      endedAt: iso(T0 + seconds + 300),
    },
    windows,
    raw,
    images: options.images,
  });
  return { report, raw, windows };
}
