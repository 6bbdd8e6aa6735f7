import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppsV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { connectKubeconfig } from '../../src/adapters/kube-cluster.ts';
import { createKubeWorkloads, FIELD_MANAGER } from '../../src/adapters/kube-workloads.ts';
import type { KubeWorkloads } from '../../src/adapters/kube-workloads.ts';
import { InterruptedError } from '../../src/errors.ts';
import { deploy } from '../../src/phases/deploy.ts';
import { EventBus } from '../../src/run/events.ts';
import { Journal, readJournal } from '../../src/run/journal.ts';
import { loadSuite } from '../../src/suite/load.ts';
import { renderManifests } from '../../src/suite/render.ts';
import { sharedTestSandbox, type TestSandbox } from '../harness/sandbox.ts';
import { tempDir } from '../helpers/tmp.ts';

describe('deploy', () => {
  let sb: TestSandbox;
  const runDir = tempDir('bench-run-');
  before(async () => {
    sb = await sharedTestSandbox();
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
    const generationsAfterFirst = await generations(sb.kc, first.applied);
    const second = await deploy({
      objects,
      runId: 'thyme-20261121-000000-beef',
      runDir,
      kube,
      journal,
      events: new EventBus(),
    });
    journal.close();
    // A workload's controller writes its status (a new resourceVersion) whenever it likes; its spec
    // changed only if its generation did. Nobody else writes the other kinds.
    const versions = (applied: typeof first.applied) =>
      Object.fromEntries(
        applied
          .filter((a) => a.kind !== 'Secret' && !WORKLOADS.has(a.kind))
          .map((a) => [`${a.kind} ${a.namespace}/${a.name}`, a.resourceVersion]),
      );
    assert.deepEqual(versions(second.applied), versions(first.applied), 'no object changed on the second apply');
    assert.deepEqual(
      await generations(sb.kc, second.applied),
      generationsAfterFirst,
      'no workload spec changed either',
    );
    assert.ok(Object.keys(generationsAfterFirst).length >= 4, JSON.stringify(generationsAfterFirst));
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

  it('stops between objects on the signal: after a Ctrl-C no LoadBalancer Service is created (asked of the API server)', async () => {
    const runId = 'thyme-20261203-000000-ab07';
    const real = createKubeWorkloads(await connectKubeconfig({ path: sb.env.KUBECONFIG }));
    const objects = renderManifests(loadSuite('thyme'), {
      target: 'sandbox',
      runId,
      overrides: { grafanaLoadBalancer: 'true' },
    }).filter((o) => o.stage === 'deploy');
    assert.ok(
      objects.some((o) => o.object.kind === 'Service' && (o.object.spec as { type?: string }).type === 'LoadBalancer'),
      'the suite has a LoadBalancer Service to hold back',
    );
    // The Ctrl-C arrives while the first objects (the namespaces) are being applied.
    const controller = new AbortController();
    const applied: string[] = [];
    const kube: KubeWorkloads = {
      ...real,
      async apply(object) {
        const result = await real.apply(object);
        applied.push(`${object.kind} ${object.metadata.name}`);
        controller.abort();
        return result;
      },
    };
    const journal = Journal.open(`${runDir}/journal-interrupted`);
    const err = await deploy({
      objects,
      runId,
      runDir,
      kube,
      journal,
      events: new EventBus(),
      signal: controller.signal,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    journal.close();
    assert.ok(err instanceof InterruptedError, String(err));
    assert.ok(applied.length > 0 && applied.every((a) => a.startsWith('Namespace ')), applied.join(', '));
    const core = sb.kc.makeApiClient(CoreV1Api);
    const services = await core.listServiceForAllNamespaces({ labelSelector: `bench.dev/run-id=${runId}` });
    assert.deepEqual(
      services.items.map((x) => `${x.metadata?.namespace}/${x.metadata?.name}`),
      [],
      'no Service at all, so no LoadBalancer one',
    );
    // Nothing is journaled that was not begun (teardown's record stays true).
    const created = readJournal(`${runDir}/journal-interrupted`).records.filter((r) => r.type === 'resource-created');
    assert.equal(created.length, applied.length);

    // A signal aborted before deploy starts: nothing at all is applied.
    const before = new AbortController();
    before.abort();
    const runId2 = 'thyme-20261203-000000-ab08';
    const j2 = Journal.open(`${runDir}/journal-before`);
    await assert.rejects(
      deploy({
        objects: renderManifests(loadSuite('thyme'), { target: 'sandbox', runId: runId2 }).filter(
          (o) => o.stage === 'deploy',
        ),
        runId: runId2,
        runDir,
        kube: real,
        journal: j2,
        events: new EventBus(),
        signal: before.signal,
      }),
      InterruptedError,
    );
    j2.close();
    const namespaces = await core.listNamespace({ labelSelector: `bench.dev/run-id=${runId2}` });
    assert.deepEqual(namespaces.items, []);
  });
});

const WORKLOADS = new Set(['Deployment', 'DaemonSet', 'StatefulSet']);

/** The generation the API server holds for each workload applied (a spec change bumps it). */
async function generations(
  kc: KubeConfig,
  applied: { kind: string; namespace?: string; name: string }[],
): Promise<Record<string, number>> {
  const apps = kc.makeApiClient(AppsV1Api);
  const out: Record<string, number> = {};
  for (const a of applied.filter((x) => WORKLOADS.has(x.kind))) {
    const args = { name: a.name, namespace: a.namespace ?? '' };
    const obj =
      a.kind === 'Deployment'
        ? await apps.readNamespacedDeployment(args)
        : a.kind === 'DaemonSet'
          ? await apps.readNamespacedDaemonSet(args)
          : await apps.readNamespacedStatefulSet(args);
    out[`${a.kind} ${a.namespace}/${a.name}`] = obj.metadata?.generation ?? -1;
  }
  return out;
}
