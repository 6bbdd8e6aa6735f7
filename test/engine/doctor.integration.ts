import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createAdapters } from '../../src/adapters/index.ts';
import { checkNode, runDoctor } from '../../src/engine/doctor.ts';
import { startMoto, type Moto } from '../harness/moto.ts';
import { sharedTestSandbox } from '../harness/sandbox.ts';
import { freePort } from '../harness/net.ts';
import { sandboxBin } from '../harness/paths.ts';
import { withProcessEnv } from '../helpers/env.ts';
import { tempDir } from '../helpers/tmp.ts';

describe('runDoctor', () => {
  let moto: Moto;
  before(async () => {
    moto = await startMoto();
  });
  after(async () => {
    await moto.stop();
  });

  it('passes on a machine with tofu and working AWS credentials (moto answers STS)', async () => {
    const env = { ...process.env, ...moto.env, BENCH_TOFU_BIN: sandboxBin('tofu') };
    const result = await runDoctor({ target: 'aws', suite: 'thyme', env }, createAdapters(env));
    const checks = Object.fromEntries(result.checks.map((c) => [c.name, c]));
    assert.equal(result.ok, true, JSON.stringify(result.checks));
    assert.match(checks.tofu?.detail ?? '', /^OpenTofu 1\.\d+\.\d+ \(/);
    assert.equal(checks['aws region']?.detail, 'eu-central-1');
    assert.match(checks['aws credentials']?.detail ?? '', /account 123456789012/);
    assert.ok(!JSON.stringify(result).includes(moto.env.AWS_SECRET_ACCESS_KEY as string));
  });

  it('fails each missing piece with its fix, and prints no secret', async () => {
    const closed = await freePort();
    const env = {
      ...process.env,
      ...moto.env,
      AWS_ENDPOINT_URL: `http://127.0.0.1:${closed}`,
      BENCH_TOFU_BIN: join(tempDir(), 'no-tofu-here'),
      AWS_REGION: '',
      AWS_DEFAULT_REGION: '',
    };
    const result = await runDoctor({ target: 'aws', region: 'us-west-2', env }, createAdapters(env));
    const checks = Object.fromEntries(result.checks.map((c) => [c.name, c]));
    assert.equal(result.ok, false);
    assert.equal(checks.tofu?.status, 'fail');
    assert.match(checks.tofu?.fix ?? '', /install OpenTofu/);
    assert.equal(checks['aws credentials']?.status, 'fail');
    assert.match(checks['aws credentials']?.fix ?? '', /AWS_PROFILE/);
    assert.ok(!JSON.stringify(result).includes(moto.env.AWS_SECRET_ACCESS_KEY as string));
  });

  it('names a terraform found in place of tofu as the second choice, with its version', async () => {
    const env = { ...process.env, ...moto.env };
    const real = createAdapters(env);
    const terraform = { name: 'terraform' as const, path: '/usr/local/bin/terraform', version: '1.11.4' };
    const result = await runDoctor(
      { target: 'aws', suite: 'thyme', env },
      { ...real, tools: { findTofu: async () => terraform, probeTofu: async () => terraform } },
    );
    const tofu = result.checks.find((c) => c.name === 'tofu');
    assert.equal(tofu?.status, 'pass');
    assert.match(tofu?.detail ?? '', /^Terraform 1\.11\.4 \(\/usr\/local\/bin\/terraform\); no OpenTofu found/);
    assert.match(tofu?.fix ?? '', /install OpenTofu/);
  });

  it('asks for a region when none is known', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...moto.env, BENCH_TOFU_BIN: sandboxBin('tofu') };
    delete env.AWS_REGION;
    delete env.AWS_DEFAULT_REGION;
    const result = await runDoctor({ target: 'aws', env }, createAdapters(env));
    const region = result.checks.find((c) => c.name === 'aws region');
    assert.equal(region?.status, 'fail');
    assert.match(region?.fix ?? '', /--region.*AWS_REGION/);
    // The credentials are checked all the same (at STS's global endpoint).
    const credentials = result.checks.find((c) => c.name === 'aws credentials');
    assert.equal(credentials?.status, 'pass', JSON.stringify(result.checks));
    assert.match(credentials?.detail ?? '', /account 123456789012/);
  });

  it('reports an unknown kube context with the contexts there are, and an unreachable one', async () => {
    const dir = tempDir();
    const kubeconfig = join(dir, 'config');
    const port = await freePort();
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: `https://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'u', user: { token: 'secret-token-do-not-print' } }],
        contexts: [{ name: 'kind-bench', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'kind-bench',
      }),
    );
    const env = { ...process.env, KUBECONFIG: kubeconfig };
    await withProcessEnv({ KUBECONFIG: kubeconfig }, async () => {
      const unknown = await runDoctor({ target: 'kube', context: 'nope', env }, createAdapters(env));
      const u = unknown.checks.find((c) => c.name === 'kube context');
      assert.equal(u?.status, 'fail');
      assert.match(u?.fix ?? '', /kind-bench/);
      const down = await runDoctor({ target: 'kube', context: 'kind-bench', env }, createAdapters(env));
      const d = down.checks.find((c) => c.name === 'kube context');
      assert.equal(d?.status, 'fail');
      assert.match(d?.detail ?? '', /not reachable/);
      assert.equal(down.checks.find((c) => c.name === 'tofu')?.status, 'skip');
      assert.ok(!JSON.stringify([unknown, down]).includes('secret-token-do-not-print'));
    });
  });

  it('checks the local cloud for the sandbox target, reaching moto through its environment file', async () => {
    const sb = await sharedTestSandbox();
    try {
      const env = {
        ...process.env,
        BENCH_SANDBOX_DIR: sb.dir,
        BENCH_TOFU_BIN: sandboxBin('tofu'),
        AWS_ENDPOINT_URL: '',
        AWS_ACCESS_KEY_ID: '',
      };
      const result = await runDoctor({ target: 'sandbox', suite: 'koorde', env });
      const checks = Object.fromEntries(result.checks.map((c) => [c.name, c]));
      assert.equal(result.ok, true, JSON.stringify(result.checks));
      assert.equal(checks['local cloud running']?.status, 'pass');
      assert.match(
        checks['aws credentials']?.detail ?? '',
        new RegExp(`account 123456789012, .* via ${sb.env.AWS_ENDPOINT_URL}`),
      );
      // The same cluster as an existing one (--target kube): the real API server answers.
      const kube = await withProcessEnv({ KUBECONFIG: sb.env.KUBECONFIG }, () =>
        runDoctor({ target: 'kube', context: 'bench-sandbox', env }),
      );
      const context = kube.checks.find((c) => c.name === 'kube context');
      assert.equal(context?.status, 'pass', JSON.stringify(kube.checks));
      assert.match(context?.detail ?? '', /bench-sandbox: https:\/\/127\.0\.0\.1:\d+ \(Kubernetes v1\.34\.4\)/);
      assert.ok(!JSON.stringify(kube).includes('PRIVATE KEY'));
    } finally {
      await sb.stop();
    }
    const down = await runDoctor({
      target: 'sandbox',
      env: { ...process.env, BENCH_SANDBOX_DIR: join(tempDir(), 'none') },
    });
    assert.equal(down.checks.find((c) => c.name === 'local cloud running')?.fix, 'run `bench sandbox up`');
  });

  it('requires Node.js 22.13 or newer', () => {
    assert.equal(checkNode('20.20.2').status, 'fail');
    assert.equal(checkNode('22.12.0').status, 'fail');
    assert.equal(checkNode('22.13.0').status, 'pass');
    assert.equal(checkNode('24.1.0').status, 'pass');
  });
});
