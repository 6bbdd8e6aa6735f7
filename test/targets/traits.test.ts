import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TARGETS } from '../../src/suite/schema.ts';
import { targetTraits } from '../../src/targets/traits.ts';

describe('target traits', () => {
  it('aws: provisioned with OpenTofu, billed, its API allow-list filled, destroyed with its state', () => {
    const aws = targetTraits('aws');
    assert.equal(aws.usesTofu, true);
    assert.equal(aws.callsAws, true);
    assert.deepEqual(aws.billing, { billed: true });
    assert.equal(aws.fillsApiAllowList, true);
    assert.equal(aws.clusterOutlivesRun, false);
    assert.equal(aws.reachedByContext, false);
    assert.equal(aws.simulated, false);
    assert.equal(aws.noImageIdReason, undefined);
    assert.equal(aws.lbPollMs, 5000);
    assert.equal(aws.prometheusStepSeconds, undefined);
    assert.equal(aws.estimates.provision, 900);
  });

  it('sandbox: provisioned with OpenTofu against moto, free, simulated, scraped every second', () => {
    const sandbox = targetTraits('sandbox');
    assert.equal(sandbox.usesTofu, true);
    assert.equal(sandbox.callsAws, true);
    assert.deepEqual(sandbox.billing, { billed: false, note: 'the local cloud costs nothing' });
    assert.equal(sandbox.fillsApiAllowList, false);
    assert.equal(sandbox.clusterOutlivesRun, true);
    assert.equal(sandbox.reachedByContext, false);
    assert.equal(sandbox.simulated, true);
    assert.match(sandbox.noImageIdReason ?? '', /kwok nodes run no container runtime/);
    assert.equal(sandbox.lbPollMs, 1000);
    assert.equal(sandbox.prometheusStepSeconds, 1);
  });

  it('kube: nothing provisioned, no AWS, reached by its kubeconfig context, and outlives the run', () => {
    const kube = targetTraits('kube');
    assert.equal(kube.usesTofu, false);
    assert.equal(kube.callsAws, false);
    assert.equal(kube.billing.billed, false);
    assert.match(kube.billing.billed ? '' : kube.billing.note, /billed to its owner/);
    assert.equal(kube.fillsApiAllowList, false);
    assert.equal(kube.clusterOutlivesRun, true);
    assert.equal(kube.reachedByContext, true);
    assert.equal(kube.simulated, false);
    assert.equal(kube.description, 'an existing cluster');
    assert.equal(kube.lbPollMs, 1000);
    assert.equal(kube.estimates.provision, 0);
  });

  it('every target has traits under its own name, and only a billed one fills the API allow-list', () => {
    for (const name of TARGETS) {
      const traits = targetTraits(name);
      assert.equal(traits.name, name);
      assert.ok(traits.description.length > 0, name);
      if (traits.fillsApiAllowList) assert.equal(traits.billing.billed, true, name);
      // Only a target with an AWS API has anything for ELBv2 to be asked about.
      if (traits.billing.billed) assert.equal(traits.callsAws, true, name);
    }
  });

  it('a name read from a journal that names no target has no traits', () => {
    for (const name of ['gcp', 'unknown', '', 'constructor', 'toString', '__proto__', 'AWS'])
      assert.equal(targetTraits(name), undefined, name);
  });
});
