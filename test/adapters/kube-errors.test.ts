import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { ApiException, KubeConfig } from '@kubernetes/client-node';
import { createKubeCluster, type ClusterConnection } from '../../src/adapters/kube-cluster.ts';
import { kubeCall, toKubeError } from '../../src/adapters/kube-errors.ts';
import { createKubeWorkloads } from '../../src/adapters/kube-workloads.ts';
import { BenchError } from '../../src/errors.ts';

const server = 'https://127.0.0.1:16443';

/** A port on loopback that nothing listens on (bound, then closed). */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

function connectionTo(url: string): ClusterConnection {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: url, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'not-a-real-token-0123456789' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  return { server: url, context: 'c', kubeConfig: async () => kc };
}

describe('Kubernetes errors in our words', () => {
  it('an ApiException 422 names the operation, object, endpoint, status and the API server message, without the raw dump', () => {
    const body = {
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      message:
        'Deployment.apps "collector" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      reason: 'Invalid',
      code: 422,
    };
    const err = toKubeError(new ApiException(422, 'Unprocessable Entity', JSON.stringify(body), { 'audit-id': 'x' }), {
      operation: 'apply',
      object: 'Deployment thyme/collector',
      server,
    });
    assert.equal(err.code, 'E_KUBE_API');
    assert.equal(err.exitCode, 3);
    assert.equal(err.message, `apply Deployment thyme/collector failed at ${server}: HTTP 422: ${body.message}`);
    assert.doesNotMatch(err.message, /HTTP-Code|Headers|audit-id|Body:/);
    assert.equal(err.data?.status, 422);
  });

  it('a fetch failed whose cause is ECONNREFUSED says ECONNREFUSED and the URL', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:16443'), { code: 'ECONNREFUSED' });
    const err = toKubeError(new TypeError('fetch failed', { cause }), {
      operation: 'list',
      object: 'Namespaces',
      server,
    });
    assert.equal(err.message, `list Namespaces failed: ECONNREFUSED ${server}`);
    assert.doesNotMatch(err.message, /fetch failed/);
    assert.equal(err.exitCode, 3);
  });

  it('a dead API server port, through the real client: E_KUBE_API, ECONNREFUSED <url>, exit 3 (cluster and workloads adapters)', async () => {
    const url = `https://127.0.0.1:${await deadPort()}`;
    const connection = connectionTo(url);
    const fromCluster = await createKubeCluster(connection)
      .listRunNamespaces('thyme-20261203-000000-abcd')
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(fromCluster instanceof BenchError, String(fromCluster));
    assert.equal(fromCluster.code, 'E_KUBE_API');
    assert.equal(fromCluster.exitCode, 3);
    assert.match(fromCluster.message, new RegExp(`ECONNREFUSED ${url.replace(/\./g, '\\.')}$`));
    const fromWorkloads = await createKubeWorkloads(connection)
      .apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'default' } })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(fromWorkloads instanceof BenchError);
    assert.match(fromWorkloads.message, /^apply ConfigMap default\/x failed: ECONNREFUSED https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('429 and 5xx are retried with backoff (Retry-After honoured) before failing; 4xx is not; 404 passes through', async () => {
    let calls = 0;
    const started = Date.now();
    const value = await kubeCall(
      { operation: 'list', server },
      async () => {
        calls++;
        if (calls === 1)
          throw new ApiException(429, 'Too Many Requests', '{"message":"slow down"}', { 'retry-after': '1' });
        if (calls === 2) throw new ApiException(503, 'Service Unavailable', '{"message":"etcd leader changed"}', {});
        return 'ok';
      },
      { baseDelayMs: 10 },
    );
    assert.equal(value, 'ok');
    assert.equal(calls, 3);
    assert.ok(Date.now() - started >= 1000, 'waited the Retry-After second');

    let attempts = 0;
    const exhausted = await kubeCall(
      { operation: 'list', server },
      async () => {
        attempts++;
        throw new ApiException(500, 'Internal Server Error', '{"message":"boom"}', {});
      },
      { baseDelayMs: 1, attempts: 3 },
    ).catch((e: unknown) => e);
    assert.equal(attempts, 3);
    assert.match((exhausted as Error).message, /HTTP 500: boom/);

    let forbidden = 0;
    const denied = await kubeCall({ operation: 'create', object: 'Lease kube-system/bench-run', server }, async () => {
      forbidden++;
      throw new ApiException(403, 'Forbidden', '{"message":"leases.coordination.k8s.io is forbidden"}', {});
    }).catch((e: unknown) => e);
    assert.equal(forbidden, 1);
    assert.match((denied as BenchError).fix ?? '', /RBAC/);

    const missing = await kubeCall({ operation: 'read', server }, async () => {
      throw new ApiException(404, 'Not Found', '{}', {});
    }).catch((e: unknown) => e);
    assert.ok(missing instanceof ApiException, 'a 404 stays the client error callers test for');
  });
});
