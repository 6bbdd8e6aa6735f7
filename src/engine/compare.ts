import type { KubeWorkloads } from '../adapters/kube-workloads.ts';
import type { ClusterConnection } from '../adapters/kube-cluster.ts';
import type { PodData } from '../adapters/pod-data.ts';
import { InterruptedError, UsageError } from '../errors.ts';
import { deploy } from '../phases/deploy.ts';
import { runLoadPhases } from '../phases/load.ts';
import { captureWindowEnd, captureWindowStart, type TrialKey } from '../phases/measure.ts';
import { beginPhase } from '../phases/record.ts';
import { verify } from '../phases/verify.ts';
import { mulberry32 } from '../report/statistics/resampling.ts';
import type { ComparisonArm, TrialRecord } from '../report/variant-comparison/model.ts';
import type { WrittenReports } from '../report/write.ts';
import { renderManifests, resolveParams, type RenderedObject } from '../suite/render.ts';
import type { TargetName } from '../suite/schema.ts';
import { COMPARE_PLAN_MESSAGE, type ComparePlan } from '../run/compare-plan.ts';
import { writeComparisonReport } from './comparison-report.ts';
import { checkRunInputs } from './inputs.ts';
import { resolveRunsRoot } from '../run/run-dir.ts';
import { prepareRun, type RunContext, type RunOptions } from './run/context.ts';
import { finishRun } from './run/finish-run.ts';
import { bringUpInfrastructure, type Infrastructure } from './run/infrastructure.ts';
import { workloadSelectors } from './run/workload-selectors.ts';
import type { TeardownResult } from '../phases/teardown.ts';
import { recordImages } from '../phases/record-images.ts';

/** What `bench compare` is asked for. */
export interface CompareOptions extends RunOptions {
  /** The variants compared, the baseline first; a variant may appear twice (an A/A comparison). */
  variants: string[];
  /** Values of the suite's sweep parameter (default: the suite's sweep). */
  sizes?: number[];
  /** Repetitions per size (default 3). */
  repeat?: number;
  /** One variant's workload after another instead of all at once. */
  sequential?: boolean;
  /** Seed of the trial order and the bootstrap (default: random, recorded). */
  seed?: number;
  /** Confidence of the intervals and the test (default 0.95). */
  confidence?: number;
  /** Relative differences within +-threshold are not called significant (default 0.05). */
  threshold?: number;
}

/** The outcome of `bench compare`. */
export interface CompareRunResult {
  runId: string;
  runDir: string;
  suite: string;
  target: TargetName;
  status: 'succeeded' | 'failed' | 'interrupted';
  mode: 'side-by-side' | 'sequential';
  arms: ComparisonArm[];
  sweepParam: string;
  sizes: number[];
  repeat: number;
  seed: number;
  trials: TrialRecord[];
  verdicts: string[];
  report: WrittenReports | undefined;
  teardown: TeardownResult | undefined;
  cleanupCommand: string | undefined;
  error: { code: string; message: string } | undefined;
}

/** Checks the comparison's own inputs; bad ones are UsageErrors (exit 2) before anything exists. */
export async function planComparison(options: CompareOptions): Promise<ComparePlan> {
  const { loaded } = await checkRunInputs(options, 'validate');
  resolveRunsRoot(options.runsDir, options.env, { write: true }); // a bad --runs-dir is exit 2 before anything
  const suite = loaded.suite;
  const known = Object.keys(suite.variants ?? {});
  if (known.length === 0) {
    throw new UsageError('E_COMPARE_NO_VARIANTS', `suite ${suite.name} declares no variants to compare`, {
      fix: 'declare variants (each with its namespace and parameters) in suite.yaml',
    });
  }
  if (options.variants.length < 2) {
    throw new UsageError('E_COMPARE_ARMS', `compare needs two variants or more (got ${options.variants.length})`, {
      fix: `name them, e.g. \`bench compare ${suite.name} ${known.slice(0, 2).join(' ')}\` (the first is the baseline)`,
    });
  }
  for (const v of options.variants) {
    if (!known.includes(v)) {
      throw new UsageError('E_VARIANT_UNKNOWN', `suite ${suite.name} has no variant '${v}'`, {
        fix: `use one of: ${known.join(', ')}`,
      });
    }
  }
  const sweepParam = suite.sweep?.param;
  if (!sweepParam) {
    throw new UsageError('E_COMPARE_NO_SWEEP', `suite ${suite.name} declares no sweep parameter for --sizes`, {
      fix: 'declare `sweep: { param: <parameter>, values: [...] }` in suite.yaml',
    });
  }
  if (options.params?.[sweepParam] !== undefined) {
    throw new UsageError('E_COMPARE_SWEEP_SET', `--set ${sweepParam} conflicts with the sweep over ${sweepParam}`, {
      fix: `give the sizes with --sizes (e.g. --sizes ${options.params[sweepParam]})`,
    });
  }
  const sizes = [...new Set(options.sizes ?? suite.sweep?.values ?? [])].sort((a, b) => a - b);
  if (sizes.length === 0) {
    throw new UsageError('E_COMPARE_SIZES', 'no cluster sizes to compare', { fix: 'give --sizes, e.g. --sizes 8,16' });
  }
  // Each size must be a valid value of the parameter (whole number, within its range).
  for (const size of sizes) resolveParams(suite, options.target, { ...options.params, [sweepParam]: String(size) });
  const repeat = options.repeat ?? 3;
  if (!Number.isInteger(repeat) || repeat < 1) {
    throw new UsageError('E_COMPARE_REPEAT', `--repeat ${repeat}: needs a whole number of 1 or more`, {
      fix: 'give --repeat 3 (or more: more repetitions give narrower intervals)',
    });
  }
  const confidence = options.confidence ?? 0.95;
  if (!(confidence > 0.5 && confidence < 1)) {
    throw new UsageError('E_COMPARE_CONFIDENCE', `--confidence ${confidence}: must be between 0.5 and 1`, {
      fix: 'give e.g. --confidence 0.95',
    });
  }
  const threshold = options.threshold ?? 0.05;
  if (!(threshold >= 0 && threshold < 1)) {
    throw new UsageError('E_COMPARE_THRESHOLD', `--threshold ${threshold}: must be at least 0 and below 1`, {
      fix: 'give a relative difference, e.g. --threshold 0.05 (5%)',
    });
  }
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const arms = armsOf(options.variants, (v) => suite.variants?.[v]?.namespace ?? v);
  // Render every arm at every size now: a bad parameter fails here, not halfway through.
  for (const size of sizes) for (const arm of arms) renderArm(loaded, options, arm, sweepParam, size, 'validate');
  const random = mulberry32(seed);
  const shuffle = <T>(items: T[]): T[] => {
    const a = [...items];
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [a[i], a[j]] = [a[j] as T, a[i] as T];
    }
    return a;
  };
  const trials = shuffle(
    sizes.flatMap((size) => Array.from({ length: repeat }, (_, r) => ({ size, repetition: r + 1 }))),
  );
  return {
    suiteDir: loaded.dir,
    suite: suite.name,
    mode: options.sequential ? 'sequential' : 'side-by-side',
    arms,
    sweepParam,
    sizes,
    repeat,
    seed,
    confidence,
    threshold,
    params: Object.fromEntries(
      Object.entries(resolveParams(suite, options.target, options.params)).filter(([k]) => k !== sweepParam),
    ),
    // In sequential mode the arms also take turns in a random order within each trial.
    schedule: trials.map((t, i) => ({
      order: i + 1,
      size: t.size,
      repetition: t.repetition,
      arms: options.sequential ? shuffle(arms.map((a) => a.name)) : arms.map((a) => a.name),
    })),
  };
}

/** Arms from variant names: a variant named again gets `-2`, `-3` on its name and namespace. */
export function armsOf(variants: string[], namespaceOf: (variant: string) => string): ComparisonArm[] {
  const seen = new Map<string, number>();
  return variants.map((variant) => {
    const n = (seen.get(variant) ?? 0) + 1;
    seen.set(variant, n);
    const suffix = n === 1 ? '' : `-${n}`;
    return { name: `${variant}${suffix}`, variant, namespace: `${namespaceOf(variant)}${suffix}` };
  });
}

function renderArm(
  loaded: Awaited<ReturnType<typeof checkRunInputs>>['loaded'],
  options: Pick<CompareOptions, 'target' | 'params' | 'images'>,
  arm: ComparisonArm,
  sweepParam: string,
  size: number,
  runId: string,
  overrides: Record<string, string> = {},
): RenderedObject[] {
  return renderManifests(loaded, {
    target: options.target,
    runId,
    overrides: { ...options.params, [sweepParam]: String(size), ...overrides },
    images: options.images,
    arm,
  });
}

/**
 * `bench compare`: one cluster, the variants deployed with identical settings, and for every
 * size and repetition (in a random order) a warm-up (the suite's ramp), a measured window (its
 * active phase) and a cool-down, with the workload's output and the pods' counters captured raw
 * at the window's edges. Then the comparison report, and teardown in the load-balancer-safe order
 * (every arm's load balancers before `tofu destroy`).
 */
export async function compareVariants(options: CompareOptions): Promise<CompareRunResult> {
  const plan = await planComparison(options);
  // The cost estimate counts the load phases once per trial (and arm, when sequential).
  const ctx = await prepareRun({
    ...options,
    loadRounds: plan.schedule.length * (plan.mode === 'sequential' ? plan.arms.length : 1),
  });
  ctx.journal.append({ type: 'note', phase: 'compare', message: COMPARE_PLAN_MESSAGE, data: { ...plan } });
  ctx.events.emit(
    'info',
    'run',
    'run.start',
    `comparison ${ctx.runId}: ${plan.arms.map((a) => a.name).join(' vs ')} at ${plan.sweepParam}=${plan.sizes.join(',')}, ${plan.repeat} repetition(s), ${plan.mode}, seed ${plan.seed}`,
    { runId: ctx.runId, runDir: ctx.runDir },
  );
  const result: CompareRunResult = {
    runId: ctx.runId,
    runDir: ctx.runDir,
    suite: plan.suite,
    target: options.target,
    status: 'succeeded',
    mode: plan.mode,
    arms: plan.arms,
    sweepParam: plan.sweepParam,
    sizes: plan.sizes,
    repeat: plan.repeat,
    seed: plan.seed,
    trials: [],
    verdicts: [],
    report: undefined,
    teardown: undefined,
    cleanupCommand: undefined,
    error: undefined,
  };
  const infra: Partial<Infrastructure> = {};
  let failure: unknown;
  try {
    // One lease for the whole comparison: every variant deploys under it.
    Object.assign(infra, await bringUpInfrastructure(ctx, { forceTakeover: options.forceTakeover }));
    await runTrials(ctx, options, plan, infra.connection as ClusterConnection, result);
  } catch (err) {
    failure = err;
    result.status = err instanceof InterruptedError || ctx.signal?.aborted ? 'interrupted' : 'failed';
  }
  // Whatever was measured is reported, before teardown (a failed report never loses the raw data).
  if (result.trials.length > 0) {
    const phase = beginPhase(ctx.journal, ctx.events, 'report', 'writing the comparison report');
    try {
      const written = await writeComparisonReport({ runDir: ctx.runDir, runId: ctx.runId, status: result.status });
      result.report = written.files;
      result.verdicts = written.report.verdicts;
      phase.done(`report: ${written.files.md}`);
    } catch (err) {
      phase.failed(err);
      failure ??= err;
      if (result.status === 'succeeded') result.status = 'failed';
    }
  }
  return finishRun(ctx, infra, result, failure, {
    // After teardown the run's end (status, endedAt) is known: the report says it.
    rewriteReport: result.report ? () => writeComparisonReport({ runDir: ctx.runDir, runId: ctx.runId }) : undefined,
  });
}

async function runTrials(
  ctx: RunContext,
  options: CompareOptions,
  plan: ComparePlan,
  connection: ClusterConnection,
  result: CompareRunResult,
): Promise<void> {
  const kube = ctx.services.kubeWorkloads(connection);
  const pods: PodData = ctx.services.podData(connection, { podEndpointBase: ctx.setup.sandbox?.agentUrl });
  const render = (arm: ComparisonArm, size: number, overrides: Record<string, string> = {}) =>
    renderArm(ctx.loaded, options, arm, plan.sweepParam, size, ctx.runId, overrides);
  const armByName = new Map(plan.arms.map((a) => [a.name, a]));
  const params = resolveParams(ctx.loaded.suite, options.target, options.params);
  const phase = beginPhase(
    ctx.journal,
    ctx.events,
    'compare',
    `${plan.schedule.length} trial(s) of ${plan.arms.map((a) => a.name).join(' vs ')}, ${plan.mode}`,
  );
  let deployedSize: number | undefined;
  try {
    for (const trial of plan.schedule) {
      const label = `trial ${trial.order}/${plan.schedule.length}: ${plan.sweepParam}=${trial.size}, repetition ${trial.repetition}`;
      if (trial.size !== deployedSize) {
        ctx.events.emit(
          'info',
          'compare',
          'compare.size',
          `${label}: deploying every arm at ${plan.sweepParam}=${trial.size}`,
        );
        await deployArms(ctx, plan, trial.size, render, kube);
        deployedSize = trial.size;
      }
      const record: TrialRecord = {
        order: trial.order,
        size: trial.size,
        repetition: trial.repetition,
        arms: trial.arms,
        windows: {},
      };
      // Side by side: every arm's workload at once; sequential: one arm after another.
      const groups = plan.mode === 'sequential' ? trial.arms.map((a) => [a]) : [trial.arms];
      for (const group of groups) {
        const arms = group.map((name) => armByName.get(name) as ComparisonArm);
        ctx.events.emit('info', 'compare', 'compare.trial', `${label}: ${arms.map((a) => a.name).join(' + ')}`);
        const keys = arms.map((arm): TrialKey => ({
          arm: arm.name,
          namespace: arm.namespace,
          size: trial.size,
          repetition: trial.repetition,
          order: trial.order,
        }));
        let windowStart: Date | undefined;
        await runLoadPhases({
          suite: ctx.loaded.suite,
          durations: ctx.durations,
          params: { ...params, [plan.sweepParam]: trial.size },
          kube,
          journal: ctx.journal,
          events: ctx.events,
          renderWorkload: (overrides) =>
            arms.flatMap((arm) =>
              render(arm, trial.size, overrides)
                .filter((o) => o.stage === 'workload')
                .map((o) => o.object),
            ),
          workloadSuffix: `-t${trial.order}`,
          signal: ctx.signal,
          onPhaseEdge: async (name, edge, at) => {
            if (name !== 'active') return;
            const capture = {
              runDir: ctx.runDir,
              suite: ctx.loaded.suite,
              pods,
              journal: ctx.journal,
              events: ctx.events,
              signal: ctx.signal,
            };
            if (edge === 'start') {
              windowStart = at;
              await Promise.all(keys.map((key) => captureWindowStart({ ...capture, key })));
              return;
            }
            const window = { start: (windowStart ?? at).toISOString(), end: at.toISOString() };
            await Promise.all(
              keys.map((key) =>
                captureWindowEnd({
                  ...capture,
                  key,
                  window,
                  workload: render(armByName.get(key.arm) as ComparisonArm, trial.size)
                    .filter((o) => o.stage === 'workload')
                    .map((o) => o.object),
                }),
              ),
            );
            for (const key of keys) record.windows[key.arm] = window;
          },
        });
      }
      result.trials.push(record);
    }
    phase.done(`${result.trials.length} trial(s) measured`);
  } catch (err) {
    phase.failed(err);
    throw err;
  }
}

/** Applies every arm at one size (server-side apply: only what changed changes) and waits for it. */
async function deployArms(
  ctx: RunContext,
  plan: ComparePlan,
  size: number,
  render: (arm: ComparisonArm, size: number) => RenderedObject[],
  kube: KubeWorkloads,
): Promise<void> {
  const objects = plan.arms.flatMap((arm) => render(arm, size).filter((o) => o.stage === 'deploy'));
  const deployed = await deploy({
    objects,
    runId: ctx.runId,
    runDir: ctx.runDir,
    kube,
    journal: ctx.journal,
    events: ctx.events,
    signal: ctx.signal,
  });
  const selectors = workloadSelectors(objects);
  await verify({
    kube,
    journal: ctx.journal,
    events: ctx.events,
    workloads: deployed.workloads,
    loadBalancers: deployed.loadBalancers,
    placements: ctx.loaded.suite.verify.placement,
    selectors,
    deadlineMs: ctx.loaded.suite.verify.timeout * 1000,
    signal: ctx.signal,
  });
  await recordImages({
    kube,
    namespaces: deployed.workloads.map((w) => w.namespace),
    journal: ctx.journal,
    events: ctx.events,
  });
}
