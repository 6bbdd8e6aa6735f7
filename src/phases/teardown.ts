import type { AwsResources, CloudResource, DeleteOwnedResult } from '../adapters/aws-resources.ts';
import type { KubeCluster, KubeRef } from '../adapters/kube-cluster.ts';
import { describeRef } from '../adapters/kube-cluster.ts';
import type { Tofu } from '../adapters/tofu.ts';
import { isDependencyViolation } from '../adapters/tofu.ts';
import { BenchError, InfrastructureError, InterruptedError, TeardownError } from '../errors.ts';
import type { EventBus, EventCodeAt, EventDataOf } from '../run/events.ts';
import {
  readJournal,
  type DeletionEvidence,
  type Journal,
  type JournalRecord,
  type ResourceRef,
} from '../run/journal.ts';
import type { TargetName } from '../suite/schema.ts';
import { targetTraits } from '../targets/traits.ts';
import { beginPhase } from './record.ts';
import { waitForLoadBalancersGone, waitForNetworkInterfacesGone } from './teardown-waits.ts';
import { sleep } from '../util/sleep.ts';

/** Everything teardown needs; built from a live run or, by `bench cleanup`, from its journal. */
export interface TeardownInput {
  runId: string;
  /** The command that finishes this teardown later, as fixes name it (default `bench cleanup <run-id>`). */
  cleanupCommand?: string;
  target: TargetName;
  clusterName: string;
  journal: Journal;
  events: EventBus;
  /** The cluster, when it can be reached (a crashed run may have none left). */
  kube: KubeCluster | undefined;
  /** The run's AWS side (aws and sandbox targets). */
  aws: AwsResources | undefined;
  /** The run's OpenTofu state (aws and sandbox targets). */
  tofu: { tofu: Tofu; variables: Record<string, unknown>; workDir: string } | undefined;
  /** ECR repositories whose images the run pushed. */
  ecrRepositories: string[];
  /** Kubernetes objects the journal recorded as created (teardown also finds them by label). */
  recorded: ResourceRef[];
  /** Deadline for the load balancers, and then their network interfaces, to go (suite teardown.deadline). */
  deadlineMs: number;
  /** ELBv2 poll interval (5 s on AWS; shorter on the local cloud, where moto answers at once). */
  pollMs: number;
  /**
   * Attempts of `tofu destroy` while AWS reports DependencyViolation. A safety net only: teardown
   * waits for what causes it (load balancers, their interfaces, the controllers' security groups)
   * first, so a normal run destroys at the first attempt.
   */
  destroyAttempts?: number;
  destroyRetryDelayMs?: number;
  signal?: AbortSignal;
}

/** What teardown did and what, if anything, it left. */
export interface TeardownResult {
  deletedKubeObjects: string[];
  loadBalancersWaitedMs: number;
  /** How long the load balancers' network interfaces outlived them (after the load balancers). */
  networkInterfacesWaitedMs: number;
  /** Cloud resources deleted directly (`kind id (region)`): controller security groups, what the state lost. */
  deletedCloudResources: string[];
  /** What the OpenTofu state held when `tofu destroy` started (the addresses it destroyed). */
  destroyedStateResources: string[];
  ecrImagesDeleted: number;
  destroyAttempts: number;
  leftovers: CloudResource[];
}

const PHASE = 'teardown';

/**
 * Tears a run down in the order that never strands a load balancer (DESIGN.md): LoadBalancer
 * Services and Ingresses, then the run's namespaces; ELBv2 polled until the cluster's and run's
 * load balancers and target groups are gone, then EC2 until their network interfaces are, and the
 * controllers' leftover security groups deleted; ECR images; `tofu destroy` (retried on
 * DependencyViolation only as a safety net); then everything still tagged with the run id, in any
 * service, deleted directly in dependency order, and what even that left reported.
 * Every step is journaled before it acts. Leftovers raise TeardownError (exit 5).
 */
export async function teardown(input: TeardownInput): Promise<TeardownResult> {
  const { journal, events, runId } = input;
  const { callsAws, clusterOutlivesRun } = targetTraits(input.target);
  const cleanupCommand = input.cleanupCommand ?? `bench cleanup ${runId}`;
  const emit = <C extends EventCodeAt<'info'>>(code: C, message: string, data?: EventDataOf<C>) =>
    events.emit<C>('info', PHASE, code, message, data);
  const phase = beginPhase(journal, events, PHASE, `tearing down run ${runId}`);
  // Namespaces to see gone before the end, on clusters that outlive the run.
  const terminating: KubeRef[] = [];
  // Ids of recorded objects journaled as gone (each is journaled once).
  const gone = new Set<string>();
  const result: TeardownResult = {
    deletedKubeObjects: [],
    loadBalancersWaitedMs: 0,
    networkInterfacesWaitedMs: 0,
    deletedCloudResources: [],
    destroyedStateResources: [],
    ecrImagesDeleted: 0,
    destroyAttempts: 0,
    leftovers: [],
  };
  // The LoadBalancer Services and Ingresses the run deleted, and the wait until they are gone:
  // their finalizers clear only once the controller has removed what it made for them.
  const lbObjects: KubeRef[] = [];
  const waitLoadBalancerObjectsGone = async () => {
    if (!input.kube || lbObjects.length === 0) return;
    emit('teardown.kube.wait', `waiting until ${lbObjects.length} load balancer object(s) are gone`);
    await input.kube.waitForObjectsGone(lbObjects, {
      deadlineMs: input.deadlineMs,
      pollMs: Math.min(input.pollMs, 2000),
      signal: input.signal,
    });
    recordGone(journal, gone, input.recorded, lbObjects.map(describeRef), 'deleted');
  };
  try {
    // 1. Kubernetes: what makes cloud load balancers first, then the namespaces.
    if (input.kube) {
      const lbs = dedupe([
        ...recordedRefs(input.recorded, ['Service', 'Ingress']),
        ...(await input.kube.listRunLoadBalancers(runId)),
      ]);
      if (lbs.length > 0) {
        journal.append({
          type: 'action',
          phase: PHASE,
          action: 'delete-load-balancer-objects',
          data: { objects: lbs.map(describeRef) },
        });
        for (const ref of lbs) {
          await input.kube.deleteObject(ref);
          result.deletedKubeObjects.push(describeRef(ref));
          emit('teardown.kube.deleted', `deleted ${describeRef(ref)}`);
        }
      }
      lbObjects.push(...lbs);
      // Without a cloud API to ask, the Services' finalizers are what says the load balancers are gone.
      if (!callsAws) await waitLoadBalancerObjectsGone();
      const namespaces = dedupe([
        ...recordedRefs(input.recorded, ['Namespace']),
        ...(await input.kube.listRunNamespaces(runId)),
      ]);
      if (namespaces.length > 0) {
        journal.append({
          type: 'action',
          phase: PHASE,
          action: 'delete-namespaces',
          data: { namespaces: namespaces.map((n) => n.name) },
        });
        for (const ns of namespaces) {
          await input.kube.deleteObject(ns);
          result.deletedKubeObjects.push(describeRef(ns));
        }
        emit('teardown.kube.namespaces', `deleting namespaces ${namespaces.map((n) => n.name).join(', ')}`);
      }
      // Cluster-wide objects the run applied (e.g. a ClusterRole) live outside its namespaces.
      const clusterScoped = input.recorded.filter(
        (r) => r.kind === 'kube-object' && r.namespace === undefined && r.objectKind !== 'Namespace',
      );
      for (const r of clusterScoped) {
        await input.kube.deleteAny({
          apiVersion: String(r.apiVersion ?? 'v1'),
          kind: String(r.objectKind),
          name: String(r.name),
        });
        result.deletedKubeObjects.push(r.id);
        recordGone(journal, gone, [r], [r.id], 'deleted');
      }
      // What was deleted is recorded as gone only once that is seen: below, when the namespaces
      // are gone (a cluster that outlives the run), or when the cluster itself is (aws).
      if (clusterOutlivesRun) terminating.push(...namespaces);
    } else if (callsAws) {
      events.emit(
        'warn',
        PHASE,
        'teardown.kube.unreachable',
        'the cluster is not reachable; going on with the cloud side (load balancers are found by their tags)',
      );
    }

    // The cluster outlives the run (an existing cluster, the local cloud): its namespaces must
    // really be gone, so the next run does not meet them terminating. Waited for after the load
    // balancers (which their deletion waits for anyway) and before the network interfaces, so
    // that `tofu destroy` follows the last interface's going within one poll.
    let namespacesWaited = false;
    const waitNamespacesGone = async () => {
      if (namespacesWaited || !input.kube || terminating.length === 0) return;
      namespacesWaited = true;
      await input.kube.waitForObjectsGone(terminating, {
        deadlineMs: input.deadlineMs,
        pollMs: 1000,
        signal: input.signal,
      });
      emit('teardown.kube.namespaces.gone', `namespaces ${terminating.map((n) => n.name).join(', ')} are gone`);
      recordNamespacesGone(journal, gone, input.recorded, terminating);
    };

    // 2. ELBv2: as soon as AWS says the cluster's and run's load balancers are gone, go on.
    if (!input.aws && callsAws) {
      // Without the cluster's region nothing can be asked: one empty answer from another region
      // would let tofu destroy the network under a live NLB.
      throw new TeardownError(
        'E_TEARDOWN_REGION',
        `cannot wait for the load balancers of run ${runId}: the region of its cluster ${input.clusterName} is not known (neither the module's region output nor the suite's target names one)`,
        {
          fix: `give the suite's target a region (targets.${input.target}.region) and run \`${cleanupCommand}\`; until then check ELBv2 for load balancers tagged bench.dev/run-id=${runId}`,
        },
      );
    }
    if (input.aws) {
      const filter = { runId, clusterName: input.clusterName };
      const { region } = input.aws;
      journal.append({
        type: 'action',
        phase: PHASE,
        action: 'wait-load-balancers-gone',
        data: { ...filter, region },
      });
      emit(
        'teardown.elb.wait',
        `waiting until ELBv2 in ${region} shows no load balancer of cluster ${input.clusterName} or run ${runId}`,
      );
      // Names of the load balancers seen: their interfaces are described `ELB net/<name>/<id>`.
      const lbNames = new Set<string>();
      const aws = input.aws;
      const waitElbv2 = () =>
        waitForLoadBalancersGone(aws, filter, {
          deadlineMs: input.deadlineMs,
          pollMs: input.pollMs,
          signal: input.signal,
          onPoll: (remaining, elapsedMs) => {
            for (const r of remaining) if (r.kind === 'elbv2-load-balancer') lbNames.add(r.name);
            return (
              remaining.length > 0 &&
              emit(
                'teardown.elb.poll',
                `${remaining.length} load balancer(s)/target group(s) still there after ${Math.round(elapsedMs / 1000)}s`,
                {
                  remaining: remaining.map((r) => r.name),
                },
              )
            );
          },
        });
      const started = performance.now();
      const waited = await waitElbv2();
      // A controller that saw a Service just before its deletion may create the NLB (and its
      // security group) after ELBv2 was first asked: the Services themselves go only once their
      // controller has removed what it made, and then ELBv2 is asked once more.
      if (input.kube && lbObjects.length > 0) {
        await waitLoadBalancerObjectsGone();
        await waitElbv2();
      }
      result.loadBalancersWaitedMs = performance.now() - started;
      journal.append({
        type: 'note',
        phase: PHASE,
        message: 'load balancers gone',
        data: { waitedMs: waited.waitedMs, polls: waited.polls },
      });
      emit('teardown.elb.gone', `no load balancer left (${(waited.waitedMs / 1000).toFixed(1)}s)`);

      await waitNamespacesGone();

      // Their network interfaces outlive them for minutes on AWS, cannot be deleted by anyone, and
      // make the subnets' and VPC's deletion fail: wait until EC2 shows none, in the cluster's VPC.
      const loadBalancers = [...lbNames].sort();
      journal.append({
        type: 'action',
        phase: PHASE,
        action: 'wait-network-interfaces-gone',
        data: { loadBalancers, clusterName: input.clusterName, region },
      });
      emit(
        'teardown.eni.wait',
        `waiting until EC2 in ${region} shows no network interface of the load balancers of cluster ${input.clusterName}`,
      );
      const enis = await waitForNetworkInterfacesGone(
        input.aws,
        { loadBalancerNames: loadBalancers, clusterName: input.clusterName },
        {
          deadlineMs: input.deadlineMs,
          pollMs: input.pollMs,
          signal: input.signal,
          onPoll: (remaining, elapsedMs) =>
            remaining.length > 0 &&
            emit(
              'teardown.eni.poll',
              `${remaining.length} load-balancer network interface(s) still there after ${Math.round(elapsedMs / 1000)}s`,
              { remaining: remaining.map((r) => r.id) },
            ),
        },
      );
      result.networkInterfacesWaitedMs = enis.waitedMs;
      journal.append({
        type: 'note',
        phase: PHASE,
        message: 'network interfaces gone',
        data: {
          goneAt: enis.goneAt.toISOString(),
          waitedMs: enis.waitedMs,
          polls: enis.polls,
          interfaces: enis.seen,
          ...(enis.vpcId ? { vpcId: enis.vpcId } : {}),
        },
      });
      emit(
        'teardown.eni.gone',
        `no load-balancer network interface left (${enis.seen.length} seen; ${(enis.waitedMs / 1000).toFixed(1)}s)`,
        { interfaces: enis.seen },
      );

      // The controllers' security groups block the VPC too, and no controller is left to delete them.
      const groups = await input.aws.listControllerSecurityGroups(input.clusterName, input.signal);
      if (groups.length > 0) {
        journal.append({
          type: 'action',
          phase: PHASE,
          action: 'delete-controller-security-groups',
          data: { clusterName: input.clusterName, groups: groups.map(describeCloud) },
        });
        const deleted = await deleteCloudResources(input, result, groups);
        if (deleted.failed.length > 0)
          throw new InfrastructureError(
            'E_TEARDOWN_SECURITY_GROUPS',
            `could not delete the load-balancer controller's security group(s) of cluster ${input.clusterName}: ` +
              deleted.failed.map((f) => `${f.resource.id}: ${f.message}`).join('; '),
            {
              fix: `run \`${cleanupCommand}\` again; if it stays, delete the group(s) in the EC2 console`,
              data: { failed: deleted.failed.map((f) => f.resource.id) },
            },
          );
      }

      // 3. ECR images, so the repository (and its storage bill) can go.
      for (const repository of input.ecrRepositories) {
        journal.append({ type: 'action', phase: PHASE, action: 'delete-ecr-images', data: { repository } });
        const n = await input.aws.deleteEcrImages(repository, input.signal);
        result.ecrImagesDeleted += n;
        emit('teardown.ecr', `deleted ${n} image(s) from ECR repository ${repository}`);
      }
    }

    // On a target without a cloud API (an existing cluster) the namespaces are waited for here.
    await waitNamespacesGone();

    // 4. tofu destroy, retried while AWS still reports a dependency (ENIs linger after an NLB).
    if (input.tofu) {
      result.destroyedStateResources = await input.tofu.tofu.stateResources();
      const attempts = input.destroyAttempts ?? 4;
      for (let attempt = 1; ; attempt++) {
        result.destroyAttempts = attempt;
        journal.append({
          type: 'action',
          phase: PHASE,
          action: 'tofu-destroy',
          data: { attempt, workDir: input.tofu.workDir },
        });
        emit('teardown.destroy', `tofu destroy${attempt > 1 ? ` (attempt ${attempt})` : ''}`);
        try {
          await input.tofu.tofu.destroy(input.tofu.variables);
          break;
        } catch (err) {
          if (!isDependencyViolation(err) || attempt >= attempts) throw err;
          const delay = (input.destroyRetryDelayMs ?? 15_000) * attempt;
          events.emit(
            'warn',
            PHASE,
            'teardown.destroy.retry',
            `DependencyViolation; retrying tofu destroy in ${delay / 1000}s`,
          );
          journal.append({
            type: 'error',
            phase: PHASE,
            code: (err as BenchError).code,
            message: (err as Error).message,
          });
          await sleep(
            delay,
            input.signal,
            () => new InterruptedError('interrupted while waiting to retry tofu destroy'),
          );
        }
      }
      const left = await input.tofu.tofu.stateResources();
      if (left.length === 0)
        journal.append({ type: 'resource-deleted', resource: { kind: 'tofu-state', id: input.tofu.workDir } });
    }

    // 5. Verify: nothing tagged with the run id may remain in any service. What the state lost
    // (an apply killed halfway, a resource made outside tofu) is deleted here, in dependency order.
    if (input.aws) {
      let found = await input.aws.findOwned(runId, { signal: input.signal });
      if (found.length > 0) {
        journal.append({
          type: 'action',
          phase: PHASE,
          action: 'delete-leftovers',
          data: { resources: found.map(describeCloud) },
        });
        emit(
          'teardown.cloud.leftovers',
          `${found.length} resource(s) tagged with run ${runId} outlived tofu destroy; deleting them`,
          { resources: found.map((r) => `${r.kind} ${r.id}`) },
        );
        await deleteCloudResources(input, result, found);
        found = await input.aws.findOwned(runId, { signal: input.signal });
      }
      result.leftovers = found;
      const stateLeft = input.tofu ? await input.tofu.tofu.stateResources() : [];
      if (result.leftovers.length > 0 || stateLeft.length > 0) {
        const list = [
          ...result.leftovers.map((r) => `${r.kind} ${r.id} (${r.region})`),
          ...stateLeft.map((a) => `tofu state: ${a}`),
        ];
        throw new TeardownError(
          'E_TEARDOWN_LEFTOVERS',
          `teardown left ${list.length} resource(s) of run ${runId}:\n  ${list.join('\n  ')}`,
          {
            fix: `run \`${cleanupCommand}\` again; if they stay, delete them in the AWS console (they carry the tag bench.dev/run-id=${runId})`,
            data: { leftovers: list },
          },
        );
      }
    }
    // The cluster of an aws run is gone with its state, and the check above found nothing tagged
    // with the run id (its EKS cluster included): so is every object that lived in it, whether
    // or not its namespace was seen going.
    if (!clusterOutlivesRun && input.aws) {
      const left = recordedKubeObjects(readJournal(journal.path).records);
      recordGone(
        journal,
        gone,
        left,
        left.map((r) => r.id),
        'cluster-destroyed',
      );
    }
    phase.done('nothing of the run is left');
    return result;
  } catch (err) {
    journal.append({
      type: 'error',
      phase: PHASE,
      code: (err as BenchError).code ?? 'E_INTERNAL',
      message: (err as Error).message,
    });
    phase.failed(err);
    if (err instanceof BenchError) throw err;
    throw new InfrastructureError('E_TEARDOWN', `teardown failed: ${(err as Error).message}`, {
      fix: `run \`${cleanupCommand}\` to finish it`,
      cause: err,
    });
  }
}

/**
 * Deletes cloud resources directly, each journaled before (`action`) and after (`resource-deleted`
 * with the resource) and announced by an event naming it; failures are warnings here (what is then
 * still there is the caller's to report).
 */
async function deleteCloudResources(
  input: TeardownInput,
  result: TeardownResult,
  resources: CloudResource[],
): Promise<DeleteOwnedResult> {
  const { journal, events } = input;
  const aws = input.aws as AwsResources;
  return aws.deleteOwned(resources, {
    ...(input.signal ? { signal: input.signal } : {}),
    deadlineMs: input.deadlineMs,
    pollMs: input.pollMs,
    onDeleting: (r) =>
      journal.append({ type: 'action', phase: PHASE, action: 'delete-cloud-resource', data: describeCloud(r) }),
    onDeleted: (r) => {
      journal.append({ type: 'resource-deleted', resource: describeCloud(r), evidence: 'deleted' });
      result.deletedCloudResources.push(`${r.kind} ${r.id} (${r.region})`);
      events.emit('info', PHASE, 'teardown.cloud.deleted', `deleted ${r.kind} ${r.name} (${r.region})`, {
        kind: r.kind,
        id: r.id,
        region: r.region,
      });
    },
    onFailed: (r, err) =>
      events.emit('warn', PHASE, 'teardown.cloud.failed', `could not delete ${r.kind} ${r.id}: ${err.message}`, {
        kind: r.kind,
        id: r.id,
        region: r.region,
      }),
  });
}

/** A cloud resource as the journal records it (no tags: they may carry a user's values). */
function describeCloud(r: CloudResource): ResourceRef {
  return { kind: r.kind, id: r.id, name: r.name, region: r.region };
}

/** Journals the recorded objects with these ids as gone, each once. */
function recordGone(
  journal: Journal,
  gone: Set<string>,
  recorded: ResourceRef[],
  ids: string[],
  evidence: DeletionEvidence,
): void {
  const wanted = new Set(ids);
  for (const r of recorded) {
    if (!wanted.has(r.id) || gone.has(r.id)) continue;
    gone.add(r.id);
    journal.append({ type: 'resource-deleted', resource: r, evidence });
  }
}

/**
 * The namespaces were seen gone: so are they and every recorded object that lived in them
 * (Kubernetes removes a namespace only after everything in it).
 */
function recordNamespacesGone(journal: Journal, gone: Set<string>, recorded: ResourceRef[], seen: KubeRef[]): void {
  const names = new Set(seen.filter((n) => n.kind === 'Namespace').map((n) => n.name));
  const isNamespace = (r: ResourceRef) =>
    r.objectKind === 'Namespace' && r.namespace === undefined && names.has(String(r.name));
  const inNamespace = (r: ResourceRef) => typeof r.namespace === 'string' && names.has(r.namespace);
  const kube = recorded.filter((r) => r.kind === 'kube-object');
  recordGone(
    journal,
    gone,
    kube,
    kube.filter(isNamespace).map((r) => r.id),
    'deleted',
  );
  recordGone(
    journal,
    gone,
    kube,
    kube.filter(inNamespace).map((r) => r.id),
    'namespace-gone',
  );
}

function recordedRefs(recorded: ResourceRef[], kinds: KubeRef['kind'][]): KubeRef[] {
  return recorded
    .filter((r) => r.kind === 'kube-object' && kinds.includes(r.objectKind as KubeRef['kind']))
    .map((r) => ({
      kind: r.objectKind as KubeRef['kind'],
      namespace: r.namespace as string | undefined,
      name: r.name as string,
    }));
}

/** The journal's record of a Kubernetes object. */
export function kubeResource(ref: KubeRef): ResourceRef {
  return { kind: 'kube-object', id: describeRef(ref), objectKind: ref.kind, namespace: ref.namespace, name: ref.name };
}

function dedupe(refs: KubeRef[]): KubeRef[] {
  const seen = new Map<string, KubeRef>();
  for (const r of refs) seen.set(describeRef(r), r);
  return [...seen.values()];
}

/** Kubernetes objects recorded as created in a journal and not deleted since. */
export function recordedKubeObjects(records: JournalRecord[]): ResourceRef[] {
  const alive = new Map<string, ResourceRef>();
  for (const r of records) {
    if (r.type === 'resource-created' && r.resource.kind === 'kube-object') alive.set(r.resource.id, r.resource);
    if (r.type === 'resource-deleted' && r.resource.kind === 'kube-object') alive.delete(r.resource.id);
  }
  return [...alive.values()];
}
