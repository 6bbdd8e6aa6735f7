import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { CloudResource } from '../adapters/aws-resources.ts';
import { createServices, type Services } from '../adapters/services.ts';
import type { ClusterConnection, KubeCluster } from '../adapters/kube-cluster.ts';
import { isRecordedTofuAlive, type Tofu } from '../adapters/tofu.ts';
import { isAlive } from '../adapters/processes.ts';
import { UsageError } from '../errors.ts';
import { runTofu, type TofuPlan } from '../phases/provision.ts';
import { releaseLeaseIfHeld } from '../phases/lease.ts';
import { waitForRunTofu } from '../phases/wait-for-tofu.ts';
import { recordedKubeObjects, teardown, type TeardownResult } from '../phases/teardown.ts';
import { EventBus } from '../run/events.ts';
import { aliveResources, Journal, readJournal, type JournalRecord, type ResourceRef } from '../run/journal.ts';
import { cleanupCommand, isRunId, JOURNAL_FILE, listRuns, resolveRunsRoot } from '../run/run-dir.ts';
import { readRunStart, requireRunOptions, type RunRecordOptions, type RunStartWithOptions } from '../run/run-record.ts';
import { OWNER_TAG } from '../suite/render.ts';
import type { TargetName } from '../suite/schema.ts';
import { targetFor } from '../targets/index.ts';
import type { TargetSetup } from '../targets/target.ts';
import { targetTraits } from '../targets/traits.ts';

export interface CleanupRunOptions {
  runId: string;
  runsDir?: string;
  env?: NodeJS.ProcessEnv;
  events?: EventBus;
  signal?: AbortSignal;
  /** Show what would be removed, remove nothing. */
  dryRun?: boolean;
  /** The outside world (default: the real one); tests hand in fakes. */
  services?: Services;
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
  // Validated before anything is asked of the world: a record misread could tear down the wrong things.
  const start = readRunStart(records, journalPath);
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
  const services = options.services ?? createServices();
  if (options.dryRun) return { runId: options.runId, dryRun: true, alive, teardown: undefined };

  const record = requireRunOptions(start, journalPath).options;
  const target = start.target;
  const setup = await targetFor(target).resolveRecorded(record, env);
  const journal = Journal.open(journalPath);
  try {
    journal.append({
      type: 'note',
      phase: 'cleanup',
      message: `bench cleanup ${options.runId} started`,
      data: { pid: process.pid },
    });
    // A tofu of this run that outlived a killed bench is let finish (or release its lock) first:
    // destroying under a running apply would miss what it is creating.
    let told = false;
    const waited = await waitForRunTofu(records, record.tofu?.workDir, {
      signal: options.signal,
      pollMs: 500,
      onWait: (w) => {
        if (told) return;
        told = true;
        events.emit(
          'info',
          'cleanup',
          'cleanup.wait-tofu',
          w.tofu
            ? `waiting for tofu ${w.tofu.command} (pid ${w.tofu.pid}) of this run to finish`
            : `waiting for process ${w.lockHolder} to release the state lock`,
          { ...w },
        );
      },
    });
    if (waited.waitedFor)
      journal.append({
        type: 'note',
        phase: 'cleanup',
        message: `waited ${(waited.waitedMs / 1000).toFixed(1)}s for the run's tofu to finish`,
        data: { ...waited.waitedFor, waitedMs: waited.waitedMs },
      });
    const rebuilt = teardownFromJournal(records, record);
    const plan = rebuilt.tofuPlan;
    const tofu = plan ? runTofu(plan, setup.env, events, options.signal, journal, services.tofu) : undefined;
    const connection = await reconnect(target, setup, record, tofu, events);
    const kube = connection ? services.kubeCluster(connection) : undefined;
    const result = await teardown({
      runId: options.runId,
      cleanupCommand: cleanupCommand(options.runId, options.runsDir),
      target,
      clusterName: rebuilt.clusterName,
      journal,
      events,
      kube,
      aws: setup.region && targetTraits(target).callsAws ? services.awsResources(setup.region, setup.env) : undefined,
      tofu: tofu && plan ? { tofu, variables: plan.variables, workDir: plan.workDir } : undefined,
      ecrRepositories: rebuilt.ecrRepositories,
      recorded: rebuilt.recorded,
      deadlineMs: rebuilt.deadlineMs,
      pollMs: rebuilt.pollMs,
      signal: options.signal,
    }).finally(() => recordAbsent(journal, kube, tofu, events));
    // A kept run, or one whose teardown failed, kept its cluster's lease: what it left is gone now.
    if (connection) {
      try {
        await releaseLeaseIfHeld(services.kubeLeases(connection), options.runId, journal);
      } catch (err) {
        events.emit(
          'warn',
          'cleanup',
          'cleanup.lease',
          `the cluster's lease of run ${options.runId} could not be released (${(err as Error).message.split('\n')[0]}); it expires by itself`,
        );
      }
    }
    journal.append({ type: 'note', phase: 'cleanup', message: 'cleanup complete' });
    if (!records.some((r) => r.type === 'run-end')) journal.append({ type: 'run-end', status: 'failed', exitCode: 0 });
    return { runId: options.runId, dryRun: false, alive, teardown: result };
  } finally {
    journal.close();
  }
}

/** What `bench cleanup` tears down, rebuilt from a run's journal alone. */
export interface JournalTeardown {
  clusterName: string;
  /** The run's OpenTofu state to destroy: only while the journal shows it alive and the run recorded its tofu. */
  tofuPlan: TofuPlan | undefined;
  ecrRepositories: string[];
  /** The Kubernetes objects recorded as created and not recorded as gone since. */
  recorded: ResourceRef[];
  deadlineMs: number;
  pollMs: number;
}

/**
 * The teardown input of a recorded run, from its journal records and the options of its
 * run-start record: the state's variables are the ones journaled when it was created (the module's
 * inputs as applied, the API server's CA left out), and what older journals lack gets the defaults.
 */
export function teardownFromJournal(
  records: JournalRecord[],
  record: Pick<RunRecordOptions, 'clusterName' | 'tofu' | 'ecrRepositories' | 'lbPollMs' | 'teardownDeadlineMs'>,
): JournalTeardown {
  const tofuState = aliveResources(records).find((r) => r.kind === 'tofu-state');
  let tofuPlan: TofuPlan | undefined;
  if (tofuState && record.tofu) {
    const variables = { ...(tofuState.variables as Record<string, unknown>) };
    tofuPlan = { ...record.tofu, variables };
  }
  return {
    clusterName: record.clusterName,
    tofuPlan,
    ecrRepositories: record.ecrRepositories ?? [],
    recorded: recordedKubeObjects(records),
    deadlineMs: record.teardownDeadlineMs ?? 1_200_000,
    pollMs: record.lbPollMs ?? 5000,
  };
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
  start: RunStartWithOptions,
  env: NodeJS.ProcessEnv,
  events: EventBus,
  signal?: AbortSignal,
  services: Services = createServices(),
): Promise<ClusterConnection | undefined> {
  return (await reachRecordedRun(start, env, events, signal, services)).connection;
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
  start: RunStartWithOptions,
  env: NodeJS.ProcessEnv,
  events: EventBus,
  signal?: AbortSignal,
  services: Services = createServices(),
): Promise<ReachedRun> {
  const record = start.options;
  const target = start.target;
  const setup = await targetFor(target).resolveRecorded(record, env);
  const tofu = record.tofu
    ? runTofu({ ...record.tofu, variables: {} }, setup.env, events, signal, undefined, services.tofu)
    : undefined;
  const connection = await reconnect(target, setup, record, tofu, events);
  return { setup, tofu, connection };
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
    return await targetFor(target).reconnect(setup, record, tofu);
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
  /** The outside world (default: the real one); tests hand in fakes (the AWS adapter of a region). */
  services?: Services;
}

/** What `--orphans` found: cloud resources by run id, and runs whose journal shows alive resources. */
export interface OrphanReport {
  regions: string[];
  /** Everything carrying the ownership tag, live runs' too (see `skipped`). */
  cloud: CloudResource[];
  /** Runs whose directory is here and that are not running: cleaned from their journals. */
  runs: { runId: string; status: string; alive: string[] }[];
  /** Runs that are running: nothing of theirs is touched. */
  skipped: { runId: string; why: string; resources: string[] }[];
}

export interface OrphanResult extends OrphanReport {
  acted: boolean;
  cleanedRuns: string[];
  deleted: string[];
  /** What could not be deleted (with AWS's reason), or a run whose cleanup failed. */
  notRemovable: string[];
}

/** Whether a run directory's run is alive, from its journal: the safe side when it cannot be told. */
export function runLiveness(
  records: readonly JournalRecord[],
  facts: { host: string; isAlive: (pid: number) => boolean } = { host: hostname(), isAlive },
): { live: boolean; why: string } {
  const start = records.find((r): r is RunStart => r.type === 'run-start');
  if (records.some((r) => r.type === 'run-end')) return { live: false, why: 'its journal has a run-end' };
  if (!start) return { live: false, why: 'its journal has no run-start' };
  if (start.host !== facts.host)
    return {
      live: true,
      why: `it runs on host ${start.host}, whose process cannot be checked from here, and its journal has no run-end`,
    };
  if (start.pid !== process.pid && facts.isAlive(start.pid))
    return { live: true, why: `its process ${start.pid} is alive` };
  return { live: false, why: `its process ${start.pid} is gone` };
}

const runIdOf = (r: CloudResource) => r.tags[OWNER_TAG];
const describeCloud = (r: CloudResource) => `${r.kind} ${r.id} (${r.region}, run ${runIdOf(r)})`;

/**
 * Finds everything that carries the tool's ownership tag (bench.dev/run-id) across the regions,
 * and the runs of the runs directory, and removes only what no live run owns, and only when told
 * to. A run that is running (no run-end, and its pid alive on this host; on another host: always,
 * since its process cannot be checked) keeps every resource: it is listed as skipped. A run whose
 * directory is here and that is not running is cleaned from its journal (`cleanupRun`, which
 * tears it down in the load-balancer-safe order). Only resources whose run has no directory here
 * are deleted directly, every kind in dependency order. Resources without the tag are never touched.
 */
export async function cleanupOrphans(options: OrphanOptions): Promise<OrphanResult> {
  let env = options.env ?? process.env;
  const events = options.events ?? new EventBus();
  const regions = options.regions?.length ? options.regions : defaultRegions(env);
  env = await targetFor(options.target).awsEnv(env);
  const runsRoot = resolveRunsRoot(options.runsDir, env);
  const journals = new Map(
    listRuns(runsRoot, isRecordedTofuAlive).map((r) => [
      r.runId,
      { summary: r, path: join(runsRoot, r.runId, JOURNAL_FILE) },
    ]),
  );
  const liveness = (runId: string) => {
    const j = journals.get(runId);
    return j ? runLiveness(readJournal(j.path).records) : undefined;
  };
  const aws = (options.services ?? createServices()).awsResources;
  // Regional resources in every region; the global ones (IAM) once, with the first.
  const findOwned = async () =>
    (
      await Promise.all(
        [...new Set(regions)].map((r, i) => aws(r, env).findOwned(undefined, { includeGlobal: i === 0 })),
      )
    ).flat();
  const cloud = await findOwned();
  const skipped = new Map<string, { runId: string; why: string; resources: string[] }>();
  const toClean = new Map<string, { runId: string; status: string; alive: string[] }>();
  for (const [runId, { summary }] of journals) {
    const live = liveness(runId);
    const theirs = cloud.filter((r) => runIdOf(r) === runId).map(describeCloud);
    const alive = summary.aliveResources.map((a) => `${a.kind} ${a.id}`);
    if (live?.live) {
      if (theirs.length || alive.length)
        skipped.set(runId, { runId, why: `run ${runId} is running: ${live.why}`, resources: [...alive, ...theirs] });
    } else if (alive.length > 0 || theirs.length > 0) toClean.set(runId, { runId, status: summary.status, alive });
  }
  const report: OrphanReport = { regions, cloud, runs: [...toClean.values()], skipped: [...skipped.values()] };
  for (const s of report.skipped)
    events.emit('info', 'cleanup', 'cleanup.skipped', `skipped: ${s.why} (${s.resources.length} resource(s) kept)`);
  const act = options.yes === true || (options.confirm ? await options.confirm(report) : false);
  const result: OrphanResult = { ...report, acted: act, cleanedRuns: [], deleted: [], notRemovable: [] };
  if (!act) return result;

  for (const { runId } of report.runs) {
    // Asked again just before: a run may have been started with that directory meanwhile (no),
    // or be running after all; cleanupRun refuses a live run on this host too.
    const live = liveness(runId);
    if (live?.live) {
      result.skipped.push({ runId, why: `run ${runId} is running: ${live.why}`, resources: [] });
      continue;
    }
    events.emit('info', 'cleanup', 'cleanup.run', `cleaning up run ${runId} from its journal`);
    try {
      await cleanupRun({ runId, runsDir: options.runsDir, env: options.env, events, signal: options.signal });
      result.cleanedRuns.push(runId);
    } catch (err) {
      if (options.signal?.aborted) throw err;
      result.notRemovable.push(`run ${runId}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  // What is still tagged with a run id that has no directory here has no journal or state to
  // replay: delete it directly, in dependency order. A run id with a directory is never deleted
  // here (its own cleanup did what it could; what it left is its own report's).
  const left = (await findOwned()).filter((r) => !journals.has(runIdOf(r) ?? ''));
  if (left.length > 0) {
    // deleteOwned sends each resource's calls to that resource's region.
    const outcome = await aws(regions[0] as string, env).deleteOwned(left, {
      signal: options.signal,
      onDeleted: (r) => events.emit('info', 'cleanup', 'cleanup.deleted', `deleted ${describeCloud(r)}`),
      onFailed: (r, err) =>
        events.emit('warn', 'cleanup', 'cleanup.failed', `could not delete ${describeCloud(r)}: ${err.message}`),
    });
    result.deleted.push(...outcome.deleted.map((r) => `${r.kind} ${r.id}`));
    result.notRemovable.push(...outcome.failed.map((f) => `${describeCloud(f.resource)}: ${f.message}`));
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
