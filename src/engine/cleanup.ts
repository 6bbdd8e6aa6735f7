import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createAwsResources, findOwnedInRegions, type CloudResource } from '../adapters/aws-resources.ts';
import {
  connectEks,
  connectKubeconfig,
  createKubeCluster,
  type ClusterConnection,
  type KubeCluster,
} from '../adapters/kube-cluster.ts';
import type { Tofu } from '../adapters/tofu.ts';
import { isAlive } from '../adapters/processes.ts';
import { UsageError } from '../errors.ts';
import { runTofu, type TofuPlan } from '../phases/provision.ts';
import { recordedKubeObjects, teardown, type TeardownResult } from '../phases/teardown.ts';
import { EventBus } from '../run/events.ts';
import { aliveResources, Journal, readJournal, type JournalRecord } from '../run/journal.ts';
import { isRunId, JOURNAL_FILE, listRuns, resolveRunsRoot } from '../run/run-dir.ts';
import { resolveSandbox, type TargetSetup } from '../run/target.ts';
import type { TargetName } from '../suite/schema.ts';
import type { RunRecordOptions } from './run.ts';

export interface CleanupRunOptions {
  runId: string;
  runsDir?: string;
  env?: NodeJS.ProcessEnv;
  events?: EventBus;
  signal?: AbortSignal;
  /** Show what would be removed, remove nothing. */
  dryRun?: boolean;
}

export interface CleanupRunResult {
  runId: string;
  dryRun: boolean;
  /** What the journal shows as alive before cleanup. */
  alive: string[];
  teardown: TeardownResult | undefined;
}

type RunStart = Extract<JournalRecord, { type: 'run-start' }>;

/**
 * Finishes a run from its journal alone: reconnects to what it created (the cluster, its AWS
 * side, its OpenTofu state) and tears it down in the load-balancer-safe order.
 */
export async function cleanupRun(options: CleanupRunOptions): Promise<CleanupRunResult> {
  const env = options.env ?? process.env;
  const runsRoot = resolveRunsRoot(options.runsDir, env);
  if (!isRunId(options.runId) || !existsSync(join(runsRoot, options.runId, JOURNAL_FILE))) {
    throw new UsageError('E_RUN_UNKNOWN', `no run '${options.runId}' in ${runsRoot}`, {
      fix: '`bench list` shows the runs; --runs-dir names another runs directory; `bench cleanup --orphans` finds resources of runs whose directory is gone',
    });
  }
  const journalPath = join(runsRoot, options.runId, JOURNAL_FILE);
  const { records } = readJournal(journalPath);
  const start = records.find((r): r is RunStart => r.type === 'run-start');
  if (!start) {
    throw new UsageError('E_RUN_NO_START', `the journal of ${options.runId} has no run-start record`, {
      fix: 'nothing was created by this run; delete its directory',
    });
  }
  if (
    start.host === hostname() &&
    isAlive(start.pid) &&
    start.pid !== process.pid &&
    !records.some((r) => r.type === 'run-end')
  ) {
    throw new UsageError('E_RUN_ACTIVE', `run ${options.runId} is still running (pid ${start.pid})`, {
      fix: 'press Ctrl-C in its terminal (it tears itself down), or stop it, then run `bench cleanup` again',
    });
  }
  const alive = aliveResources(records).map((r) => `${r.kind} ${r.id}`);
  const events = options.events ?? new EventBus();
  if (options.dryRun) return { runId: options.runId, dryRun: true, alive, teardown: undefined };

  const record = start.options as unknown as RunRecordOptions;
  const target = start.target as TargetName;
  const setup = await resolveCleanupTarget(record, target, env);
  const journal = Journal.open(journalPath);
  try {
    journal.append({
      type: 'note',
      phase: 'cleanup',
      message: `bench cleanup ${options.runId} started`,
      data: { pid: process.pid },
    });
    const tofuState = aliveResources(records).find((r) => r.kind === 'tofu-state');
    let plan: TofuPlan | undefined;
    if (tofuState && record.tofu) {
      const variables = { ...(tofuState.variables as Record<string, unknown>) };
      plan = { ...record.tofu, variables };
    }
    const tofu = plan ? runTofu(plan, setup.env, events, options.signal) : undefined;
    const connection = await reconnect(target, setup, record, tofu, events);
    const kube = connection ? createKubeCluster(connection) : undefined;
    const result = await teardown({
      runId: options.runId,
      target,
      clusterName: record.clusterName,
      journal,
      events,
      kube,
      aws: setup.region && target !== 'kube' ? createAwsResources(setup.region, setup.env) : undefined,
      tofu: tofu && plan ? { tofu, variables: plan.variables, workDir: plan.workDir } : undefined,
      ecrRepositories: record.ecrRepositories ?? [],
      recorded: recordedKubeObjects(records),
      deadlineMs: record.teardownDeadlineMs ?? 1_200_000,
      pollMs: record.lbPollMs ?? 5000,
      signal: options.signal,
    }).finally(() => recordAbsent(journal, kube, tofu, events));
    journal.append({ type: 'note', phase: 'cleanup', message: 'cleanup complete' });
    if (!records.some((r) => r.type === 'run-end')) journal.append({ type: 'run-end', status: 'failed', exitCode: 0 });
    return { runId: options.runId, dryRun: false, alive, teardown: result };
  } finally {
    journal.close();
  }
}

/**
 * Asks again about what the journal still shows alive after a teardown (e.g. objects a teardown
 * of an older version removed with their namespace without recording it) and records as gone
 * what the cluster or the state confirms absent. Never throws: what cannot be asked stays alive.
 */
async function recordAbsent(
  journal: Journal,
  kube: KubeCluster | undefined,
  tofu: Tofu | undefined,
  events: EventBus,
): Promise<void> {
  let confirmed = 0;
  for (const r of aliveResources(readJournal(journal.path).records)) {
    try {
      let absent = false;
      if (r.kind === 'kube-object' && kube) {
        absent = !(await kube.objectExists({
          apiVersion: String(r.apiVersion ?? 'v1'),
          kind: String(r.objectKind),
          namespace: typeof r.namespace === 'string' ? r.namespace : undefined,
          name: String(r.name),
        }));
      } else if (r.kind === 'tofu-state' && tofu) {
        absent = (await tofu.stateResources()).length === 0;
      }
      if (absent) {
        journal.append({ type: 'resource-deleted', resource: r, evidence: 'absent' });
        confirmed++;
      }
    } catch {
      // Not answered: it stays alive in the journal, which is the safe side.
    }
  }
  if (confirmed > 0)
    events.emit('info', 'cleanup', 'cleanup.absent', `${confirmed} recorded resource(s) confirmed absent`);
}

/**
 * Reaches a finished (or crashed) run's cluster again from its run-start record alone, as
 * `bench cleanup` does: the local cloud's credentials, the kubeconfig context, or on aws the
 * run's OpenTofu outputs. Undefined (with a warning event) when it cannot be reached.
 */
export async function reconnectRun(
  start: RunStart,
  env: NodeJS.ProcessEnv,
  events: EventBus,
  signal?: AbortSignal,
): Promise<ClusterConnection | undefined> {
  return (await reachRecordedRun(start, env, events, signal)).connection;
}

/** What {@link reachRecordedRun} reaches of a recorded run. */
export interface ReachedRun {
  setup: TargetSetup;
  /** The run's OpenTofu working directory (aws, sandbox), read-only uses: outputs, state list. */
  tofu: ReturnType<typeof runTofu> | undefined;
  connection: ClusterConnection | undefined;
}

/** The run's target, OpenTofu state and cluster connection, from its run-start record. */
export async function reachRecordedRun(
  start: RunStart,
  env: NodeJS.ProcessEnv,
  events: EventBus,
  signal?: AbortSignal,
): Promise<ReachedRun> {
  const record = start.options as unknown as RunRecordOptions;
  const target = start.target as TargetName;
  const setup = await resolveCleanupTarget(record, target, env);
  const tofu = record.tofu ? runTofu({ ...record.tofu, variables: {} }, setup.env, events, signal) : undefined;
  const connection = await reconnect(target, setup, record, target === 'aws' ? tofu : undefined, events);
  return { setup, tofu, connection };
}

/** The target of a recorded run, as cleanup reaches it. */
export async function resolveCleanupTarget(
  record: RunRecordOptions,
  target: TargetName,
  env: NodeJS.ProcessEnv,
): Promise<TargetSetup> {
  if (target === 'aws')
    return { target, region: record.region, env: record.region ? { ...env, AWS_REGION: record.region } : env };
  if (target === 'kube') return { target, region: undefined, env, kube: { context: record.context } };
  // The local cloud: its environment file says where moto and the API server are now.
  return resolveSandbox(env, record.region);
}

/** Reaches the run's cluster again; undefined (with a warning) when it cannot be reached. */
async function reconnect(
  target: TargetName,
  setup: TargetSetup,
  record: RunRecordOptions,
  tofu: ReturnType<typeof runTofu> | undefined,
  events: EventBus,
): Promise<ClusterConnection | undefined> {
  try {
    if (target === 'sandbox') return await connectKubeconfig({ path: setup.sandbox?.kubeconfig });
    if (target === 'kube') return await connectKubeconfig({ context: record.context, env: setup.env });
    if (!tofu) return undefined;
    const out = await tofu.output();
    const endpoint = String(out.cluster_endpoint?.value ?? '');
    if (!endpoint) return undefined;
    return connectEks({
      clusterName: String(out.cluster_name?.value ?? record.clusterName),
      region: String(out.region?.value ?? record.region),
      endpoint,
      caData: String(out.cluster_certificate_authority_data?.value ?? ''),
      env: setup.env,
    });
  } catch (err) {
    events.emit(
      'warn',
      'cleanup',
      'cleanup.unreachable',
      `cannot reach the cluster (${(err as Error).message.split('\n')[0]}); cleaning up the cloud side by tags`,
    );
    return undefined;
  }
}

export interface OrphanOptions {
  target: 'aws' | 'sandbox';
  regions?: string[];
  runsDir?: string;
  /** Act; without it (and without a confirmation) nothing is deleted. */
  yes?: boolean;
  /** Asked with the list when not --yes and a person is at the terminal. */
  confirm?: (found: OrphanReport) => Promise<boolean>;
  env?: NodeJS.ProcessEnv;
  events?: EventBus;
  signal?: AbortSignal;
}

/** What `--orphans` found: cloud resources by run id, and runs whose journal shows alive resources. */
export interface OrphanReport {
  regions: string[];
  cloud: CloudResource[];
  runs: { runId: string; status: string; alive: string[] }[];
}

export interface OrphanResult extends OrphanReport {
  acted: boolean;
  cleanedRuns: string[];
  deleted: string[];
  /** Found but not removable without their run's state (e.g. an EKS cluster whose run directory is gone). */
  notRemovable: string[];
}

/**
 * Finds everything that carries the tool's ownership tag (bench.dev/run-id) in ELBv2, ECR and
 * EKS across the regions, and the runs whose journal shows resources alive, and removes them
 * only when told to. Resources without the tag are never touched.
 */
export async function cleanupOrphans(options: OrphanOptions): Promise<OrphanResult> {
  let env = options.env ?? process.env;
  const events = options.events ?? new EventBus();
  const regions = options.regions?.length ? options.regions : defaultRegions(env);
  if (options.target === 'sandbox') env = { ...(await resolveSandbox(env, undefined)).env };
  const cloud = await findOwnedInRegions(regions, undefined, env);
  const runs = listRuns(resolveRunsRoot(options.runsDir, env))
    .filter((r) => r.status !== 'running' && r.aliveResources.length > 0)
    .map((r) => ({ runId: r.runId, status: r.status, alive: r.aliveResources.map((a) => `${a.kind} ${a.id}`) }));
  const report: OrphanReport = { regions, cloud, runs };
  const act = options.yes === true || (options.confirm ? await options.confirm(report) : false);
  const result: OrphanResult = { ...report, acted: act, cleanedRuns: [], deleted: [], notRemovable: [] };
  if (!act) return result;

  const runIds = new Set(runs.map((r) => r.runId));
  for (const runId of runIds) {
    events.emit('info', 'cleanup', 'cleanup.run', `cleaning up run ${runId} from its journal`);
    await cleanupRun({ runId, runsDir: options.runsDir, env: options.env, events, signal: options.signal });
    result.cleanedRuns.push(runId);
  }
  // What is still tagged after the journals were replayed has no state to replay: remove what
  // can be removed directly, list the rest.
  const left = await findOwnedInRegions(regions, undefined, env);
  for (const r of left) {
    const aws = createAwsResources(r.region, env);
    if (r.kind === 'elbv2-load-balancer') await aws.deleteLoadBalancer(r.id);
    else if (r.kind === 'elbv2-target-group') continue;
    else {
      result.notRemovable.push(`${r.kind} ${r.id} (${r.region}, run ${r.tags['bench.dev/run-id']})`);
      continue;
    }
    result.deleted.push(`${r.kind} ${r.id}`);
    events.emit('info', 'cleanup', 'cleanup.deleted', `deleted ${r.kind} ${r.name} (${r.region})`);
  }
  for (const r of left.filter((x) => x.kind === 'elbv2-target-group')) {
    await createAwsResources(r.region, env).deleteTargetGroup(r.id);
    result.deleted.push(`${r.kind} ${r.id}`);
  }
  return result;
}

/** The regions the built-in suites use, and the environment's. */
function defaultRegions(env: NodeJS.ProcessEnv): string[] {
  const regions = new Set<string>(['eu-central-1', 'us-west-2']);
  if (env.AWS_REGION) regions.add(env.AWS_REGION);
  if (env.AWS_DEFAULT_REGION) regions.add(env.AWS_DEFAULT_REGION);
  return [...regions];
}
