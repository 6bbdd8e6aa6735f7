import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AwsResources, CloudResource } from '../../src/adapters/aws-resources.ts';
import type { KubeCluster } from '../../src/adapters/kube-cluster.ts';
import { describeRef } from '../../src/adapters/kube-cluster.ts';
import type { Tofu } from '../../src/adapters/tofu.ts';
import { recordedKubeObjects, teardown } from '../../src/phases/teardown.ts';
import { EventBus } from '../../src/run/events.ts';
import { aliveResources, readJournal, type JournalRecord } from '../../src/run/journal.ts';
import type { TargetName } from '../../src/suite/schema.ts';
import { deployedJournal, fakeAws, fakeCluster, fakeTofu, RUN } from './teardown-fakes.ts';

async function tearDown(target: TargetName, kube: KubeCluster | undefined, aws: AwsResources | null = fakeAws()) {
  const journal = deployedJournal();
  const input = {
    runId: RUN,
    target,
    clusterName: 'thyme-abcd',
    journal,
    events: new EventBus(),
    kube,
    // An existing cluster has no cloud side and no state of the run's.
    // null: the run's region is not known, so there is no cloud side to ask.
    aws: target === 'kube' || aws === null ? undefined : aws,
    tofu: target === 'kube' ? undefined : { tofu: fakeTofu(), variables: {}, workDir: '/runs/x/tofu' },
    ecrRepositories: [],
    recorded: recordedKubeObjects(readJournal(journal.path).records),
    deadlineMs: 1000,
    pollMs: 10,
  };
  const outcome = await teardown(input).then(
    () => undefined,
    (err: unknown) => err as Error,
  );
  const records = readJournal(journal.path).records;
  journal.close();
  return { outcome, records };
}

const deletions = (records: JournalRecord[]) =>
  Object.fromEntries(
    records.flatMap((r) => (r.type === 'resource-deleted' ? [[r.resource.id, r.evidence ?? '(none)']] : [])),
  );

describe('teardown records what it saw gone', () => {
  it('on a cluster that outlives the run: every object of a namespace seen gone, so nothing stays alive', async () => {
    const { outcome, records } = await tearDown('sandbox', fakeCluster());
    assert.equal(outcome, undefined);
    assert.deepEqual(aliveResources(records), []);
    assert.deepEqual(deletions(records), {
      'ClusterRole thyme': 'deleted',
      'Namespace thyme-benchmark': 'deleted',
      'Deployment thyme-benchmark/log-generator': 'namespace-gone',
      'ConfigMap thyme-benchmark/thyme-config': 'namespace-gone',
      // The LoadBalancer Service is waited for by itself (its finalizer clears when its NLB is gone).
      'Service thyme-benchmark/grafana': 'deleted',
      '/runs/x/tofu': '(none)',
    });
  });

  it('a namespace that never goes keeps itself and its objects alive in the journal', async () => {
    const { outcome, records } = await tearDown('sandbox', fakeCluster({ stuckNamespace: true }));
    assert.match(outcome?.message ?? '', /still there: Namespace thyme-benchmark/);
    assert.deepEqual(
      aliveResources(records)
        .map((r) => r.id)
        .sort(),
      [
        '/runs/x/tofu',
        'ConfigMap thyme-benchmark/thyme-config',
        'Deployment thyme-benchmark/log-generator',
        'Namespace thyme-benchmark',
        // (the LoadBalancer Service was seen gone by itself)
      ],
    );
  });

  it('on aws: once the state is destroyed and nothing tagged is left, every object went with the cluster', async () => {
    const { outcome, records } = await tearDown('aws', fakeCluster());
    assert.equal(outcome, undefined);
    assert.deepEqual(aliveResources(records), []);
    assert.equal(deletions(records)['Deployment thyme-benchmark/log-generator'], 'cluster-destroyed');
  });

  it('on aws: a cluster still tagged with the run id leaves its objects alive', async () => {
    const cluster: CloudResource = {
      kind: 'eks-cluster',
      id: 'thyme-abcd',
      name: 'thyme-abcd',
      region: 'eu-central-1',
      tags: { 'bench.dev/run-id': RUN },
    };
    const { outcome, records } = await tearDown('aws', fakeCluster(), fakeAws([cluster]));
    assert.match(outcome?.message ?? '', /teardown left 1 resource/);
    assert.ok(aliveResources(records).some((r) => r.id === 'Deployment thyme-benchmark/log-generator'));
  });

  it('on an existing cluster: the LoadBalancer Service seen gone once, the rest with its namespace, each journaled once', async () => {
    const { outcome, records } = await tearDown('kube', fakeCluster());
    assert.equal(outcome, undefined);
    assert.deepEqual(
      aliveResources(records).map((r) => r.id),
      ['/runs/x/tofu'],
    );
    assert.equal(deletions(records)['Service thyme-benchmark/grafana'], 'deleted');
    const ids = records.flatMap((r) => (r.type === 'resource-deleted' ? [r.resource.id] : []));
    assert.equal(new Set(ids).size, ids.length, ids.join(', '));
  });

  it('on a cloud target whose region is not known the load-balancer wait fails loudly and nothing is destroyed', async () => {
    for (const target of ['sandbox', 'aws'] as const) {
      const { outcome, records } = await tearDown(target, fakeCluster(), null);
      assert.equal((outcome as { code?: string } | undefined)?.code, 'E_TEARDOWN_REGION', target);
      assert.match(String(outcome?.message), /region of its cluster thyme-abcd is not known/);
      // tofu destroy never ran: the state is still alive in the journal.
      assert.ok(!records.some((r) => r.type === 'action' && r.action === 'tofu-destroy'), target);
      assert.ok(
        aliveResources(records).some((r) => r.kind === 'tofu-state'),
        target,
      );
    }
  });

  it('with the cluster out of reach nothing in it is claimed gone', async () => {
    const { records } = await tearDown('sandbox', undefined);
    assert.ok(aliveResources(records).some((r) => r.id === 'Namespace thyme-benchmark'));
  });
});

/** A cloud that records the order of what teardown asks: LB gone -> ENIs gone -> SGs deleted -> destroy. */
function orderedCloud(log: string[], options: { stateLost?: CloudResource[] } = {}) {
  const sg: CloudResource = {
    kind: 'ec2-security-group',
    id: 'sg-lbc',
    name: 'k8s-ns-front-0123456789',
    region: 'eu-west-1',
    tags: { 'elbv2.k8s.aws/cluster': 'thyme-abcd', 'service.k8s.aws/resource': 'ManagedLBSecurityGroup' },
  };
  const runNlb: CloudResource = {
    kind: 'elbv2-load-balancer',
    id: 'arn:lb',
    name: 'a1b2c3',
    region: 'eu-west-1',
    tags: { 'bench.dev/run-id': RUN },
  };
  const otherRunNlb: CloudResource = {
    ...runNlb,
    id: 'arn:other',
    name: 'other',
    tags: { 'bench.dev/run-id': 'thyme-20261203-010000-ffff', 'kubernetes.io/cluster/thyme-ffff': 'owned' },
  };
  const eni = (id: string): CloudResource => ({
    kind: 'ec2-network-interface',
    id,
    name: 'ELB net/a1b2c3/0123',
    region: 'eu-west-1',
    tags: {},
  });
  let lbPolls = 0;
  let eniPolls = 0;
  let vpcAsked = 0;
  let lost = [...(options.stateLost ?? [])];
  const aws: AwsResources = {
    ...fakeAws(),
    // Each wait polls twice: the run's NLB is there at the first poll, gone at the second; another
    // run's load balancer stays throughout and must not hold the wait.
    async listLoadBalancers() {
      lbPolls++;
      if (lbPolls % 2 === 0) log.push('lb-gone');
      return lbPolls % 2 === 1 ? [runNlb, otherRunNlb] : [otherRunNlb];
    },
    async listTargetGroups() {
      return [];
    },
    async clusterVpc(name) {
      vpcAsked++;
      return name === 'thyme-abcd' ? 'vpc-1' : undefined;
    },
    async listLoadBalancerInterfaces(filter) {
      // Three polls: both interfaces, then one, then none.
      eniPolls++;
      const left = [eni('eni-1'), eni('eni-2')].slice(0, 3 - eniPolls);
      if (left.length === 0) log.push(`eni-gone ${filter.loadBalancerNames.join(',')} ${filter.vpcId}`);
      return left;
    },
    async listControllerSecurityGroups(cluster) {
      log.push(`list-sg ${cluster}`);
      return [sg];
    },
    async deleteOwned(resources, o) {
      const deleted: CloudResource[] = [];
      for (const r of resources) {
        o?.onDeleting?.(r);
        log.push(`delete ${r.kind} ${r.id}`);
        deleted.push(r);
        o?.onDeleted?.(r);
      }
      lost = lost.filter((l) => !resources.includes(l));
      return { deleted, failed: [] };
    },
    findOwned: async () => lost,
  };
  const tofu: Tofu = {
    ...fakeTofu(),
    destroy: async () => {
      log.push('tofu-destroy');
    },
    stateResources: async () => [],
  };
  return { aws, tofu, polls: () => ({ lbPolls, eniPolls, vpcAsked }) };
}

async function orderedTeardown(log: string[], stateLost: CloudResource[] = []) {
  const journal = deployedJournal();
  const events = new EventBus();
  const seen: { code: string; message: string }[] = [];
  events.subscribe((e) => seen.push({ code: e.code, message: e.message }));
  const { aws, tofu, polls } = orderedCloud(log, { stateLost });
  const cluster = fakeCluster();
  const kube: KubeCluster = {
    ...cluster,
    async waitForObjectsGone(refs, options) {
      log.push(`kube-gone ${refs.map(describeRef).join(', ')}`);
      return cluster.waitForObjectsGone(refs, options);
    },
  };
  const result = await teardown({
    runId: RUN,
    target: 'sandbox',
    clusterName: 'thyme-abcd',
    journal,
    events,
    kube,
    aws,
    tofu: { tofu, variables: {}, workDir: '/runs/x/tofu' },
    ecrRepositories: [],
    recorded: recordedKubeObjects(readJournal(journal.path).records),
    deadlineMs: 1000,
    pollMs: 10,
  });
  const records = readJournal(journal.path).records;
  journal.close();
  return { result, records, seen, polls: polls() };
}

describe('teardown waits as AWS needs', () => {
  it('load balancers gone, then their interfaces, then the controller security groups deleted, then tofu destroy once', async () => {
    const log: string[] = [];
    const { result, records, seen, polls } = await orderedTeardown(log);
    // Two polls per ELBv2 wait; the cluster's VPC asked once, at the first poll for interfaces.
    assert.deepEqual(polls, { lbPolls: 4, eniPolls: 3, vpcAsked: 1 });
    assert.deepEqual(log, [
      'lb-gone',
      // A controller may create an NLB after the first answer: the Services themselves, then ELBv2 again.
      'kube-gone Service thyme-benchmark/grafana',
      'lb-gone',
      'kube-gone Namespace thyme-benchmark',
      'eni-gone a1b2c3 vpc-1',
      'list-sg thyme-abcd',
      'delete ec2-security-group sg-lbc',
      'tofu-destroy',
    ]);
    assert.equal(result.destroyAttempts, 1);
    assert.ok(!seen.some((e) => e.code === 'teardown.destroy.retry'));
    assert.deepEqual(result.deletedCloudResources, ['ec2-security-group sg-lbc (eu-west-1)']);
    // Journaled: the wait, the note with the time the last interface went, the group's deletion
    // before and after, then the destroy.
    const idx = (pred: (r: JournalRecord) => boolean) => records.findIndex(pred);
    const waitEni = idx((r) => r.type === 'action' && r.action === 'wait-network-interfaces-gone');
    const gone = idx((r) => r.type === 'note' && r.message === 'network interfaces gone');
    const before = idx((r) => r.type === 'action' && r.action === 'delete-cloud-resource');
    const after = idx((r) => r.type === 'resource-deleted' && r.resource.id === 'sg-lbc');
    const destroy = idx((r) => r.type === 'action' && r.action === 'tofu-destroy');
    assert.ok(
      waitEni >= 0 && waitEni < gone && gone < before && before < after && after < destroy,
      records.map((r) => r.type).join(','),
    );
    const note = records[gone] as Extract<JournalRecord, { type: 'note' }>;
    assert.match(String(note.data?.goneAt), /^\d{4}-\d\d-\d\dT/);
    assert.deepEqual(note.data?.interfaces, ['eni-1', 'eni-2']);
    assert.equal(note.data?.polls, 3);
    assert.equal(note.data?.vpcId, 'vpc-1');
    assert.ok(seen.some((e) => e.code === 'teardown.cloud.deleted' && e.message.includes('k8s-ns-front-0123456789')));
  });

  it('what the state lost is deleted directly after tofu destroy, each deletion journaled before and after', async () => {
    const log: string[] = [];
    const lost: CloudResource[] = [
      { kind: 'ec2-nat-gateway', id: 'nat-1', name: 'c-nat-a', region: 'eu-west-1', tags: { 'bench.dev/run-id': RUN } },
      { kind: 'ec2-vpc', id: 'vpc-9', name: 'c-vpc', region: 'eu-west-1', tags: { 'bench.dev/run-id': RUN } },
    ];
    const { result, records, seen } = await orderedTeardown(log, lost);
    assert.deepEqual(log.slice(log.indexOf('tofu-destroy')), [
      'tofu-destroy',
      'delete ec2-nat-gateway nat-1',
      'delete ec2-vpc vpc-9',
    ]);
    assert.deepEqual(result.leftovers, []);
    for (const id of ['nat-1', 'vpc-9']) {
      const before = records.findIndex(
        (r) => r.type === 'action' && r.action === 'delete-cloud-resource' && r.data?.id === id,
      );
      const after = records.findIndex((r) => r.type === 'resource-deleted' && r.resource.id === id);
      assert.ok(before >= 0 && after > before, id);
      assert.ok(
        seen.some(
          (e) => e.code === 'teardown.cloud.deleted' && e.message.includes(id === 'nat-1' ? 'c-nat-a' : 'c-vpc'),
        ),
      );
    }
    assert.ok(records.some((r) => r.type === 'action' && r.action === 'delete-leftovers'));
  });

  it('what even direct deletion leaves is E_TEARDOWN_LEFTOVERS', async () => {
    const journal = deployedJournal();
    const stuck: CloudResource = { kind: 'ec2-vpc', id: 'vpc-stuck', name: 'v', region: 'eu-west-1', tags: {} };
    const aws: AwsResources = {
      ...fakeAws([stuck]),
      deleteOwned: async (resources) => ({
        deleted: [],
        failed: resources.map((resource) => ({ resource, message: 'DependencyViolation' })),
      }),
    };
    const err = await teardown({
      runId: RUN,
      target: 'sandbox',
      clusterName: 'thyme-abcd',
      journal,
      events: new EventBus(),
      kube: fakeCluster(),
      aws,
      tofu: { tofu: fakeTofu(), variables: {}, workDir: '/runs/x/tofu' },
      ecrRepositories: [],
      recorded: [],
      deadlineMs: 1000,
      pollMs: 10,
    }).then(
      () => undefined,
      (e: unknown) => e as { code?: string; message: string },
    );
    journal.close();
    assert.equal(err?.code, 'E_TEARDOWN_LEFTOVERS');
    assert.match(err?.message ?? '', /ec2-vpc vpc-stuck/);
  });
});
