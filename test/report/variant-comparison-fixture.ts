import type {
  ArmComparison,
  ArmValue,
  VariantComparisonReport,
  SizeMetricResult,
  TrialRecord,
} from '../../src/report/variant-comparison/model.ts';
import type { Interval } from '../../src/report/statistics/resampling.ts';

/**
 * A realistic report of `koorde-bench compare chord koorde --sizes 8,16,32 --repeat 2`, written
 * by hand: latency p95 significantly lower for koorde at 32 nodes, no significant difference
 * elsewhere, koorde without throughput data at 16 nodes, chord's de Bruijn counter at 0 (no
 * relative difference), and one metric without any data.
 */

const SIZES = [8, 16, 32];

function value(arm: string, repetitions: (number | null)[], interval: Interval | null, units: number): ArmValue {
  const present = repetitions.filter((r): r is number => r !== null).sort((a, b) => a - b);
  const mid = present.length / 2;
  const median =
    present.length === 0
      ? null
      : present.length % 2 === 1
        ? (present[Math.floor(mid)] as number)
        : ((present[mid - 1] as number) + (present[mid] as number)) / 2;
  return { arm, median, interval: median === null ? null : interval, repetitions, units };
}

function noSignificantDifference(
  label: string,
  base: ArmValue,
  arm: ArmValue,
  rel: Interval | null,
  diff: Interval,
  p: number,
  pAdjusted: number,
  delta: number,
  magnitude: 'negligible' | 'small' | 'medium' | 'large',
): ArmComparison {
  const difference = (arm.median as number) - (base.median as number);
  const relativeDifference = base.median === 0 ? null : difference / (base.median as number);
  return {
    arm: arm.arm,
    baseline: base.arm,
    relativeDifference,
    relativeInterval: relativeDifference === null ? null : rel,
    difference,
    interval: diff,
    test: {
      name: 'mann-whitney-u',
      u: 1,
      z: null,
      p,
      pAdjusted,
      n: [arm.units, base.units],
      smallestPAdjusted: 0,
      perRepetition: false,
    },
    effectSize: { name: 'cliffs-delta', value: delta, magnitude },
    significant: false,
    verdict: 'no-significant-difference',
    text:
      relativeDifference === null
        ? `no significant difference (${arm.arm} ${label} ${difference > 0 ? '+' : ''}${difference}, baseline 0; p = ${pAdjusted})`
        : `no significant difference (${arm.arm} ${label} ${(relativeDifference * 100).toFixed(1)}% [${(rel![0] * 100).toFixed(1)}%, ${(rel![1] * 100).toFixed(1)}%])`,
  };
}

export const SIGNIFICANT_VERDICT = 'koorde latency p95 18.4% lower than chord at nodes = 32 [12.2%, 24.1%]';

export function comparisonReport(): VariantComparisonReport {
  const results: SizeMetricResult[] = [];

  // latency.p95 (ms, lower is better)
  const latency: [number, number[], number[]][] = [
    [8, [41.8, 42.4], [40.1, 40.9]],
    [16, [54.9, 55.7], [48.6, 47.2]],
    [32, [71.2, 72.4], [58.1, 59.1]],
  ];
  for (const [size, chord, koorde] of latency) {
    const c = value('chord', chord, [Math.min(...chord) - 0.4, Math.max(...chord) + 0.4], 24_000);
    const k = value('koorde', koorde, [Math.min(...koorde) - 0.5, Math.max(...koorde) + 0.5], 24_000);
    const comparison: ArmComparison =
      size === 32
        ? {
            arm: 'koorde',
            baseline: 'chord',
            relativeDifference: -0.184,
            relativeInterval: [-0.241, -0.122],
            difference: (k.median as number) - (c.median as number),
            interval: [-17.3, -8.8],
            test: {
              name: 'mann-whitney-u',
              u: 1.9e8,
              z: -6.2,
              p: 0.00021,
              pAdjusted: 0.0063,
              n: [24_000, 24_000],
              smallestPAdjusted: 0,
              perRepetition: false,
            },
            effectSize: { name: 'cliffs-delta', value: -0.41, magnitude: 'medium' },
            significant: true,
            verdict: 'lower',
            text: SIGNIFICANT_VERDICT,
          }
        : noSignificantDifference(
            'latency p95',
            c,
            k,
            size === 8 ? [-0.071, 0.018] : [-0.203, 0.031],
            size === 8 ? [-3, 0.8] : [-11.2, 1.7],
            size === 8 ? 0.082 : 0.031,
            size === 8 ? 0.41 : 0.093,
            size === 8 ? -0.08 : -0.22,
            size === 8 ? 'negligible' : 'small',
          );
    results.push({ size, metric: 'latency.p95', values: [c, k], comparisons: [comparison] });
  }

  // throughput.mean (req/s, higher is better): koorde has no data at 16 nodes.
  for (const size of SIZES) {
    const c = value('chord', [99.6, 99.8], [99.2, 100.1], 240);
    const k = size === 16 ? value('koorde', [null, null], null, 0) : value('koorde', [99.7, 99.5], [99.1, 100.0], 240);
    const comparison: ArmComparison =
      size === 16
        ? {
            arm: 'koorde',
            baseline: 'chord',
            relativeDifference: null,
            relativeInterval: null,
            difference: null,
            interval: null,
            test: null,
            effectSize: null,
            significant: false,
            verdict: 'no-data',
            text: 'no data (koorde)',
          }
        : noSignificantDifference('throughput', c, k, [-0.006, 0.004], [-0.6, 0.4], 0.74, 1, -0.02, 'negligible');
    results.push({ size, metric: 'throughput.mean', values: [c, k], comparisons: [comparison] });
  }

  // hit_rate.mean (ratio, higher is better)
  for (const size of SIZES) {
    const c = value('chord', [0.812, 0.818], [0.806, 0.823], 24_000);
    const k = value('koorde', [0.821, 0.815], [0.809, 0.826], 24_000);
    results.push({
      size,
      metric: 'hit_rate.mean',
      values: [c, k],
      comparisons: [
        noSignificantDifference('cache hit rate', c, k, [-0.004, 0.012], [-0.003, 0.01], 0.41, 1, 0.01, 'negligible'),
      ],
    });
  }

  // de_bruijn_success.last (hops, neither better): chord never routes over de Bruijn edges.
  for (const size of SIZES) {
    const c = value('chord', [0, 0], [0, 0], 2);
    const success = size * 95;
    const k = value('koorde', [success - 20, success + 20], [success - 20, success + 20], 2);
    results.push({
      size,
      metric: 'de_bruijn_success.last',
      values: [c, k],
      comparisons: [
        noSignificantDifference('de Bruijn successes', c, k, null, [success - 20, success + 20], 0.33, 1, 1, 'large'),
      ],
    });
  }

  const order: [number, number][] = [
    [16, 1],
    [8, 1],
    [32, 1],
    [32, 2],
    [8, 2],
    [16, 2],
  ];
  const start = Date.parse('2026-03-01T12:00:00.000Z');
  const schedule: TrialRecord[] = order.map(([size, repetition], i) => {
    const from = new Date(start + i * 180_000 + 30_000).toISOString();
    const to = new Date(start + i * 180_000 + 150_000).toISOString();
    return {
      order: i + 1,
      size,
      repetition,
      arms: ['koorde', 'chord'],
      windows: { chord: { start: from, end: to }, koorde: { start: from, end: to } },
    };
  });

  return {
    schemaVersion: 1,
    kind: 'comparison',
    run: {
      runId: 'koorde-20260301-120000-c0de',
      suite: 'koorde',
      target: 'sandbox',
      status: 'succeeded',
      startedAt: '2026-03-01T11:55:00.000Z',
      endedAt: '2026-03-01T12:20:00.000Z',
      tofu: { kind: 'tofu', version: '1.9.1', binary: '/opt/bench/bin/tofu' },
    },
    mode: 'side-by-side',
    arms: [
      { name: 'chord', variant: 'chord', namespace: 'chord-dht' },
      { name: 'koorde', variant: 'koorde', namespace: 'koorde-dht' },
    ],
    sweepParam: 'nodes',
    sizes: SIZES,
    repeat: 2,
    params: {
      idBits: 66,
      debruijnDegree: 8,
      rate: 100,
      zipf: 1.2,
      grpcLoadBalancer: false,
      stabilizationInterval: '2s',
    },
    armParams: { chord: { protocol: 'chord' }, koorde: { protocol: 'koorde' } },
    simulation: {
      simulated: true,
      metrics: ['latency.p95'],
      note: "Run on the local cloud (target sandbox): the series of latency.p95 come from bench's own workload simulator, not from koorde.",
    },
    method: {
      confidence: 0.95,
      threshold: 0.05,
      resamples: 2000,
      seed: 1,
      test: 'Mann-Whitney U (two-sided) on the pooled units',
      correction: 'Holm',
      description:
        'Each arm’s per-trial values are summarised by their median over the repetitions; intervals are percentile bootstrap intervals over trials and units.',
    },
    metrics: [
      {
        id: 'latency.p95',
        metric: 'latency',
        label: 'latency p95',
        unit: 'ms',
        estimator: { kind: 'quantile', q: 0.95 },
        better: 'lower',
        description: 'request latency seen by the workload',
      },
      {
        id: 'throughput.mean',
        metric: 'throughput',
        label: 'throughput',
        unit: 'req/s',
        estimator: { kind: 'mean' },
        better: 'higher',
      },
      {
        id: 'hit_rate.mean',
        metric: 'hit_rate',
        label: 'cache hit rate',
        unit: 'ratio',
        estimator: { kind: 'mean' },
        better: 'higher',
      },
      {
        id: 'de_bruijn_success.last',
        metric: 'de_bruijn_success',
        label: 'de Bruijn successes',
        unit: 'hops',
        estimator: { kind: 'value' },
        better: undefined,
      },
      {
        id: 'successor_fallbacks.last',
        metric: 'successor_fallbacks',
        label: 'successor fallbacks',
        unit: 'hops',
        estimator: { kind: 'value' },
        better: undefined,
      },
    ],
    schedule,
    results,
    verdicts: [
      SIGNIFICANT_VERDICT,
      'throughput: no significant difference at any size',
      'cache hit rate: no significant difference at any size',
      'de Bruijn successes: no significant difference at any size',
    ],
    missing: { 'successor_fallbacks.last': 'no DHT pod answered GET /metrics on port 8080 (connection refused)' },
  };
}
