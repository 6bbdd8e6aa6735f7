import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import type { ClusterConnection } from '../adapters/kube-cluster.ts';
import { createServices, type Services } from '../adapters/services.ts';
import { acquireClusterLease, type HeldLease } from '../phases/lease.ts';
import { checkRunInputs, type RunInputs } from './inputs.ts';
import { estimateRunCost, runPreflight, type PreflightOptions } from './preflight.ts';
import { prometheusClient, prometheusFor, prometheusStep, reportRun, resolveRunQueries, runWindow } from './report.ts';
import { collect } from '../phases/collect.ts';
import { beginPhase } from '../phases/record.ts';
import type { WrittenReports } from '../report/write.ts';
import type { WorkloadRef } from '../adapters/kube-workloads.ts';
import { deploy } from '../phases/deploy.ts';
import { runLoadPhases, type PhaseTiming } from '../phases/load.ts';
import { verify, type VerifyResult } from '../phases/verify.ts';
import { recordImages } from '../phases/record-images.ts';
import { readRunFigures, type RunFigures } from '../report/figures.ts';
import type { Tofu } from '../adapters/tofu.ts';
import { BenchError, InterruptedError, toBenchError } from '../errors.ts';
import { connect } from '../phases/connect.ts';
import {
  provision,
  resolveModuleDir,
  runTofu,
  tofuVariables,
  tofuWorkDir,
  type ClusterOutputs,
  type TofuPlan,
} from '../phases/provision.ts';
import { recordedKubeObjects, teardown, type TeardownResult } from '../phases/teardown.ts';
import { EventBus } from '../run/events.ts';
import { Journal, readJournal } from '../run/journal.ts';
import { cleanupCommand, createRunDir, JOURNAL_FILE, newRunId, resolveRunsRoot } from '../run/run-dir.ts';
import type { RunStartOptions, WrittenRunRecordOptions } from '../run/run-record.ts';
import { resolveTarget, targetFor } from '../targets/index.ts';
import type { TargetSetup } from '../targets/target.ts';
import { targetTraits } from '../targets/traits.ts';
import type { LoadedSuite } from '../suite/load.ts';
import type { PhaseDurations } from '../suite/phases.ts';
import { renderManifests, resolveParams, type RenderedObject } from '../suite/render.ts';
import type { TargetName } from '../suite/schema.ts';

/** What starting a run is asked for (the flags of `bench run`). */
export interface RunOptions extends RunInputs, PreflightOptions {
  /**
   * How many times the load phases run, for the cost estimate: a comparison's trials (times its
   * arms when sequential); default as `bench plan` counts a run.
   */
  loadRounds?: number;
  /** kubeconfig context (target kube). */
  context?: string;
  runsDir?: string;
  /** Skip teardown; the run's cleanup command is printed instead. */
  keep?: boolean;
  /** ELBv2 poll interval during teardown (default 5 s on AWS, 1 s on the local cloud). */
  lbPollMs?: number;
  /** Any Prometheus-compatible endpoint instead of the suite's (e.g. a Thanos Querier). */
  prometheusUrl?: string;
  /** Also write junit.xml (one test case per gate). */
  junit?: boolean;
  /** Take over the cluster's lease from a run that is provably dead (src/phases/lease.ts). */
  forceTakeover?: boolean;
  events?: EventBus;
  signal?: AbortSignal;
  /** The outside world (default: the real one, {@link createServices}); tests hand in fakes. */
  services?: Services;
}

/** A run in progress: its identity, directory, journal and resolved target. */
export interface RunContext {
  runId: string;
  runDir: string;
  loaded: LoadedSuite;
  setup: TargetSetup;
  durations: PhaseDurations;
  journal: Journal;
  events: EventBus;
  signal: AbortSignal | undefined;
  tofuPlan: TofuPlan | undefined;
  record: WrittenRunRecordOptions;
  /** The command that removes what the run left, with --runs-dir when it had one: every fix names it. */
  cleanupCommand: string;
  services: Services;
}

/**
 * Validates everything (suite, target, durations, parameters), runs the preflight (tools; on aws
 * credentials, region, cost estimate and confirmation) and only then creates the run directory and
 * writes the run-start record: bad input, or a refused preflight, creates nothing.
 */
export async function prepareRun(options: RunOptions): Promise<RunContext> {
  const env = options.env ?? process.env;
  const events = options.events ?? new EventBus();
  const services = options.services ?? createServices();
  const { loaded, durations, variables: givenVariables } = await checkRunInputs(options, 'validate');
  resolveRunsRoot(options.runsDir, env, { write: true }); // a bad --runs-dir is exit 2 before any preflight
  const setup = await resolveTarget(loaded.suite, options.target, { env, context: options.context });
  const targetSpec = loaded.suite.targets[options.target];
  const moduleDir = targetSpec && 'module' in targetSpec ? resolveModuleDir(loaded, targetSpec.module) : undefined;
  // `--var` values are checked before the preflight asks anyone anything.
  if (moduleDir) tofuVariables(loaded, setup, 'validate', new Date(), { variables: givenVariables });
  const preflight = await runPreflight({
    ...options,
    adapters: { ...services.probes(setup.env), ...options.adapters },
    setup,
    moduleDir,
    variables: options.variables,
    estimate: () => estimateRunCost(options, options.loadRounds),
    events,
    signal: options.signal,
  });
  const binary = preflight.tofu;

  const runId = newRunId(loaded.suite.name);
  const wallClock = Object.values(durations).reduce((a, b) => a + b, 0);
  const expiresAt = new Date(Date.now() + (wallClock + 2 * 3600 + 3600) * 1000);
  const variables =
    binary && moduleDir
      ? tofuVariables(loaded, setup, runId, expiresAt, {
          nodes: options.nodes,
          variables: givenVariables,
          apiAllowedCidrs: preflight.apiAllowedCidrs,
        })
      : undefined;
  const runDir = createRunDir(resolveRunsRoot(options.runsDir, env), runId);
  const journal = Journal.open(join(runDir, JOURNAL_FILE));
  let tofuPlan: TofuPlan | undefined;
  if (binary && moduleDir && variables) {
    tofuPlan = { moduleDir, workDir: tofuWorkDir(runDir), binary: binary.path, variables };
  }
  const record: WrittenRunRecordOptions = {
    suiteRef: options.suite,
    suiteDir: loaded.dir,
    region: setup.region,
    clusterName: String(tofuPlan?.variables.cluster_name ?? options.context ?? 'existing'),
    context: setup.kube?.context,
    tofu: tofuPlan &&
      binary && {
        moduleDir: tofuPlan.moduleDir,
        workDir: tofuPlan.workDir,
        binary: tofuPlan.binary,
        kind: binary.name,
        version: binary.version,
      },
    // The run's repository is the module's; the suite may name more that teardown must empty.
    ecrRepositories:
      tofuPlan?.variables.create_ecr_repository === true
        ? [
            ...new Set([
              String(tofuPlan.variables.ecr_repository_name ?? 'thyme'),
              ...loaded.suite.teardown.ecrRepositories,
            ]),
          ]
        : [],
    lbPollMs: options.lbPollMs ?? targetTraits(options.target).lbPollMs,
    teardownDeadlineMs: loaded.suite.teardown.deadline * 1000,
    keep: options.keep ?? false,
    prometheus: prometheusFor(loaded.suite, targetFor(options.target).prometheusUrl(setup), options.prometheusUrl),
    queries: resolveRunQueries(loaded.suite, resolveParams(loaded.suite, options.target, options.params)),
  };
  const startOptions: RunStartOptions = {
    ...record,
    durations,
    params: options.params ?? {},
    images: options.images ?? {},
  };
  journal.append({
    type: 'run-start',
    runId,
    suite: loaded.suite.name,
    target: options.target,
    pid: process.pid,
    host: hostname(),
    options: startOptions,
  });
  return {
    runId,
    runDir,
    loaded,
    setup,
    durations,
    journal,
    events,
    signal: options.signal,
    tofuPlan,
    record,
    cleanupCommand: cleanupCommand(runId, options.runsDir),
    services,
  };
}

/** What bringing the infrastructure up produced. */
export interface Infrastructure {
  connection: ClusterConnection;
  outputs: ClusterOutputs | undefined;
  tofu: Tofu | undefined;
  /** The cluster's lease, held from before deploy until the end of teardown. */
  lease?: HeldLease;
}

/**
 * Provision (aws, sandbox), connect, and take the cluster's lease before anything is deployed:
 * a cluster held by another live run refuses (exit 2) with nothing created in it, and without a
 * connection in the result so teardown does not touch that run's objects.
 */
export async function bringUpInfrastructure(
  ctx: RunContext,
  options: { forceTakeover?: boolean } = {},
): Promise<Infrastructure> {
  let outputs: ClusterOutputs | undefined;
  let tofu: Tofu | undefined;
  if (ctx.tofuPlan) {
    const provisioned = await provision({
      runId: ctx.runId,
      cleanupCommand: ctx.cleanupCommand,
      tofuPlan: ctx.tofuPlan,
      setup: ctx.setup,
      journal: ctx.journal,
      events: ctx.events,
      signal: ctx.signal,
      createTofu: ctx.services.tofu,
    });
    outputs = provisioned.outputs;
    tofu = provisioned.tofu;
  }
  const connection = await connect({
    setup: ctx.setup,
    outputs,
    journal: ctx.journal,
    events: ctx.events,
    signal: ctx.signal,
  });
  const lease = await acquireClusterLease({
    leases: ctx.services.kubeLeases(connection),
    runId: ctx.runId,
    journal: ctx.journal,
    events: ctx.events,
    forceTakeover: options.forceTakeover,
    runsRoot: dirname(ctx.runDir),
    signal: ctx.signal,
  });
  return { connection, outputs, tofu, lease };
}

/**
 * Tears the run down in the load-balancer-safe order. Uses the live connection when there is one;
 * teardown must not be interrupted by the run's own signal (one Ctrl-C means: tear down).
 */
export async function tearDownRun(
  ctx: RunContext,
  infra: Partial<Infrastructure>,
  signal?: AbortSignal,
): Promise<TeardownResult> {
  const region = infra.outputs?.region ?? ctx.setup.region;
  // A fresh adapter: the one provisioning used carries the run's signal, aborted by a Ctrl-C.
  const tofu = ctx.tofuPlan && runTofu(ctx.tofuPlan, ctx.setup.env, ctx.events, signal, ctx.journal, ctx.services.tofu);
  // The cluster's lease goes once teardown has deleted the run's namespaces; while the run's
  // objects stay (a teardown that failed) it is kept until `bench cleanup` releases it.
  const settleLease = async (how: 'release' | 'keep') => {
    try {
      await infra.lease?.[how]();
    } catch (err) {
      ctx.events.emit(
        'warn',
        'teardown',
        'teardown.lease',
        `the cluster's lease could not be ${how === 'release' ? 'released' : 'kept'} (${(err as Error).message.split('\n')[0]}); it expires by itself`,
      );
    }
  };
  const result = await teardown({
    runId: ctx.runId,
    cleanupCommand: ctx.cleanupCommand,
    target: ctx.setup.target,
    clusterName: infra.outputs?.clusterName ?? ctx.record.clusterName,
    journal: ctx.journal,
    events: ctx.events,
    kube: infra.connection ? ctx.services.kubeCluster(infra.connection) : undefined,
    aws:
      region && targetTraits(ctx.setup.target).callsAws ? ctx.services.awsResources(region, ctx.setup.env) : undefined,
    tofu: tofu && ctx.tofuPlan ? { tofu, variables: ctx.tofuPlan.variables, workDir: ctx.tofuPlan.workDir } : undefined,
    ecrRepositories: ctx.record.ecrRepositories,
    // What deploy and the load phases journaled as applied, and not removed since.
    recorded: recordedKubeObjects(readJournal(ctx.journal.path).records),
    deadlineMs: ctx.record.teardownDeadlineMs,
    pollMs: ctx.record.lbPollMs,
    signal,
  }).catch(async (err: unknown) => {
    await settleLease('keep');
    throw err;
  });
  await settleLease('release');
  return result;
}

/** Each rendered workload's pod selector, by `<Kind> <namespace>/<name>` (for verify's placement checks). */
export function workloadSelectors(objects: RenderedObject[]): Map<string, Record<string, string>> {
  return new Map(
    objects
      .filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.object.kind))
      .map((o) => [
        `${o.object.kind} ${o.object.metadata.namespace ?? 'default'}/${o.object.metadata.name}`,
        (o.object.spec as { selector?: { matchLabels?: Record<string, string> } }).selector?.matchLabels ?? {},
      ]),
  );
}

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

/** The run-end status that goes with an exit code: succeeded only with 0. */
export function statusForExit(exitCode: number): 'succeeded' | 'failed' | 'interrupted' {
  if (exitCode === 0) return 'succeeded';
  return exitCode === 130 ? 'interrupted' : 'failed';
}

/** What {@link finishRun} reads and fills in of a run's (or a comparison's) result. */
export interface FinishableResult {
  status: 'succeeded' | 'failed' | 'interrupted';
  teardown: TeardownResult | undefined;
  cleanupCommand: string | undefined;
  error: { code: string; message: string } | undefined;
}

/**
 * The end of every run: the failure (if any) journaled, then teardown in the load-balancer-safe
 * order (or, with --keep, the cleanup command), the run-end record, and the error to exit with:
 * a teardown that left resources wins over the failure before it, which its message names.
 */
export async function finishRun<R extends FinishableResult>(
  ctx: RunContext,
  infra: Partial<Infrastructure>,
  result: R,
  failure: unknown,
  options: {
    /** Writes the report again once the run-end record is written (its errors are the run's already). */
    rewriteReport?: () => Promise<unknown>;
    /** What tears the run down (default {@link tearDownRun}; unit tests hand in a fake). */
    tearDown?: (ctx: RunContext, infra: Partial<Infrastructure>) => Promise<TeardownResult>;
  } = {},
): Promise<R> {
  if (failure) {
    result.error = { code: (failure as BenchError).code ?? 'E_INTERNAL', message: (failure as Error).message };
    ctx.journal.append({ type: 'error', phase: 'run', code: result.error.code, message: result.error.message });
  }
  let teardownError: unknown;
  if (ctx.record.keep) {
    result.cleanupCommand = ctx.cleanupCommand;
    ctx.journal.append({
      type: 'note',
      phase: 'teardown',
      message: 'kept (--keep)',
      data: { cleanupCommand: result.cleanupCommand },
    });
    ctx.events.emit(
      'warn',
      'teardown',
      'teardown.kept',
      `everything is left running (--keep); remove it later with: ${result.cleanupCommand}`,
    );
  } else {
    try {
      // Not the run's signal: one Ctrl-C stops the phases and must still let teardown finish.
      result.teardown = await (options.tearDown ?? tearDownRun)(ctx, infra);
    } catch (err) {
      teardownError = err;
      result.cleanupCommand = ctx.cleanupCommand;
    }
  }
  // With --keep the run's objects stay, and with them its lease, until `bench cleanup` (teardown
  // settles it otherwise).
  if (infra.lease && ctx.record.keep) await infra.lease.keep();
  // A Ctrl-C during collect, report or teardown stops nothing that must finish (teardown runs
  // whatever happens), but the run was interrupted all the same: exit 130, status interrupted.
  // It wins over what failed around it (a gate of the partial data, say), which it names; it is
  // asked only now because a signal during teardown counts too.
  if (ctx.signal?.aborted && !(failure instanceof InterruptedError)) {
    const other = failure ? ` (it had also failed: ${(failure as Error).message.split('\n')[0]})` : '';
    const interrupted = new InterruptedError(`run ${ctx.runId} interrupted; what it measured is kept${other}`, {
      cause: failure,
    });
    failure = interrupted;
    result.error = { code: interrupted.code, message: interrupted.message };
    ctx.journal.append({ type: 'error', phase: 'run', code: interrupted.code, message: interrupted.message });
  }
  const final = teardownError ?? failure;
  const exitCode = final ? toBenchError(final).exitCode : 0;
  result.status = statusForExit(exitCode);
  ctx.journal.append({ type: 'run-end', status: result.status, exitCode });
  if (options.rewriteReport) {
    try {
      await options.rewriteReport();
    } catch (err) {
      // A failed gate or missing data is already the run's error; anything else is only a warning:
      // the report written before teardown is still there.
      const e = toBenchError(err);
      if (e.kind !== 'gate' && e.code !== 'E_METRICS_MISSING')
        ctx.events.emit('warn', 'report', 'report.rewrite', `the final report could not be written: ${e.message}`);
    }
  }
  ctx.journal.close();
  if (teardownError) {
    const e = toBenchError(teardownError);
    const before = failure ? ` (the run had failed before: ${(failure as Error).message.split('\n')[0]})` : '';
    throw new BenchError(e.kind, e.code, `${e.message}${before}`, {
      // Teardown names the whole cleanup command; an adapter's error (AWS down, say) does not.
      fix: e.fix?.includes(ctx.cleanupCommand)
        ? e.fix
        : `${e.fix ? `${e.fix}; then ` : ''}run \`${ctx.cleanupCommand}\``,
      data: { ...e.data, result },
    });
  }
  if (failure) {
    const e = toBenchError(failure);
    throw new BenchError(e.kind, e.code, e.message, { fix: e.fix, data: { ...e.data, result } });
  }
  return result;
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
