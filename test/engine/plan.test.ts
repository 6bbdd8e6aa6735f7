import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/errors.ts';
import { planRun } from '../../src/engine/plan.ts';
import { tempDir } from '../helpers/tmp.ts';

describe('planRun', () => {
  it("plans Thyme on AWS with the seed's phases and a cost estimate", () => {
    const plan = planRun({ suite: 'thyme', target: 'aws', env: {} });
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

  it('counts a NLB per LoadBalancer service and scales the node cost with --nodes', () => {
    const plan = planRun({ suite: 'koorde', target: 'aws', nodes: 5, env: {} });
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

  it('takes durations from flags, then RAMPUP_MINUTES / COOLDOWN_MINUTES, then the suite', () => {
    const env = { RAMPUP_MINUTES: '0', COOLDOWN_MINUTES: '2' };
    const fromEnv = planRun({ suite: 'thyme', target: 'sandbox', env });
    assert.deepEqual(
      fromEnv.phases.map((p) => p.seconds),
      [0, 1800, 120],
    );
    const fromFlags = planRun({
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

  it('writes the rendered manifests with --out, one file per object', () => {
    const out = join(tempDir(), 'rendered');
    const plan = planRun({ suite: 'thyme', target: 'sandbox', outDir: out, env: {} });
    assert.equal(plan.manifests.writtenTo, out);
    assert.equal(readdirSync(out).length, plan.manifests.total);
  });

  it('refuses bad input before creating anything', () => {
    const out = join(tempDir(), 'never');
    const bad = (options: Partial<Parameters<typeof planRun>[0]>, code: string) =>
      assert.throws(
        () => planRun({ suite: 'thyme', target: 'aws', outDir: out, env: {}, ...options }),
        (err: unknown) => err instanceof UsageError && err.code === code,
      );
    bad({ durations: { ramp: '5x' } }, 'E_DURATION');
    bad({ durations: { active: '0' } }, 'E_DURATION');
    bad({ env: { RAMPUP_MINUTES: 'five' } }, 'E_DURATION');
    bad({ nodes: 0 }, 'E_NODES');
    bad({ nodes: -2 }, 'E_NODES');
    bad({ params: { logGenerators: '0' } }, 'E_PARAM_RANGE');
    bad({ suite: 'nope' }, 'E_SUITE_UNKNOWN');
    bad({ target: 'gcp' as never }, 'E_TARGET_UNKNOWN');
    assert.throws(() => readdirSync(out));
  });
});
