import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runTofu } from '../../src/phases/provision.ts';
import { EventBus, type BenchEvent } from '../../src/run/events.ts';
import { sandboxBin } from '../harness/paths.ts';
import { ROOT } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

describe("the run's tofu events", { timeout: 60_000 }, () => {
  it("label a destroy's progress and warnings teardown, an apply's provision", async () => {
    const bus = new EventBus();
    const events: BenchEvent[] = [];
    bus.subscribe((e) => events.push(e));
    const plan = {
      moduleDir: join(ROOT, 'test', 'fixtures', 'tofu', 'deprecated'),
      workDir: tempDir('bench-tofu-events-'),
      binary: sandboxBin('tofu'),
      variables: { old_setting: 'x' },
    };
    const tofu = runTofu(plan, process.env, bus);
    await tofu.init();
    await tofu.apply(plan.variables);
    const applied = events.length;
    await tofu.destroy(plan.variables);

    const phases = (list: BenchEvent[], code: string) => [
      ...new Set(list.filter((e) => e.code === code).map((e) => e.phase)),
    ];
    assert.deepEqual(phases(events.slice(0, applied), 'tofu.progress'), ['provision']);
    assert.deepEqual(phases(events.slice(0, applied), 'tofu.diagnostic'), ['provision']);
    assert.deepEqual(phases(events.slice(applied), 'tofu.progress'), ['teardown']);
    assert.deepEqual(phases(events.slice(applied), 'tofu.diagnostic'), ['teardown']);
    const warning = events.slice(applied).find((e) => e.code === 'tofu.diagnostic');
    assert.equal(warning?.level, 'warn');
    assert.match(warning?.message ?? '', /^Deprecated variable used from the root module/);
  });
});
