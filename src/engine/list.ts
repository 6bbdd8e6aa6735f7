import { join } from 'node:path';
import { createServices, type Services } from '../adapters/services.ts';
import { isRecordedTofuAlive } from '../adapters/tofu.ts';
import { EventBus } from '../run/events.ts';
import { readJournal, type ResourceRef } from '../run/journal.ts';
import { JOURNAL_FILE, listRuns, resolveRunsRoot, type RunSummary } from '../run/run-dir.ts';
import { targetTraits } from '../targets/traits.ts';
import { readRunStart, type RunStartRecord, type RunStartWithOptions } from '../run/run-record.ts';
import { reachRecordedRun } from './cleanup.ts';

export interface ListOptions {
  /** `--runs-dir`; otherwise BENCH_RUNS_DIR, otherwise .bench/runs. */
  runsDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Ask the cluster and the cloud whether each resource the journal shows alive still exists. */
  verify?: boolean;
  /** With verify: how long one run's checks may take (default 60 s). */
  verifyDeadlineMs?: number;
  events?: EventBus;
  /** The outside world (default: the real one); tests hand in fakes. */
  services?: Services;
}

/** What the cluster or the cloud answered about one resource the journal shows alive. */
export interface VerifiedResource {
  kind: string;
  id: string;
  /** `null` when it could not be asked (the reason is in `why`). */
  exists: boolean | null;
  why?: string;
}

/** `bench list --verify`'s answer for one run. */
export interface RunVerification {
  /** Each journal-alive resource, asked about. */
  resources: VerifiedResource[];
  /** What the cloud still holds tagged with the run id (ELBv2, ECR, EKS), journaled or not. */
  cloud: { kind: string; id: string; region: string }[];
  /** Why the run as a whole was not (fully) checked, e.g. the local cloud is down. */
  problem?: string;
}

export interface ListedRun extends RunSummary {
  /** Present with --verify for a run (not running) whose journal shows resources alive. */
  verified?: RunVerification;
}

export interface ListResult {
  runsDir: string;
  runs: ListedRun[];
  verified: boolean;
}

/**
 * Every run in the runs directory, newest first, read from their journals (offline and fast).
 * With `verify`, each run's journal-alive resources are looked up where they live, through the
 * run's own connection as `bench cleanup` reconnects; nothing is changed anywhere.
 */
export async function listAllRuns(options: ListOptions = {}): Promise<ListResult> {
  const env = options.env ?? process.env;
  const runsDir = resolveRunsRoot(options.runsDir, env);
  const runs: ListedRun[] = listRuns(runsDir, isRecordedTofuAlive);
  if (options.verify) {
    // One run at a time: each may start a tofu subprocess and a cluster client.
    for (const run of runs) {
      if (run.status === 'running') continue;
      if (run.aliveResources.length === 0) continue;
      run.verified = await verifyRun(
        run,
        env,
        options.events ?? new EventBus(),
        options.verifyDeadlineMs ?? 60_000,
        options.services ?? createServices(),
      );
    }
  }
  return { runsDir, runs, verified: options.verify === true };
}

async function verifyRun(
  run: RunSummary,
  env: NodeJS.ProcessEnv,
  events: EventBus,
  deadlineMs: number,
  services: Services,
): Promise<RunVerification> {
  const unknown = (why: string): RunVerification => ({
    resources: run.aliveResources.map((r) => ({ kind: r.kind, id: r.id, exists: null, why })),
    cloud: [],
    problem: why,
  });
  const journalPath = join(run.dir, JOURNAL_FILE);
  let found: RunStartRecord | undefined;
  try {
    found = readRunStart(readJournal(journalPath).records, journalPath);
  } catch (err) {
    return unknown((err as Error).message);
  }
  if (!found?.options) return unknown('the journal has no run-start record with its options');
  const start: RunStartWithOptions = { ...found, options: found.options };
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<RunVerification>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve(unknown(`no answer within ${deadlineMs / 1000}s`));
    }, deadlineMs);
  });
  try {
    return await Promise.race([askAbout(run, start, env, events, controller.signal, services), deadline]);
  } catch (err) {
    return unknown((err as Error).message.split('\n')[0] ?? String(err));
  } finally {
    clearTimeout(timer);
  }
}

async function askAbout(
  run: RunSummary,
  start: RunStartWithOptions,
  env: NodeJS.ProcessEnv,
  events: EventBus,
  signal: AbortSignal,
  services: Services,
): Promise<RunVerification> {
  const reached = await reachRecordedRun(start, env, events, signal, services);
  const kube = reached.connection ? services.kubeCluster(reached.connection) : undefined;
  const ask = async (r: ResourceRef): Promise<VerifiedResource> => {
    const base = { kind: r.kind, id: r.id };
    try {
      if (r.kind === 'kube-object') {
        if (!kube) return { ...base, exists: null, why: 'the cluster cannot be reached' };
        const exists = await kube.objectExists({
          apiVersion: String(r.apiVersion ?? 'v1'),
          kind: String(r.objectKind),
          namespace: typeof r.namespace === 'string' ? r.namespace : undefined,
          name: String(r.name),
        });
        return { ...base, exists };
      }
      if (r.kind === 'tofu-state') {
        if (!reached.tofu) return { ...base, exists: null, why: 'the run recorded no OpenTofu working directory' };
        const left = await reached.tofu.stateResources();
        return left.length > 0
          ? { ...base, exists: true, why: `${left.length} resource(s) in the state` }
          : { ...base, exists: false };
      }
      return { ...base, exists: null, why: `no way to look up a ${r.kind}` };
    } catch (err) {
      return { ...base, exists: null, why: (err as Error).message.split('\n')[0] ?? String(err) };
    }
  };
  const resources: VerifiedResource[] = [];
  for (const r of run.aliveResources) resources.push(await ask(r));
  let cloud: RunVerification['cloud'] = [];
  let problem: string | undefined;
  const region = reached.setup.region;
  if (targetTraits(reached.setup.target).callsAws && region) {
    try {
      cloud = (await services.awsResources(region, reached.setup.env).findOwned(run.runId)).map((c) => ({
        kind: c.kind,
        id: c.id,
        region: c.region,
      }));
    } catch (err) {
      problem = `the cloud was not asked: ${(err as Error).message.split('\n')[0]}`;
    }
  }
  return problem ? { resources, cloud, problem } : { resources, cloud };
}
