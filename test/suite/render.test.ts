import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SuiteError, UsageError } from '../../src/errors.ts';
import { loadSuite } from '../../src/suite/load.ts';
import { interpolate, LB_TAGS_ANNOTATION, renderManifests, RUN_ID_LABEL } from '../../src/suite/render.ts';
import { copySuite, THYME_MANIFESTS_HEAD } from '../helpers/suite-fixture.ts';

const find = (objects: ReturnType<typeof renderManifests>, kind: string, name: string, namespace?: string) =>
  objects.find(
    (o) =>
      o.object.kind === kind &&
      o.object.metadata.name === name &&
      (namespace === undefined || o.object.metadata.namespace === namespace),
  );

describe('interpolate', () => {
  it('keeps the type of a whole reference, stringifies embedded ones, and writes $${ literally', () => {
    const out = interpolate(
      { a: '${n}', b: 'x-${n}-y', c: ['$${HOSTNAME##*-}', '${images.app}'], d: 3 },
      { n: 20, images: { app: 'img:1' } },
      'f',
    );
    assert.deepEqual(out, { a: 20, b: 'x-20-y', c: ['${HOSTNAME##*-}', 'img:1'], d: 3 });
  });

  it('refuses an unknown reference, naming it', () => {
    assert.throws(
      () => interpolate('${nope}', { n: 1 }, 'base/x.yaml'),
      (err: unknown) => err instanceof SuiteError && /base\/x\.yaml: \$\{nope\}/.test(err.message),
    );
  });
});

describe('renderManifests', () => {
  it('renders Thyme: 20 co-located log generators at 2,500 logs/s, labelled with the run id', () => {
    const objects = renderManifests(loadSuite('thyme'), { target: 'aws', runId: 'thyme-1' });
    const gen = find(objects, 'Deployment', 'log-generator')?.object as unknown as {
      spec: {
        replicas: number;
        template: {
          metadata: { labels: Record<string, string> };
          spec: {
            affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { topologyKey: string }[] } };
            containers: { args: string[] }[];
          };
        };
      };
    };
    assert.equal(gen.spec.replicas, 20);
    assert.ok(gen.spec.template.spec.containers[0]?.args.includes('--lines-per-second=2500'));
    assert.equal(
      gen.spec.template.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]?.topologyKey,
      'kubernetes.io/hostname',
    );
    assert.equal(gen.spec.template.metadata.labels[RUN_ID_LABEL], 'thyme-1');
    assert.ok(objects.every((o) => o.object.metadata.labels?.[RUN_ID_LABEL] === 'thyme-1'));
    assert.ok(find(objects, 'DaemonSet', 'thyme', 'thyme-benchmark'));
    assert.ok(find(objects, 'Deployment', 'lgtm', 'lgtm'));
    // Grafana is reached by port-forward unless a LoadBalancer is asked for.
    assert.equal(find(objects, 'Service', 'grafana'), undefined);
  });

  it('adds the Grafana LoadBalancer only on request, restricted and tagged for cleanup', () => {
    const objects = renderManifests(loadSuite('thyme'), {
      target: 'aws',
      runId: 'thyme-2',
      overrides: { grafanaLoadBalancer: 'true', grafanaAllowedCidr: '203.0.113.7/32' },
    });
    const svc = find(objects, 'Service', 'grafana', 'lgtm')?.object as unknown as {
      spec: { loadBalancerSourceRanges: string[] };
      metadata: { annotations: Record<string, string> };
    };
    assert.deepEqual(svc.spec.loadBalancerSourceRanges, ['203.0.113.7/32']);
    assert.match(svc.metadata.annotations[LB_TAGS_ANNOTATION] ?? '', /bench\.dev\/run-id=thyme-2/);
  });

  it('renders each Koorde variant in its own namespace with identical settings but the protocol', () => {
    const objects = renderManifests(loadSuite('koorde'), {
      target: 'sandbox',
      runId: 'k-1',
      overrides: { nodes: '5' },
    });
    const chord = find(objects, 'ConfigMap', 'dht-config', 'chord-dht')?.object as unknown as {
      data: Record<string, string>;
    };
    const koorde = find(objects, 'ConfigMap', 'dht-config', 'koorde-dht')?.object as unknown as {
      data: Record<string, string>;
    };
    assert.equal(chord.data.DHT_PROTOCOL, 'chord');
    assert.equal(koorde.data.DHT_PROTOCOL, 'koorde');
    assert.deepEqual({ ...chord.data, DHT_PROTOCOL: '' }, { ...koorde.data, DHT_PROTOCOL: '' });
    assert.equal(chord.data.DEBRUIJN_DEGREE, '8');
    const sts = find(objects, 'StatefulSet', 'dht-node', 'koorde-dht')?.object as unknown as {
      spec: {
        replicas: number;
        podManagementPolicy: string;
        template: { spec: { containers: { command: string[] }[] } };
      };
    };
    assert.equal(sts.spec.replicas, 5);
    assert.equal(sts.spec.podManagementPolicy, 'Parallel');
    assert.match(
      sts.spec.template.spec.containers[0]?.command[2] ?? '',
      /case "\$HOSTNAME" in[\s\S]*dht-node-0\.dht-headless\.koorde-dht\.svc/,
    );
    const job = objects.find((o) => o.object.kind === 'Job' && o.variant === 'chord');
    assert.equal(job?.stage, 'workload');
    const lb = find(objects, 'Service', 'dht-cache-http', 'chord-dht')?.object as unknown as { spec: { type: string } };
    assert.equal(lb.spec.type, 'LoadBalancer');
  });

  it('applies merge and JSON patches of the target overlay', () => {
    const dir = copySuite('thyme', (y) =>
      y.replace(
        THYME_MANIFESTS_HEAD,
        [
          'manifests:',
          '  overlays:',
          '    sandbox:',
          '      params: { nopCollectorReplicas: 1, rateWindow: 5s }',
          '      patches:',
          '        - target: { kind: Deployment, name: lgtm, namespace: lgtm }',
          '          merge: { spec: { template: { spec: { nodeSelector: { role: observability } } } } }',
          '        - target: { kind: DaemonSet, name: thyme }',
          '          ops:',
          '            - { op: replace, path: /spec/template/spec/containers/0/imagePullPolicy, value: Never }',
          '  base:',
        ].join('\n'),
      ),
    );
    const objects = renderManifests(loadSuite(dir), { target: 'sandbox', runId: 'r' });
    const lgtm = find(objects, 'Deployment', 'lgtm')?.object as unknown as {
      spec: { template: { spec: { nodeSelector: Record<string, string>; containers: unknown[] } } };
    };
    assert.deepEqual(lgtm.spec.template.spec.nodeSelector, { role: 'observability' });
    assert.equal(lgtm.spec.template.spec.containers.length, 1);
    const ds = find(objects, 'DaemonSet', 'thyme')?.object as unknown as {
      spec: { template: { spec: { containers: { imagePullPolicy: string }[] } } };
    };
    assert.equal(ds.spec.template.spec.containers[0]?.imagePullPolicy, 'Never');
    assert.equal(
      (find(objects, 'Deployment', 'nop-collector')?.object as unknown as { spec: { replicas: number } }).spec.replicas,
      1,
    );
    // The overlay is the sandbox's only.
    const aws = renderManifests(loadSuite(dir), { target: 'aws', runId: 'r' });
    assert.equal(
      (find(aws, 'Deployment', 'nop-collector')?.object as unknown as { spec: { replicas: number } }).spec.replicas,
      3,
    );
  });

  it('refuses a patch that matches nothing and a manifest that is missing', () => {
    const dir = copySuite('thyme', (y) =>
      y.replace(
        THYME_MANIFESTS_HEAD,
        'manifests:\n  overlays:\n    aws:\n      patches:\n        - target: { kind: Deployment, name: nope }\n          merge: { spec: {} }\n  base:',
      ),
    );
    assert.throws(
      () => renderManifests(loadSuite(dir), { target: 'aws', runId: 'r' }),
      (err: unknown) => err instanceof SuiteError && err.code === 'E_PATCH_TARGET',
    );
    const missing = copySuite('thyme', (y) => y.replace('base/lgtm.yaml', 'base/missing.yaml'));
    assert.throws(
      () => renderManifests(loadSuite(missing), { target: 'aws', runId: 'r' }),
      (err: unknown) =>
        err instanceof SuiteError && err.code === 'E_MANIFEST_MISSING' && /base\/missing\.yaml/.test(err.message),
    );
  });

  it('types and range-checks --set values and --image names', () => {
    const loaded = loadSuite('thyme');
    const bad = (overrides: Record<string, string>, code: string) =>
      assert.throws(
        () => renderManifests(loaded, { target: 'aws', runId: 'r', overrides }),
        (err: unknown) => err instanceof UsageError && err.code === code && err.exitCode === 2,
      );
    bad({ logGenerators: '0' }, 'E_PARAM_RANGE');
    bad({ logGenerators: '-3' }, 'E_PARAM_RANGE');
    bad({ logGenerators: 'many' }, 'E_PARAM_VALUE');
    bad({ logGenerators: '2.5' }, 'E_PARAM_VALUE');
    bad({ grafanaLoadBalancer: 'yes' }, 'E_PARAM_VALUE');
    bad({ nosuch: '1' }, 'E_PARAM_UNKNOWN');
    assert.throws(
      () => renderManifests(loaded, { target: 'aws', runId: 'r', images: { nosuch: 'x' } }),
      (err: unknown) => err instanceof UsageError && err.code === 'E_IMAGE_UNKNOWN',
    );
    const objects = renderManifests(loaded, {
      target: 'aws',
      runId: 'r',
      images: { thyme: '123.dkr.ecr.eu-central-1.amazonaws.com/thyme:b1' },
    });
    const ds = find(objects, 'DaemonSet', 'thyme')?.object as unknown as {
      spec: { template: { spec: { containers: { image: string }[] } } };
    };
    assert.equal(ds.spec.template.spec.containers[0]?.image, '123.dkr.ecr.eu-central-1.amazonaws.com/thyme:b1');
  });
});
