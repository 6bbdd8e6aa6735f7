import { dirname } from 'node:path';
import type { ClusterConnection } from '../../adapters/kube-cluster.ts';
import type { Tofu } from '../../adapters/tofu.ts';
import { connect } from '../../phases/connect.ts';
import { acquireClusterLease, type HeldLease } from '../../phases/lease.ts';
import { provision, runTofu, type ClusterOutputs } from '../../phases/provision.ts';
import { recordedKubeObjects, teardown, type TeardownResult } from '../../phases/teardown.ts';
import { readJournal } from '../../run/journal.ts';
import { targetTraits } from '../../targets/traits.ts';
import type { RunContext } from './context.ts';

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
