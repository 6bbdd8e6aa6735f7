import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventBus, type BenchEvent } from '../../src/run/events.ts';

describe('events', () => {
  it('reach every sink with the JSON-lines shape (no data key without data), and narrow by code', () => {
    const bus = new EventBus();
    const seen: BenchEvent[] = [];
    const runs: { runId: string; runDir: string }[] = [];
    bus.subscribe((e) => seen.push(e));
    const stop = bus.subscribe((e) => {
      // Narrowed by the code: run.start's data is its run, typed.
      if (e.code === 'run.start' && e.data) runs.push(e.data);
    });
    bus.emit('info', 'run', 'run.start', 'run r1', { runId: 'r1', runDir: '/runs/r1' });
    bus.emit('info', 'deploy', 'phase.start', 'applying');
    stop();
    bus.emit('info', 'run', 'run.start', 'run r2', { runId: 'r2', runDir: '/runs/r2' });

    assert.deepEqual(runs, [{ runId: 'r1', runDir: '/runs/r1' }]);
    assert.equal(seen.length, 3);
    assert.deepEqual(Object.keys(seen[0] ?? {}), ['time', 'level', 'phase', 'code', 'message', 'data']);
    assert.deepEqual(Object.keys(seen[1] ?? {}), ['time', 'level', 'phase', 'code', 'message']);
    assert.ok(!Number.isNaN(Date.parse(seen[1]?.time ?? '')));
  });
});
