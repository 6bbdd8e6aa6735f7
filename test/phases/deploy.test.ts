import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { connectKubeconfig } from '../../src/adapters/kube-cluster.ts';
import { createKubeWorkloads, FIELD_MANAGER } from '../../src/adapters/kube-workloads.ts';
import { deploy } from '../../src/phases/deploy.ts';
import { EventBus } from '../../src/run/events.ts';
import { Journal, readJournal } from '../../src/run/journal.ts';
import { loadSuite } from '../../src/suite/load.ts';
import { renderManifests } from '../../src/suite/render.ts';
import { startTestSandbox, type TestSandbox } from '../harness/sandbox.ts';
import { tempDir } from '../helpers/tmp.ts';

describe('deploy', () => {
  let sb: TestSandbox;
  const runDir = tempDir('bench-run-');
  before(async () => {
    sb = await startTestSandbox();
  });
  after(async () => {
    await sb?.stop();
  });

  it("server-side applies every object with the tool's field manager, and re-applying changes nothing", async () => {
    const kube = createKubeWorkloads(await connectKubeconfig({ path: sb.env.KUBECONFIG }));
    const objects = renderManifests(loadSuite('thyme'), {
      target: 'sandbox',
      runId: 'thyme-20261121-000000-beef',
    }).filter((o) => o.stage === 'deploy');
    const journal = Journal.open(`${runDir}/journal`);
    const first = await deploy({
      objects,
      runId: 'thyme-20261121-000000-beef',
      runDir,
      kube,
      journal,
      events: new EventBus(),
    });
    const second = await deploy({
      objects,
      runId: 'thyme-20261121-000000-beef',
      runDir,
      kube,
      journal,
      events: new EventBus(),
    });
    journal.close();
    const versions = (applied: typeof first.applied) =>
      Object.fromEntries(
        applied
          .filter((a) => a.kind !== 'Secret')
          .map((a) => [`${a.kind} ${a.namespace}/${a.name}`, a.resourceVersion]),
      );
    assert.deepEqual(versions(second.applied), versions(first.applied), 'no object changed on the second apply');
    assert.equal(first.applied.length, objects.length + 1, 'the objects and the generated Grafana secret');

    const core = sb.kc.makeApiClient(CoreV1Api);
    const ns = await core.readNamespace({ name: 'thyme-benchmark' });
    assert.ok(ns.metadata?.managedFields?.some((f) => f.manager === FIELD_MANAGER && f.operation === 'Apply'));
    assert.equal(ns.metadata?.labels?.['bench.dev/run-id'], 'thyme-20261121-000000-beef');
    // The Grafana password is generated, kept in a Secret, and written nowhere else.
    const secret = await core.readNamespacedSecret({ name: 'grafana-admin', namespace: 'lgtm' });
    const password = Buffer.from(secret.data?.password ?? '', 'base64').toString();
    assert.ok(password.length >= 20 && password !== 'admin');
    const { readFileSync, readdirSync } = await import('node:fs');
    const onDisk = [
      readFileSync(`${runDir}/journal`, 'utf8'),
      ...readdirSync(first.manifestsDir).map((f) => readFileSync(`${first.manifestsDir}/${f}`, 'utf8')),
    ].join('\n');
    assert.ok(!onDisk.includes(password), 'the password is not in the journal or the rendered manifests');
    // Every object is journaled as created (teardown finds them from there).
    const created = readJournal(`${runDir}/journal`).records.filter((r) => r.type === 'resource-created');
    assert.ok(created.some((r) => r.type === 'resource-created' && r.resource.id === 'Namespace thyme-benchmark'));
    assert.ok(created.some((r) => r.type === 'resource-created' && r.resource.id === 'Secret lgtm/grafana-admin'));
  });
});
