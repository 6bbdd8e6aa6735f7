import { join } from 'node:path';
import type { AwsResources, CloudResource } from '../../src/adapters/aws-resources.ts';
import type { KubeCluster, KubeRef } from '../../src/adapters/kube-cluster.ts';
import { describeRef } from '../../src/adapters/kube-cluster.ts';
import type { Tofu } from '../../src/adapters/tofu.ts';
import { appliedResource } from '../../src/phases/deploy.ts';
import { Journal } from '../../src/run/journal.ts';
import { tempDir } from '../helpers/tmp.ts';

/**
 * In-memory fakes of the interfaces teardown talks to (src/phases/teardown.ts), shared by its unit
 * tests: a cluster, an AWS side, an OpenTofu state, and the journal deploy and provision leave.
 */

export const RUN = 'thyme-20261203-010000-abcd';

/** What deploy journals for a small suite: a namespace with objects in it, and a ClusterRole. */
export const APPLIED = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'thyme-benchmark' } },
  { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'log-generator', namespace: 'thyme-benchmark' } },
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'thyme-config', namespace: 'thyme-benchmark' } },
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'grafana', namespace: 'thyme-benchmark' } },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'thyme' } },
];

/** A cluster in memory: namespaces go when deleted unless told to hang (a stuck finalizer). */
export function fakeCluster(options: { stuckNamespace?: boolean } = {}): KubeCluster & { present: Set<string> } {
  const present = new Set(APPLIED.map((o) => appliedResource(o).id));
  return {
    present,
    listRunLoadBalancers: async () => [{ kind: 'Service', namespace: 'thyme-benchmark', name: 'grafana' }],
    listRunNamespaces: async () => [{ kind: 'Namespace', name: 'thyme-benchmark' }],
    async deleteObject(ref) {
      if (ref.kind === 'Namespace' && options.stuckNamespace) return;
      present.delete(describeRef(ref));
      if (ref.kind === 'Namespace') for (const id of [...present]) if (id.includes(` ${ref.name}/`)) present.delete(id);
    },
    async deleteAny(ref) {
      present.delete(`${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`);
    },
    objectExists: async (ref) => present.has(`${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`),
    async waitForObjectsGone(refs: KubeRef[]) {
      const left = refs.filter((r) => present.has(describeRef(r)));
      if (left.length > 0) throw new Error(`still there: ${left.map(describeRef).join(', ')}`);
    },
  };
}

export function fakeAws(leftovers: CloudResource[] = []): AwsResources {
  return {
    region: 'eu-west-1',
    listLoadBalancers: async () => [],
    listTargetGroups: async () => [],
    deleteLoadBalancer: async () => undefined,
    deleteTargetGroup: async () => undefined,
    deleteEcrImages: async () => 0,
    findOwned: async () => leftovers,
    deleteOwned: async (resources) => ({ deleted: resources, failed: [] }),
    listLoadBalancerInterfaces: async () => [],
    clusterVpc: async () => undefined,
    listControllerSecurityGroups: async () => [],
  };
}

export function fakeTofu(): Tofu {
  let state = ['aws_eks_cluster.this'];
  return {
    init: async () => undefined,
    plan: async () => ({ changes: 0 }),
    apply: async () => undefined,
    output: async () => ({}),
    destroy: async () => {
      state = [];
    },
    stateResources: async () => state,
  };
}

/** A journal as deploy and provision leave it. */
export function deployedJournal(): Journal {
  const journal = Journal.open(join(tempDir(), 'journal'));
  journal.append({ type: 'run-start', runId: RUN, suite: 'thyme', target: 'sandbox', pid: 1, host: 'h' });
  journal.append({ type: 'resource-created', resource: { kind: 'tofu-state', id: '/runs/x/tofu' } });
  for (const o of APPLIED) journal.append({ type: 'resource-created', resource: appliedResource(o) });
  return journal;
}
