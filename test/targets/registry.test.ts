import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/errors.ts';
import { TARGETS } from '../../src/suite/schema.ts';
import { targetFor } from '../../src/targets/index.ts';
import { targetTraits } from '../../src/targets/traits.ts';

describe('the target registry', () => {
  it("finds each target by its name, with that name's traits", () => {
    for (const name of TARGETS) {
      const target = targetFor(name);
      assert.equal(target.name, name);
      const traits = targetTraits(name);
      for (const key of Object.keys(traits) as (keyof typeof traits)[])
        assert.deepEqual(target[key], traits[key], `${name}: ${key}`);
    }
  });

  it("refuses a name that is no target as the user's to fix (E_TARGET_UNKNOWN), naming the targets", () => {
    for (const name of ['gcp', 'constructor', '__proto__', 'Kube']) {
      assert.throws(
        () => targetFor(name),
        (err: unknown) => {
          assert.ok(err instanceof UsageError);
          assert.equal(err.code, 'E_TARGET_UNKNOWN');
          assert.equal(err.message, `unknown target '${name}'`);
          assert.equal(err.fix, 'use one of: aws, sandbox, kube');
          return true;
        },
      );
    }
  });
});
