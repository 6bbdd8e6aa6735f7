/**
 * Performance and calibration of the statistics of `bench compare` (src/report/variant-comparison/build.ts).
 * Not a test: it prints numbers to judge the defaults by.
 *
 * 1. Speed: a realistic comparison (3 sizes x 8 metrics x 2 arms x 3 repetitions x 6,000 units,
 *    2,000 resamples), timed.
 * 2. Calibration: the false-positive rate of ~200 synthetic A/A comparisons (both arms drawn from
 *    the same distribution) at the default settings, per test and per comparison (any finding),
 *    with the parts of the rule shown apart (raw p, Holm-adjusted p, the interval outside the
 *    threshold). Twice: with independent repetitions, and with a per-repetition random effect
 *    (each repetition's latencies scaled by exp(N(0, 0.05^2)), as a real cluster drifts between
 *    repetitions), where pooling the units in the U test overstates the evidence and the
 *    threshold on the bootstrap interval (which resamples repetitions) is what keeps findings rare.
 *
 * Run: node bench/comparison-stats.ts [comparisons]
 */
import { mulberry32 } from '../src/report/statistics/resampling.ts';
import { buildVariantComparison, VARIANT_COMPARISON_DEFAULTS } from '../src/report/variant-comparison/build.ts';
import type { ComparisonArm, ComparisonMetricDef, TrialSamples } from '../src/report/variant-comparison/model.ts';
import { normal, poisson } from '../test/helpers/random.ts';

const ARMS: ComparisonArm[] = [
  { name: 'chord', variant: 'chord', namespace: 'a' },
  { name: 'chord-2', variant: 'chord', namespace: 'b' },
];

function metric(id: string, label: string, unit: string, estimator: ComparisonMetricDef['estimator']) {
  return { id, metric: id.split('.')[0] as string, label, unit, estimator, better: undefined };
}

function trial(arm: string, size: number, repetition: number, units: Record<string, number[]>): TrialSamples {
  return {
    arm,
    size,
    repetition,
    order: repetition,
    window: { start: '2026-01-01T00:00:00Z', end: '2026-01-01T00:01:00Z' },
    units,
  };
}

function speed(): void {
  const sizes = [8, 16, 32];
  const quantiles = [0.5, 0.9, 0.95, 0.99];
  const metrics: ComparisonMetricDef[] = [
    ...quantiles.map((q) => metric(`latency.p${q * 100}`, `latency p${q * 100}`, 'ms', { kind: 'quantile', q })),
    metric('latency.mean', 'latency mean', 'ms', { kind: 'mean' }),
    metric('hops.p95', 'hops p95', 'hops', { kind: 'quantile', q: 0.95 }),
    metric('hit.mean', 'cache hit rate', '', { kind: 'mean' }),
    metric('throughput.mean', 'throughput', 'req/s', { kind: 'mean' }),
  ];
  const random = mulberry32(42);
  const z = normal(random);
  const trials: TrialSamples[] = [];
  for (const size of sizes) {
    for (const [a, arm] of ARMS.entries()) {
      for (let rep = 1; rep <= 3; rep++) {
        const units: Record<string, number[]> = {};
        const latency = Array.from({ length: 6000 }, () => Math.exp(Math.log(20) + 0.35 * z()) * (a === 1 ? 0.9 : 1));
        for (const m of metrics.slice(0, 5)) units[m.id] = latency;
        units['hops.p95'] = Array.from({ length: 6000 }, () => 1 + Math.floor(random() * Math.log2(size)));
        units['hit.mean'] = Array.from({ length: 6000 }, () => (random() < 0.8 ? 1 : 0));
        units['throughput.mean'] = Array.from({ length: 6000 }, () => poisson(random, 50));
        trials.push(trial(arm.name, size, rep, units));
      }
    }
  }
  const started = performance.now();
  const out = buildVariantComparison({ arms: ARMS, sweepParam: 'nodes', sizes, metrics, trials });
  const ms = performance.now() - started;
  console.log(
    `speed: ${sizes.length} sizes x ${metrics.length} metrics x ${ARMS.length} arms x 3 repetitions x 6,000 units, ` +
      `${VARIANT_COMPARISON_DEFAULTS.resamples} resamples: ${(ms / 1000).toFixed(2)} s ` +
      `(${(ms / (sizes.length * metrics.length * ARMS.length)).toFixed(0)} ms per arm x size x metric)`,
  );
  console.log(`  e.g. ${out.verdicts[2]}`);
}

interface Tally {
  tests: number;
  comparisons: number;
  significant: number;
  anySignificant: number;
  rawP: number;
  adjustedP: number;
  outsideThreshold: number;
  relativeExcludesZero: number;
}

function calibration(comparisons: number, repEffect: number): Tally {
  const metrics: ComparisonMetricDef[] = [
    metric('latency.p50', 'latency p50', 'ms', { kind: 'quantile', q: 0.5 }),
    metric('latency.p95', 'latency p95', 'ms', { kind: 'quantile', q: 0.95 }),
    metric('latency.p99', 'latency p99', 'ms', { kind: 'quantile', q: 0.99 }),
    metric('latency.mean', 'latency mean', 'ms', { kind: 'mean' }),
    metric('throughput.mean', 'throughput', 'req/s', { kind: 'mean' }),
    metric('hit.mean', 'cache hit rate', '', { kind: 'mean' }),
  ];
  const tally: Tally = {
    tests: 0,
    comparisons,
    significant: 0,
    anySignificant: 0,
    rawP: 0,
    adjustedP: 0,
    outsideThreshold: 0,
    relativeExcludesZero: 0,
  };
  const alpha = 1 - VARIANT_COMPARISON_DEFAULTS.confidence;
  for (let c = 0; c < comparisons; c++) {
    const random = mulberry32(1000 + c);
    const z = normal(random);
    const trials: TrialSamples[] = [];
    for (const arm of ARMS) {
      for (let rep = 1; rep <= 3; rep++) {
        const scale = Math.exp(repEffect * z());
        const latency = Array.from({ length: 600 }, () => Math.exp(Math.log(20) + 0.35 * z()) * scale);
        trials.push(
          trial(arm.name, 16, rep, {
            'latency.p50': latency,
            'latency.p95': latency,
            'latency.p99': latency,
            'latency.mean': latency,
            'throughput.mean': Array.from({ length: 60 }, () => poisson(random, 50 * scale)),
            'hit.mean': Array.from({ length: 600 }, () => (random() < 0.8 ? 1 : 0)),
          }),
        );
      }
    }
    const out = buildVariantComparison({ arms: ARMS, sweepParam: 'nodes', sizes: [16], metrics, trials, seed: c + 1 });
    let any = false;
    for (const result of out.results) {
      for (const cmp of result.comparisons) {
        tally.tests++;
        if (cmp.significant) {
          tally.significant++;
          any = true;
        }
        if (cmp.test && cmp.test.p < alpha) tally.rawP++;
        if (cmp.test && cmp.test.pAdjusted < alpha) tally.adjustedP++;
        const ri = cmp.relativeInterval;
        if (ri && (ri[0] > VARIANT_COMPARISON_DEFAULTS.threshold || ri[1] < -VARIANT_COMPARISON_DEFAULTS.threshold)) {
          tally.outsideThreshold++;
        }
        if (ri && (ri[0] > 0 || ri[1] < 0)) tally.relativeExcludesZero++;
      }
    }
    if (any) tally.anySignificant++;
  }
  return tally;
}

function report(name: string, t: Tally, ms: number): void {
  const rate = (k: number, n: number) => `${((100 * k) / n).toFixed(1)}% (${k}/${n})`;
  console.log(`A/A, ${name}: ${t.comparisons} comparisons x 6 metrics, ${(ms / 1000).toFixed(1)} s`);
  console.log(`  significant (the verdict):        ${rate(t.significant, t.tests)} of tests`);
  console.log(`  any significant in a comparison:  ${rate(t.anySignificant, t.comparisons)} of comparisons`);
  console.log(`  raw p < alpha:                    ${rate(t.rawP, t.tests)}`);
  console.log(`  Holm-adjusted p < alpha:          ${rate(t.adjustedP, t.tests)}`);
  console.log(`  relative interval excludes 0:     ${rate(t.relativeExcludesZero, t.tests)}`);
  console.log(
    `  relative interval outside +-${VARIANT_COMPARISON_DEFAULTS.threshold * 100}%: ${rate(t.outsideThreshold, t.tests)}`,
  );
}

const comparisons = Number(process.argv[2] ?? 200);
speed();
for (const [name, effect] of [
  ['independent repetitions', 0],
  ['repetition effect sd 0.05', 0.05],
] as const) {
  const started = performance.now();
  const tally = calibration(comparisons, effect);
  report(name, tally, performance.now() - started);
}
