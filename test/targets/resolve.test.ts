import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InfrastructureError, UsageError } from '../../src/errors.ts';
import { loadSuite } from '../../src/suite/load.ts';
import type { Suite } from '../../src/suite/schema.ts';
import { resolveTarget, targetFor } from '../../src/targets/index.ts';
import { failure } from '../helpers/failure.ts';
import { tempDir } from '../helpers/tmp.ts';

const thyme = loadSuite('thyme').suite;

/** Thyme declaring only the given targets. */
function declaring(targets: Suite['targets']): Suite {
  return { ...thyme, targets };
}

/** An environment whose cache, home and local-cloud directory are empty: no local cloud is up there. */
function emptyEnv(): NodeJS.ProcessEnv {
  const dir = tempDir('bench-targets-');
  return { HOME: dir, BENCH_CACHE: join(dir, 'cache'), BENCH_SANDBOX_DIR: join(dir, 'instance') };
}

describe('resolving a target for a run', () => {
  it('refuses a target the suite does not declare (E_TARGET_UNSUPPORTED), naming those it does', async () => {
    const suite = declaring({ aws: thyme.targets.aws, kube: {} });
    const err = await failure(resolveTarget(suite, 'sandbox', { env: emptyEnv() }), UsageError);
    assert.equal(err.code, 'E_TARGET_UNSUPPORTED');
    assert.equal(err.message, "suite thyme does not declare the target 'sandbox'");
    assert.equal(err.fix, 'use one of: aws, kube');
  });

  it("aws: the suite's region, and AWS calls and tofu sent there", async () => {
    const env = { AWS_REGION: 'us-west-2', KEEP: 'x' };
    const setup = await resolveTarget(thyme, 'aws', { env });
    assert.deepEqual(setup, {
      target: 'aws',
      region: 'eu-central-1',
      env: { AWS_REGION: 'eu-central-1', KEEP: 'x' },
    });
    assert.equal(env.AWS_REGION, 'us-west-2', "the caller's environment is left as it was");
  });

  it("kube: --context first, else the suite's, else the current one; no region", async () => {
    const env = { KUBECONFIG: '/k' };
    const withContext = declaring({ kube: { context: 'from-suite' } });
    assert.deepEqual(await resolveTarget(withContext, 'kube', { env, context: 'from-flag' }), {
      target: 'kube',
      region: undefined,
      env,
      kube: { context: 'from-flag' },
    });
    assert.deepEqual((await resolveTarget(withContext, 'kube', { env })).kube, { context: 'from-suite' });
    assert.deepEqual((await resolveTarget(thyme, 'kube', { env })).kube, { context: undefined });
  });

  it('sandbox: refuses while the local cloud is not up (E_SANDBOX_DOWN), with how to start it', async () => {
    const env = emptyEnv();
    const err = await failure(resolveTarget(thyme, 'sandbox', { env }), InfrastructureError);
    assert.equal(err.code, 'E_SANDBOX_DOWN');
    assert.match(err.message, new RegExp(`not up in ${env.BENCH_SANDBOX_DIR}`));
    assert.match(err.fix ?? '', /bench sandbox up/);
  });
});

describe('resolving the target of a recorded run', () => {
  const record = { region: 'us-west-2', context: 'ctx', clusterName: 'thyme-benchmark' };

  it('aws: the recorded region; without one, the environment as it is', async () => {
    assert.deepEqual(await targetFor('aws').resolveRecorded(record, { A: '1' }), {
      target: 'aws',
      region: 'us-west-2',
      env: { A: '1', AWS_REGION: 'us-west-2' },
    });
    const env = { A: '1' };
    assert.equal((await targetFor('aws').resolveRecorded({ ...record, region: undefined }, env)).env, env);
  });

  it('kube: the recorded context', async () => {
    assert.deepEqual(await targetFor('kube').resolveRecorded(record, {}), {
      target: 'kube',
      region: undefined,
      env: {},
      kube: { context: 'ctx' },
    });
  });

  it('sandbox: where the local cloud is now, so a local cloud that is down is an error', async () => {
    const err = await failure(targetFor('sandbox').resolveRecorded(record, emptyEnv()), InfrastructureError);
    assert.equal(err.code, 'E_SANDBOX_DOWN');
  });
});

describe("a target's environment outside a run", () => {
  it('the orphan sweep: AWS as the environment says on aws; on the local cloud, its moto, which must be up', async () => {
    const env = { AWS_REGION: 'eu-central-1' };
    assert.equal(await targetFor('aws').awsEnv(env), env);
    const err = await failure(targetFor('sandbox').awsEnv(emptyEnv()), InfrastructureError);
    assert.equal(err.code, 'E_SANDBOX_DOWN');
  });

  it("the pinned tofu: the local cloud's own OpenTofu, none elsewhere", () => {
    const env = { BENCH_CACHE: '/cache' };
    assert.equal(targetFor('sandbox').pinnedTofu(env), join('/cache', 'sandbox', 'bin', 'tofu'));
    assert.equal(targetFor('aws').pinnedTofu(env), undefined);
    assert.equal(targetFor('kube').pinnedTofu(env), undefined);
  });

  it("doctor: the local cloud's installation and whether it runs; nothing of its own elsewhere", async () => {
    const env = emptyEnv();
    const sandbox = await targetFor('sandbox').doctorChecks(env);
    assert.deepEqual(sandbox.env, env, 'no environment file while it is not up');
    assert.deepEqual(
      sandbox.checks.map((c) => [c.name, c.status]),
      [
        ['local cloud', 'fail'],
        ['local cloud running', 'fail'],
      ],
    );
    assert.match(sandbox.checks[0]?.detail ?? '', /not installed: kube, kwok, tofu, etcd, prometheus, moto/);
    assert.match(sandbox.checks[0]?.fix ?? '', /install\.sh kube kwok tofu etcd prometheus moto/);
    assert.equal(sandbox.checks[1]?.fix, 'run `bench sandbox up`');
    for (const name of ['aws', 'kube'] as const) {
      const own = await targetFor(name).doctorChecks(env);
      assert.equal(own.env, env, name);
      assert.deepEqual(own.checks, [], name);
    }
  });
});

describe('the module variables a target sets itself', () => {
  it("the local cloud's API server, its CA (base64) and moto's python; nothing on aws or kube", () => {
    const sandbox = { dir: '/sb', apiServer: 'https://127.0.0.1:16443', caPem: 'PEM', kubeconfig: '/k' };
    const setup = {
      target: 'sandbox' as const,
      region: 'eu-central-1',
      env: {},
      sandbox: { ...sandbox, python: '/py', prometheusUrl: '', agentUrl: '' },
    };
    assert.deepEqual(targetFor('sandbox').moduleVariables(setup), {
      api_server_endpoint: 'https://127.0.0.1:16443',
      api_server_ca_data: Buffer.from('PEM').toString('base64'),
      python: '/py',
    });
    assert.deepEqual(targetFor('aws').moduleVariables({ target: 'aws', region: 'eu-central-1', env: {} }), {});
    assert.deepEqual(targetFor('kube').moduleVariables({ target: 'kube', region: undefined, env: {} }), {});
  });
});
