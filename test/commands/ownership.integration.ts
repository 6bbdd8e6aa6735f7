import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoordinationV1Api, CoreV1Api } from '@kubernetes/client-node';
import type { JournalRecord } from '../../src/run/journal.ts';
import { eventually, sharedTestSandbox, type TestSandbox } from '../harness/sandbox.ts';
import { runJournal, runStartedBy, sandboxRunEnv, spawnBench } from '../helpers/bench-process.ts';
import { motoTaggedWith } from '../helpers/moto-inventory.ts';
import { tempDir } from '../helpers/tmp.ts';

/**
 * Ownership against live state, on the local cloud: while one run is in its active phase, a second
 * `bench run` on the same cluster is refused (exit 2, naming the first, creating nothing in the
 * cluster), and `bench cleanup --orphans --yes` touches none of the live run's resources; the first
 * run then finishes with exit 0 and its report, and releases the cluster's lease.
 */
describe('a live run owns its cluster', () => {
  let sb: TestSandbox;
  let env: NodeJS.ProcessEnv;
  const runsDir = tempDir('bench-runs-');

  before(async () => {
    sb = await sharedTestSandbox();
    env = sandboxRunEnv(sb, runsDir);
  });
  after(async () => {
    await sb?.stop();
  });

  const journal = (runId: string): JournalRecord[] => runJournal(runsDir, runId);
  const bench = (bin: 'bench' | 'thyme-bench', args: string[]) => {
    const started = spawnBench(bin, args, env);
    return { ...started, exited: started.exited.then((e) => e.code) };
  };

  it('a second run exits 2 naming the first; --orphans --yes keeps every resource of the live run; the first finishes 0', async () => {
    const first = bench('thyme-bench', [
      'run',
      '--target',
      'sandbox',
      '--ramp',
      '2s',
      '--active',
      '150s',
      '--cooldown',
      '2s',
      '--set',
      'grafanaLoadBalancer=true',
    ]);
    const runId = await eventually(
      'the first run appears',
      async () => runStartedBy(runsDir, first.child.pid),
      60_000,
      100,
    );
    await eventually(
      'the first run is active',
      async () => journal(runId).some((r) => r.type === 'phase-start' && r.phase === 'active'),
      240_000,
      200,
    );
    const core = sb.kc.makeApiClient(CoreV1Api);
    const lease = await sb.kc.makeApiClient(CoordinationV1Api).readNamespacedLease({
      name: 'bench-run',
      namespace: 'kube-system',
    });
    assert.equal(lease.spec?.holderIdentity, runId, 'the first run holds the cluster');
    const objectsOf = async (id: string) => ({
      namespaces: (await core.listNamespace({ labelSelector: `bench.dev/run-id=${id}` })).items
        .map((n) => n.metadata?.name)
        .sort(),
      services: (await core.listServiceForAllNamespaces({ labelSelector: `bench.dev/run-id=${id}` })).items
        .map((x) => `${x.metadata?.namespace}/${x.metadata?.name}:${x.metadata?.uid}`)
        .sort(),
    });
    const cloudBefore = motoTaggedWith(sb.env, runId, ['eu-central-1']);
    const clusterBefore = await objectsOf(runId);
    assert.ok(
      cloudBefore.some((r) => /loadbalancer/i.test(r)),
      `the first run's NLB is in moto: ${cloudBefore.join(', ')}`,
    );
    assert.ok(clusterBefore.namespaces.length > 0);

    // A second run on the same cluster: refused, naming the first, nothing of it in the cluster.
    const second = bench('thyme-bench', [
      'run',
      '--target',
      'sandbox',
      '--ramp',
      '0',
      '--active',
      '5s',
      '--cooldown',
      '0',
    ]);
    const secondCode = await second.exited;
    assert.equal(secondCode, 2, second.output().slice(-3000));
    assert.match(second.output(), new RegExp(`in use by run ${runId}`));
    const secondId = runStartedBy(runsDir, second.child.pid) as string;
    assert.deepEqual((await objectsOf(secondId)).namespaces, [], 'the second run created nothing in the cluster');
    assert.deepEqual(
      motoTaggedWith(sb.env, secondId, ['eu-central-1']),
      [],
      `nor left anything in moto; its journal:\n${journal(secondId)
        .filter((r) => r.type !== 'resource-created')
        .map((r) => JSON.stringify(r).slice(0, 400))
        .join('\n')}`,
    );

    // --orphans while the first run is active: it is skipped, and keeps everything.
    const orphans = bench('bench', ['cleanup', '--orphans', '--target', 'sandbox', '--yes']);
    const orphansCode = await orphans.exited;
    assert.equal(orphansCode, 0, orphans.output().slice(-3000));
    assert.match(orphans.output(), new RegExp(`skipped: run ${runId} is running`));
    assert.deepEqual(motoTaggedWith(sb.env, runId, ['eu-central-1']), cloudBefore, 'moto still holds all of it');
    assert.deepEqual(await objectsOf(runId), clusterBefore, 'the API server still holds all of it');
    assert.ok(
      journal(runId).every((r) => r.type !== 'run-end'),
      'the first run is still going',
    );

    const firstCode = await first.exited;
    assert.equal(firstCode, 0, first.output().slice(-3000));
    assert.ok(existsSync(join(runsDir, runId, 'report.md')), 'the first run wrote its report');
    await assert.rejects(
      sb.kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: 'bench-run', namespace: 'kube-system' }),
      (e: { code?: number }) => e.code === 404,
      'the lease is released at the end of teardown',
    );
  });
});
