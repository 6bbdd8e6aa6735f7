import { join } from 'node:path';
import { UsageError } from '../errors.ts';
import { comparisonMetrics, readTrialSamples } from '../phases/measure.ts';
import { buildVariantComparison as buildComparison } from '../report/variant-comparison/build.ts';
import {
  VARIANT_COMPARISON_SCHEMA_VERSION as COMPARISON_SCHEMA_VERSION,
  type VariantComparisonReport as ComparisonReport,
} from '../report/variant-comparison/model.ts';
import { isSimulated, recordedTofu, simulationOf } from '../report/model.ts';
import { writeVariantComparisonReports as writeComparisonReports } from '../report/variant-comparison/render.ts';
import type { WrittenReports } from '../report/write.ts';
import { readComparePlan, type ComparePlan } from '../run/compare-plan.ts';
import { readJournal } from '../run/journal.ts';
import { readRunStart } from '../run/run-record.ts';
import { JOURNAL_FILE } from '../run/run-dir.ts';
import { loadSuite } from '../suite/load.ts';

/** Bootstrap resamples of a comparison. */
export const COMPARISON_RESAMPLES = 2000;

/** How the comparison's numbers are made, in words (the report's method section). */
export function methodDescription(plan: Pick<ComparePlan, 'confidence' | 'threshold' | 'mode'>): string {
  const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
  return [
    `Every arm runs with identical parameters and workload (${plan.mode === 'side-by-side' ? 'side by side, at the same time, on one cluster' : 'one after another, in a random order per trial, on one cluster'}); the trials (size x repetition) run in a random order (seeded) so that drift over time does not favour one arm.`,
    "Each trial is a warm-up (the suite's ramp), a measured window (its active phase) and a cool-down; only requests completed inside the measured window count.",
    `Per trial, a metric's value is its statistic over the window (a latency percentile over the requests, a mean over the seconds or requests, a counter's increase); per size, an arm's value is the median over the repetitions, with a ${pct(plan.confidence)} hierarchical percentile bootstrap interval (repetitions resampled, then the units inside each).`,
    `The difference to the baseline and its interval come from the same resamples. Significance: a two-sided Mann-Whitney U test on the pooled units, p-values adjusted with Holm's method over every size, metric and arm; a difference is called significant only when the adjusted p is below ${pct(1 - plan.confidence)} and its whole interval lies outside +-${pct(plan.threshold)} (smaller differences are treated as noise). Effect size: Cliff's delta.`,
  ].join(' ');
}

/**
 * The parameters shared by every arm, and those each arm's variant sets (the protocol): a
 * parameter a variant sets is not "identical for every arm", whatever the plan's shared
 * parameters say (they hold the suite's default for it).
 */
export function paramsByArm(
  plan: Pick<ComparePlan, 'arms' | 'params'>,
  variants: Record<string, { params?: Record<string, string | number | boolean> }>,
): Pick<ComparisonReport, 'params' | 'armParams'> {
  const armParams = Object.fromEntries(plan.arms.map((a) => [a.name, { ...(variants[a.variant]?.params ?? {}) }]));
  const perArm = new Set(Object.values(armParams).flatMap((p) => Object.keys(p)));
  const params = Object.fromEntries(Object.entries(plan.params).filter(([k]) => !perArm.has(k)));
  if (perArm.size === 0) return { params };
  // An arm whose variant leaves a parameter unset runs with the shared value.
  for (const p of Object.values(armParams))
    for (const k of perArm) if (p[k] === undefined && plan.params[k] !== undefined) p[k] = plan.params[k];
  return { params, armParams };
}

/**
 * Builds a comparison's report from its journal and stored raw data (nothing is fetched) and
 * writes report.md, report.html and summary.json into its run directory.
 */
export async function writeComparisonReport(input: {
  runDir: string;
  runId: string;
  /** The status when reported before the run's end (by `bench compare` itself). */
  status?: string;
}): Promise<{ report: ComparisonReport; files: WrittenReports }> {
  const journalPath = join(input.runDir, JOURNAL_FILE);
  const { records } = readJournal(journalPath);
  const plan = readComparePlan(records, journalPath);
  if (!plan) {
    throw new UsageError('E_NOT_A_COMPARISON', `run ${input.runId} is not a comparison (its journal has no plan)`, {
      fix: '`bench report <run-id>` reports it as a single run',
    });
  }
  const start = readRunStart(records, journalPath);
  const end = records.findLast((r) => r.type === 'run-end');
  const suite = loadSuite(plan.suiteDir).suite;
  const metrics = comparisonMetrics(suite);
  const trials = readTrialSamples(input.runDir, suite, metrics);
  const windows = new Map<number, Record<string, { start: string; end: string }>>();
  for (const t of trials) windows.set(t.order, { ...windows.get(t.order), [t.arm]: t.window });
  const built = buildComparison({
    arms: plan.arms,
    sizes: plan.sizes,
    metrics,
    trials,
    sweepParam: plan.sweepParam,
    confidence: plan.confidence,
    threshold: plan.threshold,
    resamples: COMPARISON_RESAMPLES,
    seed: plan.seed,
  });
  const report: ComparisonReport = {
    schemaVersion: COMPARISON_SCHEMA_VERSION,
    kind: 'comparison',
    run: {
      runId: input.runId,
      suite: plan.suite,
      target: start?.target ?? 'unknown',
      status: input.status ?? (end?.type === 'run-end' ? end.status : 'running'),
      startedAt: start?.t ?? '',
      endedAt: end?.t ?? null,
      tofu: recordedTofu(start?.options),
    },
    mode: plan.mode,
    arms: plan.arms,
    sweepParam: plan.sweepParam,
    sizes: plan.sizes,
    repeat: plan.repeat,
    ...paramsByArm(plan, suite.variants ?? {}),
    method: {
      confidence: plan.confidence,
      threshold: plan.threshold,
      resamples: COMPARISON_RESAMPLES,
      seed: plan.seed,
      test: 'Mann-Whitney U (two-sided) on the pooled units',
      correction: 'Holm over every size, metric and arm',
      description: methodDescription(plan),
    },
    metrics,
    // The trials that were measured, in the order they ran.
    schedule: plan.schedule
      .filter((t) => windows.has(t.order))
      .map((t) => ({ ...t, windows: windows.get(t.order) ?? {} })),
    results: built.results,
    verdicts: built.verdicts,
    missing: built.missing,
    simulation: simulationOf(
      plan.suite,
      metrics.map((m) => {
        const declared = suite.metrics.find((d) => d.name === m.metric);
        return {
          name: m.id,
          simulated: isSimulated(start?.target ?? 'unknown', declared?.source ?? 'prometheus', declared?.query ?? null),
        };
      }),
    ),
  };
  const files = await writeComparisonReports(input.runDir, report);
  return { report, files };
}
