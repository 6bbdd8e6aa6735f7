import type { ClusterConnection } from '../../adapters/kube-cluster.ts';
import type { WorkloadRef } from '../../adapters/kube-workloads.ts';
import { InterruptedError, type BenchError } from '../../errors.ts';
import { collect } from '../../phases/collect.ts';
import { deploy } from '../../phases/deploy.ts';
import { runLoadPhases, type PhaseTiming } from '../../phases/load.ts';
import { beginPhase } from '../../phases/record.ts';
import { recordImages } from '../../phases/record-images.ts';
import type { TeardownResult } from '../../phases/teardown.ts';
import { verify, type VerifyResult } from '../../phases/verify.ts';
import { readRunFigures, type RunFigures } from '../../report/figures.ts';
import type { WrittenReports } from '../../report/write.ts';
import { readJournal } from '../../run/journal.ts';
import { renderManifests, resolveParams } from '../../suite/render.ts';
import type { TargetName } from '../../suite/schema.ts';
import { prometheusClient, prometheusStep, reportRun, runWindow } from '../report.ts';
import { prepareRun, type RunContext, type RunOptions } from './context.ts';
import { finishRun } from './finish-run.ts';
import { bringUpInfrastructure, type Infrastructure } from './infrastructure.ts';
import { workloadSelectors } from './workload-selectors.ts';

/** The outcome of `bench run`, printed as the summary (and by --json). */
export interface RunResult {
  runId: string;
  runDir: string;
  suite: string;
  target: TargetName;
  status: 'succeeded' | 'failed' | 'interrupted';
  phases: PhaseTiming[];
  deployed: number;
  placements: VerifyResult['placements'];
  loadBalancers: Record<string, string>;
  teardown: TeardownResult | undefined;
  /** Set when --keep left everything running: the command that removes it later. */
  cleanupCommand: string | undefined;
  /** The report files (written before teardown), when the phases ran. */
  report: WrittenReports | undefined;
  /** Each gate with its value, threshold and outcome, from the final report (empty without one). */
  gates: RunFigures['gates'];
  /** Each metric's active-phase headline figure, from the final report (empty without one). */
  headlines: RunFigures['headlines'];
  /** What the report says about simulated series (the local cloud); null when none is. */
  simulated: string | null;
  error: { code: string; message: string } | undefined;
}

/**
 * One whole run: provision, connect, deploy, verify, ramp / active / cool-down, then teardown
 * in the load-balancer-safe order, whatever happened before it (unless --keep). Interrupted
 * runs tear down too, and fail with InterruptedError (exit 130) afterwards.
 */
export async function runBenchmark(options: RunOptions): Promise<RunResult> {
  const ctx = await prepareRun(options);
  ctx.events.emit('info', 'run', 'run.start', `run ${ctx.runId} (${ctx.loaded.suite.name} on ${ctx.setup.target})`, {
    runId: ctx.runId,
    runDir: ctx.runDir,
  });
  const result: RunResult = {
    runId: ctx.runId,
    runDir: ctx.runDir,
    suite: ctx.loaded.suite.name,
    target: ctx.setup.target,
    status: 'succeeded',
    phases: [],
    deployed: 0,
    placements: [],
    loadBalancers: {},
    teardown: undefined,
    cleanupCommand: undefined,
    report: undefined,
    gates: [],
    headlines: [],
    simulated: null,
    error: undefined,
  };
  const infra: Partial<Infrastructure> = {};
  let failure: unknown;
  try {
    Object.assign(infra, await bringUpInfrastructure(ctx, { forceTakeover: options.forceTakeover }));
    const kube = ctx.services.kubeWorkloads(infra.connection as ClusterConnection);
    const render = (overrides: Record<string, string>) =>
      renderManifests(ctx.loaded, {
        target: ctx.setup.target,
        runId: ctx.runId,
        overrides: { ...options.params, ...overrides },
        images: options.images,
      });
    const objects = render({});
    const deployed = await deploy({
      objects: objects.filter((o) => o.stage === 'deploy'),
      runId: ctx.runId,
      runDir: ctx.runDir,
      kube,
      journal: ctx.journal,
      events: ctx.events,
      signal: ctx.signal,
    });
    result.deployed = deployed.applied.length;
    const selectors = workloadSelectors(objects);
    const verified = await verify({
      kube,
      journal: ctx.journal,
      events: ctx.events,
      workloads:
        ctx.loaded.suite.verify.rollout?.map((r) => ({
          kind: r.kind as WorkloadRef['kind'],
          namespace: r.namespace ?? 'default',
          name: r.name,
        })) ?? deployed.workloads,
      loadBalancers: deployed.loadBalancers,
      placements: ctx.loaded.suite.verify.placement,
      selectors,
      deadlineMs: ctx.loaded.suite.verify.timeout * 1000,
      signal: ctx.signal,
    });
    result.placements = verified.placements;
    result.loadBalancers = verified.loadBalancers;
    await recordImages({
      kube,
      namespaces: deployed.workloads.map((w) => w.namespace),
      journal: ctx.journal,
      events: ctx.events,
    });
    const params = resolveParams(ctx.loaded.suite, ctx.setup.target, options.params);
    await runLoadPhases({
      // Filled phase by phase: an interrupted run still shows the phases that ran.
      timings: result.phases,
      suite: ctx.loaded.suite,
      durations: ctx.durations,
      params,
      kube,
      journal: ctx.journal,
      events: ctx.events,
      renderWorkload: (overrides) =>
        render(overrides)
          .filter((o) => o.stage === 'workload')
          .map((o) => o.object),
      signal: ctx.signal,
    });
  } catch (err) {
    failure = err;
    result.status = err instanceof InterruptedError || ctx.signal?.aborted ? 'interrupted' : 'failed';
  }
  // Collect and report before teardown, while the cluster (and its Prometheus) still exists:
  // whatever phases ran, an interrupted run's too (its numbers are what it was run for).
  if (result.phases.length > 0) {
    try {
      result.report = await collectAndReport(ctx, infra, options, result.status);
    } catch (err) {
      result.report = (err as BenchError).data?.files as WrittenReports | undefined;
      if (result.status === 'succeeded') result.status = 'failed';
      failure ??= err;
    }
  }
  return finishRun(ctx, infra, result, failure, {
    // After teardown the run's end (status, endedAt) is known: the report says it.
    rewriteReport: result.report
      ? () =>
          reportRun({
            runId: ctx.runId,
            runsDir: options.runsDir,
            env: options.env,
            junit: options.junit,
            recollect: false,
            services: ctx.services,
            // The summary shows what the final report says (a failed gate throws after writing it).
          }).finally(() => Object.assign(result, readRunFigures(result.report?.json)))
      : undefined,
  });
}

/** Fetches the run's metrics (raw data first), then writes report.md, report.html and summary.json. */
async function collectAndReport(
  ctx: RunContext,
  infra: Partial<Infrastructure>,
  options: RunOptions,
  status: string,
): Promise<WrittenReports> {
  const { records } = readJournal(ctx.journal.path);
  const window = runWindow(records);
  // The run's own signal is aborted by a Ctrl-C: an interrupted run collects within the suite's
  // collect deadline, then tears down whatever it got.
  const signal = status === 'interrupted' ? AbortSignal.timeout(ctx.loaded.suite.collect.deadline * 1000) : ctx.signal;
  if (window) {
    await collect({
      suite: ctx.loaded.suite,
      runDir: ctx.runDir,
      prometheus: prometheusClient(ctx.record.prometheus, infra.connection, ctx.services.prometheus),
      // A little margin: the first and last scrapes around the phases.
      start: new Date(window.start.getTime() - 5000),
      end: new Date(window.end.getTime() + 5000),
      stepSeconds: prometheusStep(ctx.loaded.suite, ctx.setup.target),
      params: resolveParams(ctx.loaded.suite, ctx.setup.target, options.params),
      journal: ctx.journal,
      events: ctx.events,
      signal,
    });
  }
  const phase = beginPhase(ctx.journal, ctx.events, 'report', 'writing the report');
  const written = (files: WrittenReports, reported: string) =>
    ctx.journal.append({
      type: 'note',
      phase: 'report',
      message: 'report written',
      data: { status: reported, md: files.md },
    });
  try {
    const { files, report } = await reportRun({
      runId: ctx.runId,
      runsDir: options.runsDir,
      env: options.env,
      junit: options.junit,
      status,
      recollect: false,
      events: ctx.events,
      services: ctx.services,
    });
    written(files, report.run.status);
    phase.done(`report: ${files.md}`);
    return files;
  } catch (err) {
    const files = (err as BenchError).data?.files as WrittenReports | undefined;
    if (files) {
      written(files, String((err as BenchError).data?.status ?? status));
      phase.done(`report (with problems): ${files.md}`);
    } else phase.failed(err);
    throw err;
  }
}
