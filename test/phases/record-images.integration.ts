import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { connectKubeconfig } from '../../src/adapters/kube-cluster.ts';
import { createKubeWorkloads, type PodImages } from '../../src/adapters/kube-workloads.ts';
import { groupImages, recordedImages, recordImages } from '../../src/phases/record-images.ts';
import { EventBus } from '../../src/run/events.ts';
import { Journal, readJournal } from '../../src/run/journal.ts';
import { eventually, sharedTestSandbox, type TestSandbox } from '../harness/sandbox.ts';
import { tempDir } from '../helpers/tmp.ts';

const DIGEST = `sha256:${'b'.repeat(64)}`;

describe('record images: grouping and journaling', () => {
  const pods: PodImages[] = [
    {
      pod: 'web-7d9-a',
      namespace: 'ns',
      owner: { kind: 'Deployment', name: 'web' },
      containers: [{ name: 'app', init: false, image: 'example/web:1', imageID: `docker.io/example/web@${DIGEST}` }],
    },
    {
      pod: 'web-7d9-b',
      namespace: 'ns',
      owner: { kind: 'Deployment', name: 'web' },
      // The tag moved while the rollout ran: the same reference, another digest.
      containers: [
        { name: 'app', init: false, image: 'example/web:1', imageID: `docker.io/example/web@sha256:${'c'.repeat(64)}` },
      ],
    },
    {
      pod: 'web-7d9-c',
      namespace: 'ns',
      owner: { kind: 'Deployment', name: 'web' },
      containers: [{ name: 'app', init: false, image: 'example/web:1', imageID: `docker.io/example/web@${DIGEST}` }],
    },
    {
      pod: 'lonely',
      namespace: 'ns',
      owner: undefined,
      containers: [{ name: 'c', init: false, image: 'busybox', imageID: null }],
    },
  ];

  it('groups pods by workload and containers by image and imageID, keeping a moved tag apart', () => {
    assert.deepEqual(groupImages(pods), [
      {
        kind: 'Deployment',
        namespace: 'ns',
        name: 'web',
        images: [
          {
            container: 'app',
            init: false,
            image: 'example/web:1',
            imageID: `docker.io/example/web@${DIGEST}`,
            pods: ['web-7d9-a', 'web-7d9-c'],
          },
          {
            container: 'app',
            init: false,
            image: 'example/web:1',
            imageID: `docker.io/example/web@sha256:${'c'.repeat(64)}`,
            pods: ['web-7d9-b'],
          },
        ],
      },
      {
        kind: 'Pod',
        namespace: 'ns',
        name: 'lonely',
        images: [{ container: 'c', init: false, image: 'busybox', imageID: null, pods: ['lonely'] }],
      },
    ]);
  });

  it('journals them once per namespace list, and a listing failure is a warning, not the run failing', async () => {
    const dir = tempDir('bench-images-');
    const journal = Journal.open(`${dir}/journal`);
    const events = new EventBus();
    const seen: string[] = [];
    events.subscribe((e) => seen.push(`${e.level} ${e.message}`));
    const asked: string[] = [];
    const recorded = await recordImages({
      kube: { listPodImages: async (ns) => (asked.push(ns), pods.filter((p) => p.namespace === ns)) },
      namespaces: ['ns', 'ns', 'empty'],
      journal,
      events,
    });
    await recordImages({
      kube: { listPodImages: async () => Promise.reject(new Error('connection refused')) },
      namespaces: ['ns'],
      journal,
      events,
    });
    journal.close();
    assert.deepEqual(asked.sort(), ['empty', 'ns']);
    assert.deepEqual(recordedImages(readJournal(`${dir}/journal`).records), recorded);
    assert.ok(
      seen.some((s) => /^info 1 container image\(s\) have no imageID/.test(s)),
      seen.join('\n'),
    );
    assert.ok(
      seen.some((s) => /^warn the pods' images could not be recorded: connection refused/.test(s)),
      seen.join('\n'),
    );
    assert.equal(recordedImages([]), undefined);
  });
});

describe('record images on the local cloud', () => {
  let sb: TestSandbox;
  before(async () => {
    sb = await sharedTestSandbox();
  });
  after(async () => {
    await sb?.stop();
  });

  it('records what the API server holds for every pod of a Deployment: its image, and imageID null where kwok reports none', async () => {
    const kube = createKubeWorkloads(await connectKubeconfig({ path: sb.env.KUBECONFIG }));
    const ns = 'images-test';
    await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await kube.apply({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] },
        },
      },
    });
    await kube.waitForRollout({ kind: 'Deployment', namespace: ns, name: 'web' }, { deadlineMs: 60_000 });
    const core = sb.kc.makeApiClient(CoreV1Api);
    const held = await eventually('two pods', async () => {
      const list = (await core.listNamespacedPod({ namespace: ns })).items;
      return list.length === 2 ? list : undefined;
    });
    const dir = tempDir('bench-images-sb-');
    const journal = Journal.open(`${dir}/journal`);
    const recorded = await recordImages({ kube, namespaces: [ns], journal, events: new EventBus() });
    journal.close();
    // The owner is the Deployment (through its ReplicaSet), not the ReplicaSet.
    const rs = (await sb.kc.makeApiClient(AppsV1Api).listNamespacedReplicaSet({ namespace: ns })).items;
    assert.equal(rs.length, 1);
    assert.deepEqual(
      recorded.map((w) => [w.kind, w.namespace, w.name]),
      [['Deployment', ns, 'web']],
    );
    // Exactly what the API server's pod statuses hold: an empty imageID is null, not made up.
    const expected = new Map<string | null, string[]>();
    for (const p of held) {
      const id = p.status?.containerStatuses?.find((c) => c.name === 'app')?.imageID || null;
      expected.set(id, [...(expected.get(id) ?? []), p.metadata!.name!].sort());
    }
    assert.deepEqual(
      recorded[0]!.images.map((i) => [i.container, i.image, i.imageID, i.pods]),
      [...expected].map(([id, names]) => ['app', 'registry.k8s.io/pause:3.10', id, names]),
    );
    assert.deepEqual(recordedImages(readJournal(`${dir}/journal`).records), recorded);
  });
});
