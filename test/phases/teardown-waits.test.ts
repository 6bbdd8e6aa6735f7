import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AwsResources, CloudResource } from '../../src/adapters/aws-resources.ts';
import { BenchError, InfrastructureError, InterruptedError } from '../../src/errors.ts';
import {
  listOwnedLoadBalancers,
  listOwnedTargetGroups,
  waitForLoadBalancersGone,
  waitForNetworkInterfacesGone,
} from '../../src/phases/teardown-waits.ts';
import { fakeAws } from './teardown-fakes.ts';

const lb = (id: string, tags: Record<string, string>): CloudResource => ({
  kind: 'elbv2-load-balancer',
  id,
  name: id,
  region: 'eu-west-1',
  tags,
});

/** The region's load balancers: one per ownership rule, and ones that belong to nobody here. */
const REGION_LBS = [
  lb('by-run', { 'bench.dev/run-id': 'run-a' }),
  lb('by-in-tree', { 'kubernetes.io/cluster/c1': 'owned' }),
  lb('by-in-tree-shared', { 'kubernetes.io/cluster/c1': 'shared' }),
  lb('by-lbc', { 'elbv2.k8s.aws/cluster': 'c1' }),
  lb('other-run', { 'bench.dev/run-id': 'run-b' }),
  lb('other-cluster', { 'kubernetes.io/cluster/c2': 'owned', 'elbv2.k8s.aws/cluster': 'c2' }),
  lb('untagged', {}),
];

const cloud = (over: Partial<AwsResources> = {}): AwsResources => ({
  ...fakeAws(),
  listLoadBalancers: async () => REGION_LBS,
  ...over,
});
const ids = (rs: CloudResource[]) => rs.map((r) => r.id);

describe('ownership rules of teardown', () => {
  it('a run owns what carries its run id; a cluster what either controller tagged with its name', async () => {
    assert.deepEqual(ids(await listOwnedLoadBalancers(cloud(), { runId: 'run-a' })), ['by-run']);
    assert.deepEqual(ids(await listOwnedLoadBalancers(cloud(), { clusterName: 'c1' })), [
      'by-in-tree',
      'by-in-tree-shared',
      'by-lbc',
    ]);
    assert.deepEqual(ids(await listOwnedLoadBalancers(cloud(), { runId: 'run-a', clusterName: 'c1' })), [
      'by-run',
      'by-in-tree',
      'by-in-tree-shared',
      'by-lbc',
    ]);
  });

  it('target groups go by the same rules', async () => {
    const tgs = REGION_LBS.map((r) => ({ ...r, kind: 'elbv2-target-group' as const }));
    const aws = cloud({ listTargetGroups: async () => tgs });
    assert.deepEqual(ids(await listOwnedTargetGroups(aws, { clusterName: 'c1' })), [
      'by-in-tree',
      'by-in-tree-shared',
      'by-lbc',
    ]);
  });

  it('an empty filter is refused (E_INTERNAL), never matched against everything', async () => {
    for (const filter of [{}, { runId: '' }, { clusterName: '' }]) {
      await assert.rejects(
        listOwnedLoadBalancers(cloud(), filter),
        (err: unknown) => err instanceof BenchError && err.code === 'E_INTERNAL',
      );
      await assert.rejects(
        waitForLoadBalancersGone(cloud(), filter, { deadlineMs: 1000, pollMs: 10 }),
        (err: unknown) => err instanceof BenchError && err.code === 'E_INTERNAL',
      );
    }
  });
});

describe('the waits of teardown', () => {
  it('the load-balancer wait ends when none of the run is left, whatever else remains', async () => {
    let polls = 0;
    const aws = cloud({
      listLoadBalancers: async () => (++polls < 3 ? REGION_LBS : REGION_LBS.slice(4)),
    });
    const seen: number[] = [];
    const waited = await waitForLoadBalancersGone(
      aws,
      { runId: 'run-a', clusterName: 'c1' },
      { deadlineMs: 5000, pollMs: 1, onPoll: (remaining) => seen.push(remaining.length) },
    );
    assert.equal(waited.polls, 3);
    assert.deepEqual(seen, [4, 4, 0]);
  });

  it('past the deadline: E_LB_WAIT_DEADLINE naming the region and what is left', async () => {
    await assert.rejects(
      waitForLoadBalancersGone(cloud(), { runId: 'run-a' }, { deadlineMs: 30, pollMs: 5 }),
      (err: unknown) => {
        assert.ok(err instanceof InfrastructureError);
        assert.equal(err.code, 'E_LB_WAIT_DEADLINE');
        assert.match(err.message, /still present in eu-west-1 after 0s: elbv2-load-balancer by-run$/);
        return true;
      },
    );
  });

  it('the interface wait asks for the cluster VPC once and looks there and by load-balancer name', async () => {
    const asked: { loadBalancerNames: string[]; vpcId: string | undefined }[] = [];
    let vpcAsked = 0;
    const eni: CloudResource = {
      kind: 'ec2-network-interface',
      id: 'eni-1',
      name: 'ELB net/a/1',
      region: 'r',
      tags: {},
    };
    const aws = cloud({
      clusterVpc: async (name) => {
        vpcAsked++;
        return name === 'c1' ? 'vpc-1' : undefined;
      },
      listLoadBalancerInterfaces: async (filter) => {
        asked.push({ loadBalancerNames: filter.loadBalancerNames, vpcId: filter.vpcId });
        return asked.length < 3 ? [eni] : [];
      },
    });
    const waited = await waitForNetworkInterfacesGone(
      aws,
      { loadBalancerNames: ['a'], clusterName: 'c1' },
      { deadlineMs: 5000, pollMs: 1 },
    );
    assert.equal(vpcAsked, 1);
    assert.deepEqual(asked, Array(3).fill({ loadBalancerNames: ['a'], vpcId: 'vpc-1' }));
    assert.deepEqual(
      { polls: waited.polls, seen: waited.seen, vpcId: waited.vpcId },
      {
        polls: 3,
        seen: ['eni-1'],
        vpcId: 'vpc-1',
      },
    );
    assert.ok(waited.goneAt instanceof Date);
  });

  it('the interface wait: E_ENI_WAIT_DEADLINE at the deadline, InterruptedError on abort', async () => {
    const eni: CloudResource = {
      kind: 'ec2-network-interface',
      id: 'eni-9',
      name: 'ELB app/x/9',
      region: 'r',
      tags: {},
    };
    const aws = cloud({ listLoadBalancerInterfaces: async () => [eni] });
    await assert.rejects(
      waitForNetworkInterfacesGone(aws, { loadBalancerNames: ['x'] }, { deadlineMs: 30, pollMs: 5 }),
      (err: unknown) =>
        err instanceof InfrastructureError &&
        err.code === 'E_ENI_WAIT_DEADLINE' &&
        err.message.endsWith('eni-9 (ELB app/x/9)'),
    );
    await assert.rejects(
      waitForNetworkInterfacesGone(
        aws,
        { loadBalancerNames: ['x'] },
        { deadlineMs: 5000, pollMs: 5, signal: AbortSignal.abort() },
      ),
      (err: unknown) => err instanceof InterruptedError,
    );
  });
});
