import { hostname } from 'node:os';
import { join } from 'node:path';
import { createServices, type Services } from '../../adapters/services.ts';
import { resolveModuleDir, tofuVariables, tofuWorkDir, type TofuPlan } from '../../phases/provision.ts';
import { EventBus } from '../../run/events.ts';
import { Journal } from '../../run/journal.ts';
import { cleanupCommand, createRunDir, JOURNAL_FILE, newRunId, resolveRunsRoot } from '../../run/run-dir.ts';
import type { RunStartOptions, WrittenRunRecordOptions } from '../../run/run-record.ts';
import type { LoadedSuite } from '../../suite/load.ts';
import type { PhaseDurations } from '../../suite/phases.ts';
import { resolveParams } from '../../suite/render.ts';
import { resolveTarget, targetFor } from '../../targets/index.ts';
import type { TargetSetup } from '../../targets/target.ts';
import { targetTraits } from '../../targets/traits.ts';
import { checkRunInputs, type RunInputs } from '../inputs.ts';
import { estimateRunCost, runPreflight, type PreflightOptions } from '../preflight.ts';
import { prometheusFor, resolveRunQueries } from '../report.ts';

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
