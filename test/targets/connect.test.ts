import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Tofu } from '../../src/adapters/tofu.ts';
import { InfrastructureError } from '../../src/errors.ts';
import { targetFor } from '../../src/targets/index.ts';
import type { TargetSetup } from '../../src/targets/target.ts';
import { failure } from '../helpers/failure.ts';
import { tempDir } from '../helpers/tmp.ts';

/** A kubeconfig file with two contexts on two (unanswering) servers. */
function kubeconfig(): string {
  const path = join(tempDir('bench-targets-kube-'), 'config');
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'one', cluster: { server: 'https://127.0.0.1:1' } },
        { name: 'two', cluster: { server: 'https://127.0.0.1:2' } },
      ],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: [
        { name: 'first', context: { cluster: 'one', user: 'u' } },
        { name: 'second', context: { cluster: 'two', user: 'u' } },
      ],
      'current-context': 'first',
    }),
  );
  return path;
}

/** A tofu whose state answers these outputs (only output() is asked). */
function tofuWith(outputs: Record<string, unknown>): Tofu {
  const output = async () =>
    Object.fromEntries(Object.entries(outputs).map(([k, value]) => [k, { value, sensitive: false }]));
  return { output } as unknown as Tofu;
}

const record = { region: 'eu-central-1', context: 'second', clusterName: 'recorded-name' };
const outputs = { clusterName: 'c', region: 'eu-central-1', endpoint: 'https://eks.example:443', caData: 'Q0E=' };

describe("connecting to a target's cluster", () => {
  it('aws: from the module outputs (an EKS token, no kubeconfig); without outputs it cannot', async () => {
    const setup: TargetSetup = { target: 'aws', region: 'eu-central-1', env: {} };
    const connection = await targetFor('aws').connect(setup, outputs);
    assert.equal(connection.server, 'https://eks.example:443');
    assert.equal(connection.context, 'c');
    await assert.rejects(targetFor('aws').connect(setup, undefined), /needs the module outputs/);
  });

  it("kube: the context of the setup, from the environment's KUBECONFIG", async () => {
    const env = { KUBECONFIG: kubeconfig() };
    const setup: TargetSetup = { target: 'kube', region: undefined, env, kube: { context: 'second' } };
    const connection = await targetFor('kube').connect(setup, undefined);
    assert.equal(connection.server, 'https://127.0.0.1:2');
    assert.equal(connection.context, 'second');
    const missing = await failure(
      targetFor('kube').connect({ ...setup, kube: { context: 'third' } }, undefined),
      InfrastructureError,
    );
    assert.equal(missing.code, 'E_KUBE_CONTEXT');
    assert.equal(missing.fix, 'use one of: first, second');
  });

  it("sandbox: the local cloud's own kubeconfig, and its Prometheus reached directly", async () => {
    const setup: TargetSetup = {
      target: 'sandbox',
      region: 'eu-central-1',
      env: { KUBECONFIG: '/not/this/one' },
      sandbox: {
        dir: '/sb',
        apiServer: 'https://127.0.0.1:2',
        caPem: '',
        kubeconfig: kubeconfig(),
        python: '/py',
        prometheusUrl: 'http://127.0.0.1:9090',
        agentUrl: '',
      },
    };
    assert.equal((await targetFor('sandbox').connect(setup, undefined)).server, 'https://127.0.0.1:1');
    assert.equal(targetFor('sandbox').prometheusUrl(setup), 'http://127.0.0.1:9090');
    assert.equal(targetFor('aws').prometheusUrl({ target: 'aws', region: undefined, env: {} }), undefined);
    assert.equal(targetFor('kube').prometheusUrl({ target: 'kube', region: undefined, env: {} }), undefined);
  });
});

describe("reconnecting to a recorded run's cluster", () => {
  const setup: TargetSetup = { target: 'aws', region: 'eu-central-1', env: {} };

  it('aws: from the outputs of its OpenTofu state, the recorded name where the state has none', async () => {
    const withName = await targetFor('aws').reconnect(
      setup,
      record,
      tofuWith({ cluster_endpoint: 'https://eks.example:443', cluster_name: 'from-state' }),
    );
    assert.equal(withName?.server, 'https://eks.example:443');
    assert.equal(withName?.context, 'from-state');
    const recorded = await targetFor('aws').reconnect(setup, record, tofuWith({ cluster_endpoint: 'https://e' }));
    assert.equal(recorded?.context, 'recorded-name');
  });

  it('aws: nothing to reach without a state, or when the state has no cluster endpoint', async () => {
    assert.equal(await targetFor('aws').reconnect(setup, record, undefined), undefined);
    assert.equal(await targetFor('aws').reconnect(setup, record, tofuWith({})), undefined);
  });

  it('kube: the recorded context; the state is never asked', async () => {
    const env = { KUBECONFIG: kubeconfig() };
    const asked = tofuWith({});
    asked.output = async () => assert.fail('a kube run has no state to ask');
    const connection = await targetFor('kube').reconnect({ target: 'kube', region: undefined, env }, record, asked);
    assert.equal(connection?.context, 'second');
  });
});
