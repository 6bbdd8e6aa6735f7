import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { KubeWorkloads, PodState } from '../../src/adapters/kube-workloads.ts';
import type { BenchError } from '../../src/errors.ts';
import { checkPlacements, verify } from '../../src/phases/verify.ts';
import { EventBus } from '../../src/run/events.ts';
import { Journal, readJournal } from '../../src/run/journal.ts';
import { loadSuite } from '../../src/suite/load.ts';
import { tempDir } from '../helpers/tmp.ts';

const NODES = ['node-a', 'node-b', 'node-c'];

function pod(name: string, node: string | undefined, phase = 'Running'): PodState {
  return {
    name,
    node,
    phase,
    ready: phase === 'Running',
    unschedulable: node ? undefined : '0/3 nodes are available',
    unschedulableSince: undefined,
    waiting: [],
  };
}

/** n log-generator pods, on the nodes given in turn. */
const generators = (n: number, ...nodes: (string | undefined)[]) =>
  Array.from({ length: n }, (_, i) => pod(`log-generator-${i}`, nodes[i % nodes.length]));

/** A cluster reader: the pods of each `app` label, and the schedulable nodes. */
function cluster(pods: Record<string, PodState[]>, nodes = NODES): KubeWorkloads & { asked: string[] } {
  const asked: string[] = [];
  const unused = () => Promise.reject(new Error('not used by verify'));
  return {
    asked,
    listPods: async (namespace, selector) => {
      asked.push(`${namespace} app=${selector.app}`);
      return pods[String(selector.app)] ?? [];
    },
    schedulableNodes: async () => nodes,
    waitForRollout: async () => undefined,
    waitForLoadBalancer: async () => 'lb.example',
    schedulingEvents: async () => [],
    apply: unused,
    remove: unused,
    scale: unused,
    listPodImages: unused,
  };
}

const thymeEveryNode = NODES.map((n, i) => pod(`thyme-${i}`, n));
const { suite } = loadSuite('thyme');
const placements = suite.verify.placement;

describe("verify's placement checks (Thyme's: log generators co-located, Thyme on every node)", () => {
  it('all 20 log generators on one node and one Thyme per schedulable node hold', async () => {
    const kube = cluster({ 'log-generator': generators(20, 'node-b'), thyme: thymeEveryNode });
    assert.deepEqual(await checkPlacements(kube, placements), [
      { name: 'log-generators-on-one-node', ok: true, detail: 'all 20 pods on node-b' },
      { name: 'thyme-on-every-node', ok: true, detail: 'one pod on each of the 3 schedulable nodes' },
    ]);
    // Asked in the suite's namespace, by its selectors.
    assert.deepEqual(kube.asked, ['thyme-benchmark app=log-generator', 'thyme-benchmark app=thyme']);
  });

  it('generators on two nodes, or one not scheduled, or none at all, are not co-located', async () => {
    const coLocated = (pods: PodState[]) =>
      checkPlacements(cluster({ 'log-generator': pods, thyme: thymeEveryNode }), placements).then((r) => r[0]);
    assert.deepEqual(await coLocated([...generators(19, 'node-a'), pod('log-generator-19', 'node-c')]), {
      name: 'log-generators-on-one-node',
      ok: false,
      detail: 'pods are spread: 19 on node-a, 1 on node-c',
    });
    assert.deepEqual(await coLocated([...generators(19, 'node-a'), pod('log-generator-19', undefined, 'Pending')]), {
      name: 'log-generators-on-one-node',
      ok: false,
      detail: 'pods are spread: 19 on node-a, 1 on unscheduled',
    });
    assert.deepEqual(await coLocated([pod('log-generator-0', undefined, 'Pending')]), {
      name: 'log-generators-on-one-node',
      ok: false,
      detail: 'pods are spread: 1 on unscheduled',
    });
    assert.deepEqual(await coLocated([]), {
      name: 'log-generators-on-one-node',
      ok: false,
      detail: 'pods are spread: no pods',
    });
  });

  it('pods that finished (Succeeded, Failed) are not counted where they ran', async () => {
    const pods = [
      ...generators(20, 'node-a'),
      pod('log-generator-old', 'node-b', 'Succeeded'),
      pod('log-generator-crashed', 'node-c', 'Failed'),
    ];
    const [result] = await checkPlacements(cluster({ 'log-generator': pods, thyme: thymeEveryNode }), placements);
    assert.deepEqual(result, { name: 'log-generators-on-one-node', ok: true, detail: 'all 20 pods on node-a' });
  });

  it('one per node fails on a node without one, on a node with two, and on a pod too many', async () => {
    const perNode = (pods: PodState[]) =>
      checkPlacements(cluster({ 'log-generator': generators(20, 'node-a'), thyme: pods }), placements).then(
        (r) => r[1],
      );
    assert.deepEqual(await perNode(thymeEveryNode.slice(0, 2)), {
      name: 'thyme-on-every-node',
      ok: false,
      detail: '2 pods for 3 schedulable nodes (1 on node-a, 1 on node-b; none on node-c)',
    });
    assert.deepEqual(await perNode([...thymeEveryNode.slice(0, 2), pod('thyme-x', 'node-b')]), {
      name: 'thyme-on-every-node',
      ok: false,
      detail: '3 pods for 3 schedulable nodes (1 on node-a, 2 on node-b; none on node-c)',
    });
    assert.deepEqual(await perNode([...thymeEveryNode, pod('thyme-x', undefined, 'Pending')]), {
      name: 'thyme-on-every-node',
      ok: false,
      detail: '4 pods for 3 schedulable nodes (1 on node-a, 1 on node-b, 1 on node-c, 1 on unscheduled)',
    });
  });

  it('verify journals the placements and fails with E_PLACEMENT (exit 3) naming each that failed', async () => {
    const run = async (pods: Record<string, PodState[]>) => {
      const journal = Journal.open(join(tempDir(), 'journal'));
      const events = new EventBus();
      const seen: string[] = [];
      events.subscribe((e) => seen.push(`${e.code}: ${e.message}`));
      const outcome = await verify({
        kube: cluster(pods),
        journal,
        events,
        workloads: [{ kind: 'Deployment', namespace: 'thyme-benchmark', name: 'log-generator' }],
        loadBalancers: [],
        placements,
        selectors: new Map(),
        deadlineMs: 1000,
      }).then(
        (r) => r,
        (err: unknown) => err as BenchError,
      );
      const records = readJournal(journal.path).records;
      journal.close();
      return { outcome, records, seen };
    };
    const held = await run({ 'log-generator': generators(20, 'node-a'), thyme: thymeEveryNode });
    assert.ok(!(held.outcome instanceof Error));
    assert.deepEqual(
      held.outcome.placements.map((p) => p.ok),
      [true, true],
    );
    assert.ok(held.seen.includes('verify.placement: log-generators-on-one-node: all 20 pods on node-a'));

    const spread = await run({ 'log-generator': generators(20, 'node-a', 'node-b'), thyme: thymeEveryNode });
    const err = spread.outcome as BenchError;
    assert.equal(err.code, 'E_PLACEMENT');
    assert.equal(err.exitCode, 3);
    assert.equal(
      err.message,
      'placement assertion failed: log-generators-on-one-node: pods are spread: 10 on node-a, 10 on node-b',
    );
    const note = spread.records.find((r) => r.type === 'note' && r.message === 'placement');
    assert.deepEqual(note?.type === 'note' ? note.data?.placements : undefined, err.data?.placements);
    assert.ok(spread.records.some((r) => r.type === 'phase-end' && r.phase === 'verify' && !r.ok));
  });
});
