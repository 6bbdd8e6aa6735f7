import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kubeSchemaFor, vendoredKubernetesVersions } from '../../src/suite/kube-schema.ts';
import { promqlSyntaxError } from '../../src/suite/promql.ts';

describe('the vendored Kubernetes OpenAPI schema', () => {
  const { schema, exact } = kubeSchemaFor('1.34');

  it('is the release the local cloud runs, and the nearest one stands in for others', () => {
    assert.ok(vendoredKubernetesVersions().includes('1.34'));
    assert.equal(exact, true);
    assert.match(schema.release, /^1\.34\.\d+$/);
    assert.equal(kubeSchemaFor('1.31').exact, false);
  });

  it('takes what the API server takes: int-or-string ports, numeric quantities, null fields', () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x', labels: null },
      spec: {
        selector: { matchLabels: { app: 'x' } },
        template: {
          metadata: { labels: { app: 'x' } },
          spec: {
            containers: [
              {
                name: 'x',
                image: 'x:1',
                resources: { limits: { cpu: 1, memory: '1Gi' } },
                readinessProbe: { httpGet: { port: 'http' } },
                livenessProbe: { httpGet: { port: 8080 } },
              },
            ],
          },
        },
      },
    };
    assert.deepEqual(schema.validate(deployment), { checked: true, problems: [] });
  });

  it('refuses a wrong type, an unknown field, a missing required field, an unserved version', () => {
    const result = schema.validate({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's' },
      spec: { ports: [{ port: 'eighty' }], tpye: 'ClusterIP' },
    });
    assert.ok(result.checked);
    assert.deepEqual(
      result.problems.map((p) => [p.path, p.message]),
      [
        ['spec.tpye', "unknown field 'tpye'"],
        ['spec.ports[0].port', 'must be integer'],
      ],
    );
    const pod = schema.validate({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: {} });
    assert.ok(pod.checked);
    assert.deepEqual(
      pod.problems.map((p) => p.path),
      ['spec.containers'],
    );
    const old = schema.validate({ apiVersion: 'extensions/v1beta1', kind: 'Ingress', metadata: { name: 'i' } });
    assert.ok(old.checked);
    assert.match(old.problems[0]?.message ?? '', /does not serve extensions\/v1beta1/);
  });

  it('leaves custom resources to the cluster', () => {
    const result = schema.validate({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: 'm' },
    });
    assert.equal(result.checked, false);
  });
});

describe('promqlSyntaxError', () => {
  it("parses with Prometheus's grammar and points at the first error", () => {
    assert.equal(promqlSyntaxError('sum by (instance) (rate(otelcol_process_cpu_seconds_total[1m]))'), undefined);
    assert.equal(promqlSyntaxError('histogram_quantile(0.99, sum by (le) (rate(x_bucket{a="b"}[5m])))'), undefined);
    assert.equal(promqlSyntaxError('sum(rate(x[1m])')?.offset, 15);
    assert.match(promqlSyntaxError('rate(x[${w}])')?.marked ?? '', /rate\(x\[ <here> \$\{w\}\]\)/);
  });
});
