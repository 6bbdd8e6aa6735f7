import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SuiteError, UsageError } from '../../src/errors.ts';
import { planRun } from '../../src/engine/plan.ts';
import { copySuite } from '../helpers/suite-fixture.ts';
import { tempDir } from '../helpers/tmp.ts';

describe('planRun', () => {
  it("plans Thyme on AWS with the seed's phases and a cost estimate", async () => {
    const plan = await planRun({ suite: 'thyme', target: 'aws', env: {} });
    assert.deepEqual(
      plan.phases.map((p) => [p.name, p.seconds]),
      [
        ['ramp', 300],
        ['active', 1800],
        ['cooldown', 600],
      ],
    );
    assert.equal(plan.region, 'eu-central-1');
    assert.equal(plan.tofu?.module, 'infra/aws');
    const items = Object.fromEntries(plan.cost.items.map((i) => [i.resource, i]));
    assert.equal(items['EKS control plane']?.perHour, 0.1);
    assert.equal(items['EC2 m6i.2xlarge']?.quantity, 3);
    assert.equal(items['EC2 m6i.2xlarge']?.perHour, 1.152);
    assert.equal(items['NAT gateway']?.perHour, 0.045);
    // 300 GB of gp3 at $0.08/GB-month
    assert.ok(Math.abs((items['EBS gp3 (GB)']?.perHour ?? 0) - (300 * 0.08) / 730) < 1e-4);
    assert.ok(plan.cost.perHour > 1.3 && plan.cost.perHour < 1.4);
    // The whole run includes provisioning and teardown, not only the 45 minutes of phases.
    assert.ok(plan.wallClockSeconds > 2700);
    assert.equal(plan.cost.total, Math.round(((plan.cost.perHour * plan.wallClockSeconds) / 3600) * 100) / 100);
    assert.match(plan.teardownOrder[0] ?? '', /LoadBalancer Services/);
    assert.match(plan.teardownOrder[1] ?? '', /ELBv2/);
    assert.match(plan.teardownOrder.at(-2) ?? '', /tofu destroy/);
    assert.match(plan.teardownOrder.at(-1) ?? '', /verify/);
  });

  it('counts a NLB per LoadBalancer service and scales the node cost with --nodes', async () => {
    const plan = await planRun({ suite: 'koorde', target: 'aws', nodes: 5, env: {} });
    assert.deepEqual(plan.manifests.loadBalancerServices.sort(), [
      'chord-dht/dht-cache-http',
      'koorde-dht/dht-cache-http',
    ]);
    const items = Object.fromEntries(plan.cost.items.map((i) => [i.resource, i]));
    assert.equal(items['Network load balancer']?.quantity, 2);
    assert.equal(items['EC2 m6i.2xlarge']?.quantity, 5);
    assert.deepEqual(
      plan.variants.map((v) => v.namespace),
      ['chord-dht', 'koorde-dht'],
    );
    assert.deepEqual(plan.sweep?.param, 'nodes');
  });

  it('takes durations from flags, then RAMPUP_MINUTES / COOLDOWN_MINUTES, then the suite', async () => {
    const env = { RAMPUP_MINUTES: '0', COOLDOWN_MINUTES: '2' };
    const fromEnv = await planRun({ suite: 'thyme', target: 'sandbox', env });
    assert.deepEqual(
      fromEnv.phases.map((p) => p.seconds),
      [0, 1800, 120],
    );
    const fromFlags = await planRun({
      suite: 'thyme',
      target: 'sandbox',
      env,
      durations: { ramp: '20s', active: '40s', cooldown: '20s' },
    });
    assert.deepEqual(
      fromFlags.phases.map((p) => p.seconds),
      [20, 40, 20],
    );
    assert.equal(fromFlags.cost.total, 0);
  });

  it('writes the rendered manifests with --out, one file per object', async () => {
    const out = join(tempDir(), 'rendered');
    const plan = await planRun({ suite: 'thyme', target: 'sandbox', outDir: out, env: {} });
    assert.equal(plan.manifests.writtenTo, out);
    assert.equal(readdirSync(out).length, plan.manifests.total);
  });

  it('refuses bad input before creating anything', async () => {
    const out = join(tempDir(), 'never');
    const bad = (options: Partial<Parameters<typeof planRun>[0]>, code: string) =>
      assert.rejects(
        () => planRun({ suite: 'thyme', target: 'aws', outDir: out, env: {}, ...options }),
        (err: unknown) => err instanceof UsageError && err.code === code,
      );
    await bad({ durations: { ramp: '5x' } }, 'E_DURATION');
    await bad({ durations: { active: '0' } }, 'E_DURATION');
    await bad({ env: { RAMPUP_MINUTES: 'five' } }, 'E_DURATION');
    await bad({ nodes: 0 }, 'E_NODES');
    await bad({ nodes: -2 }, 'E_NODES');
    await bad({ params: { logGenerators: '0' } }, 'E_PARAM_RANGE');
    await bad({ suite: 'nope' }, 'E_SUITE_UNKNOWN');
    await bad({ target: 'gcp' as never }, 'E_TARGET_UNKNOWN');
    assert.throws(() => readdirSync(out));
  });

  /** Every `image:` of the YAML files `bench plan --out` wrote. */
  const imagesIn = (dir: string) =>
    readdirSync(dir).flatMap((f) =>
      [...readFileSync(join(dir, f), 'utf8').matchAll(/^\s*-?\s*image: (.+)$/gm)].map((m) => (m[1] as string).trim()),
    );
  const noReferenceLeft = (dir: string) => {
    for (const f of readdirSync(dir)) assert.ok(!readFileSync(join(dir, f), 'utf8').includes('${'), `\${ left in ${f}`);
  };

  for (const [suite, images] of [
    [
      'thyme',
      [
        'ghcr.io/ollygarden/thyme:latest',
        'grafana/otel-lgtm:0.8.1',
        'mscanlon72/loadgen@sha256:9b5d8d2fc965bffdcca48ba92e928693cdcc37575a9af05df86cff0feb1a3d71',
      ],
    ],
    ['koorde', ['flaviosimonelli/cache-workload:latest', 'flaviosimonelli/koorde-node:latest']],
  ] as const) {
    it(`renders ${suite} with every image the suite names and no \${ left in any file`, async () => {
      const out = join(tempDir(), 'rendered');
      await planRun({ suite, target: 'aws', outDir: out, env: {} });
      noReferenceLeft(out);
      assert.deepEqual([...new Set(imagesIn(out))].sort(), [...images].sort());
    });
  }

  it('--image log-generator=... reaches the log generators, and only them', async () => {
    const out = join(tempDir(), 'rendered');
    await planRun({
      suite: 'thyme',
      target: 'aws',
      outDir: out,
      env: {},
      images: { 'log-generator': 'registry.example/loadgen:v2' },
    });
    noReferenceLeft(out);
    const generator = readdirSync(out).filter((f) => f.includes('deployment-') && f.includes('log-generator'));
    assert.equal(generator.length, 1);
    assert.match(readFileSync(join(out, generator[0] as string), 'utf8'), /image: registry\.example\/loadgen:v2/);
    assert.equal(imagesIn(out).filter((i) => i === 'registry.example/loadgen:v2').length, 1);
  });

  it('names a moving tag with IfNotPresent as a reproducibility warning', async () => {
    const plan = await planRun({ suite: 'thyme', target: 'aws', env: {} });
    assert.ok(
      plan.warnings.some((w) => /ghcr\.io\/ollygarden\/thyme:latest .*IfNotPresent/.test(w)),
      plan.warnings.join('\n'),
    );
    const pinned = await planRun({
      suite: 'thyme',
      target: 'aws',
      env: {},
      images: { thyme: 'ghcr.io/ollygarden/thyme:v0.1.0' },
    });
    assert.ok(!pinned.warnings.some((w) => /thyme/.test(w)), pinned.warnings.join('\n'));
  });

  describe('checks the suite before anything is paid for', () => {
    /** A copy of a built-in suite with one manifest or suite.yaml edited. */
    const edited = (suite: 'thyme' | 'koorde', file: string, edit: (text: string) => string) => {
      const dir = copySuite(suite);
      writeFileSync(join(dir, file), edit(readFileSync(join(dir, file), 'utf8')));
      return dir;
    };
    const refused = async (options: Partial<Parameters<typeof planRun>[0]>, code: string, message: RegExp) => {
      const out = join(tempDir(), 'never');
      await assert.rejects(
        () => planRun({ suite: 'thyme', target: 'aws', env: {}, outDir: out, ...options }),
        (err: unknown) => {
          assert.ok(err instanceof UsageError, String(err));
          assert.equal(err.code, code, err.message);
          assert.equal(err.exitCode, 2);
          assert.match(err.message, message);
          assert.ok(err.fix, 'names the fix');
          return true;
        },
      );
      assert.throws(() => readdirSync(out), 'nothing written');
    };

    it('a reference the renderer does not know, with its file and field path', async () => {
      const suite = edited('thyme', 'base/log-generator.yaml', (t) =>
        t.replace('${images.log-generator}', '${ images.log-generator }'),
      );
      await refused(
        { suite },
        'E_REFERENCE_LEFT',
        /base\/log-generator\.yaml at spec\.template\.spec\.containers\[0\]\.image: '\$\{ images\.log-generator \}'/,
      );
    });

    it('an image reference that is not valid, from the suite or from --image', async () => {
      const suite = edited('koorde', 'suite.yaml', (t) =>
        t.replace('flaviosimonelli/koorde-node:latest', 'Flaviosimonelli/koorde node:latest'),
      );
      await assert.rejects(
        () => planRun({ suite, target: 'aws', env: {} }),
        (err: unknown) =>
          err instanceof SuiteError &&
          err.code === 'E_IMAGE_INVALID' &&
          /StatefulSet dht-node spec\.template\.spec\.containers\[0\]\.image/.test(err.message),
      );
      await refused(
        { images: { 'log-generator': 'loadgen:v1:v2' } },
        'E_IMAGE_INVALID',
        /'loadgen:v1:v2' is not a valid image reference \(.*invalid reference format\)/,
      );
      await refused({ images: { 'log-generator': 'sha256:abc@x' } }, 'E_IMAGE_INVALID', /not a valid image reference/);
      await refused(
        { images: { 'log-generator': '' } },
        'E_IMAGE_EMPTY',
        /--image log-generator=: the image reference is empty/,
      );
    });

    it('PromQL that does not parse, after its parameters are filled in', async () => {
      const suite = edited('thyme', 'suite.yaml', (t) =>
        t.replace(/query: (.*)\[\$\{rateWindow\}\]\)/, 'query: $1[${rateWindow}]'),
      );
      await refused(
        { suite },
        'E_PROMQL',
        /metrics\[\d\] \(\w+\)\.query: the query does not parse as PromQL at character \d+/,
      );
      const unresolved = edited('thyme', 'suite.yaml', (t) => t.replace('${rateWindow}', '${rate Window}'));
      await refused({ suite: unresolved }, 'E_REFERENCE_LEFT', /\.query: '\$\{rate Window\}/);
    });

    it('objects that do not validate against the Kubernetes OpenAPI schema', async () => {
      const kind = edited('thyme', 'base/nop-collector.yaml', (t) => t.replace('kind: Deployment', 'kind: Deploymnet'));
      await refused(
        { suite: kind },
        'E_MANIFEST_SCHEMA',
        /apps\/v1 has no kind 'Deploymnet' \(did you mean Deployment\?\)/,
      );
      const replicas = edited('thyme', 'base/nop-collector.yaml', (t) =>
        t.replace('replicas: ${nopCollectorReplicas}', 'replicas: "three"'),
      );
      await refused(
        { suite: replicas },
        'E_MANIFEST_SCHEMA',
        /Kubernetes 1\.34[\s\S]*nop-collector\.yaml: Deployment thyme-benchmark\/nop-collector spec\.replicas: must be integer/,
      );
      const field = edited('koorde', 'base/dht-node.yaml', (t) =>
        t.replace('podManagementPolicy: Parallel', 'podManagmentPolicy: Parallel'),
      );
      await refused(
        { suite: field },
        'E_MANIFEST_SCHEMA',
        /StatefulSet chord-dht\/dht-node spec\.podManagmentPolicy: unknown field 'podManagmentPolicy'/,
      );
    });

    it('--set values that do not fit the parameter type, a CIDR among them', async () => {
      await refused(
        { params: { grafanaAllowedCidr: 'everyone' } },
        'E_PARAM_VALUE',
        /--set grafanaAllowedCidr=everyone: expected a CIDR block/,
      );
      await refused(
        { params: { grafanaAllowedCidr: '10.0.0.1/8' } },
        'E_PARAM_VALUE',
        /host bits are set: the block's address is 10\.0\.0\.0\/8/,
      );
      await refused({ params: { grafanaLoadBalancer: 'yes' } }, 'E_PARAM_VALUE', /expected true or false/);
      await refused({ params: { logsPerSecond: 'fast' } }, 'E_PARAM_VALUE', /expected a number/);
      const plan = await planRun({
        suite: 'thyme',
        target: 'aws',
        env: {},
        params: { grafanaLoadBalancer: 'true', grafanaAllowedCidr: '2001:db8::/64' },
      });
      assert.equal(plan.params.grafanaAllowedCidr, '2001:db8::/64');
    });

    it('--var values that do not fit the module variable type, and unknown or reserved ones', async () => {
      await refused(
        { variables: { node_disk_size_gb: 'big' } },
        'E_VAR_TYPE',
        /--var node_disk_size_gb=big: the module declares node_disk_size_gb as number; expected a number/,
      );
      await refused({ variables: { nat_gateway_ha: 'yes' } }, 'E_VAR_TYPE', /as bool; expected true or false/);
      await refused({ variables: { tags: 'team' } }, 'E_VAR_TYPE', /as map\(string\); expected a JSON object/);
      await refused({ variables: { node_cont: '3' } }, 'E_VAR_UNKNOWN', /has no variable 'node_cont'/);
      await refused({ variables: { run_id: 'x' } }, 'E_VAR_RESERVED', /bench sets this variable itself/);
      await refused({ target: 'kube', variables: { node_count: '3' } }, 'E_VAR_UNKNOWN', /takes no --var/);
      const plan = await planRun({
        suite: 'thyme',
        target: 'aws',
        env: {},
        variables: { tags: '{"team":"perf"}', nat_gateway_ha: 'true' },
      });
      assert.deepEqual(plan.tofu?.variables.tags, { team: 'perf' });
      assert.equal(plan.tofu?.variables.nat_gateway_ha, true);
    });

    it('a parameter declared as a cidr whose default is not one', async () => {
      const suite = edited('thyme', 'suite.yaml', (t) => t.replace('default: "127.0.0.1/32"', 'default: "localhost"'));
      await refused({ suite }, 'E_SUITE_INVALID', /grafanaAllowedCidr[\s\S]*expected a CIDR block/);
    });
  });
});
