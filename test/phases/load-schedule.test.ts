import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import type { KubeWorkloads } from '../../src/adapters/kube-workloads.ts';
import { InterruptedError } from '../../src/errors.ts';
import { runLoadPhases, type PhaseTiming } from '../../src/phases/load.ts';
import { EventBus } from '../../src/run/events.ts';
import { Journal, readJournal, type JournalRecord } from '../../src/run/journal.ts';
import { loadSuite } from '../../src/suite/load.ts';
import type { PhaseDurations } from '../../src/suite/phases.ts';
import { resolveParams, type KubeObject } from '../../src/suite/render.ts';
import { tempDir } from '../helpers/tmp.ts';
import { driveUntilSettled } from '../helpers/fake-clock.ts';

/** The fake clock starts here; every planned time below is an offset from it. */
const T0 = Date.parse('2026-12-03T10:00:00.000Z');
/** How far a change may be from its planned time: what the whole runs allow (test/commands/run.test.ts). */
const TOLERANCE_MS = 1000;

/** A cluster that records when each change reached it, by the fake clock. */
function recordingKube(): KubeWorkloads & { calls: { at: number; call: string }[] } {
  const calls: { at: number; call: string }[] = [];
  const unused = () => Promise.reject(new Error('not used by the load phases'));
  return {
    calls,
    apply: async (o) => {
      calls.push({
        at: Date.now(),
        call: `apply ${o.kind} ${o.metadata.name} rate=${String((o.spec as { rate?: string } | undefined)?.rate)}`,
      });
      return { kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name } as never;
    },
    remove: async (o) => void calls.push({ at: Date.now(), call: `remove ${o.kind} ${o.metadata.name}` }),
    scale: async (ref, replicas) => void calls.push({ at: Date.now(), call: `scale ${ref.name} ${replicas}` }),
    waitForRollout: unused,
    waitForLoadBalancer: unused,
    listPods: unused,
    schedulableNodes: unused,
    schedulingEvents: unused,
    listPodImages: unused,
  };
}

/** Runs the fake clock 1000 ms a step until the promise settles; the fake time that took. */
const drive = (promise: Promise<unknown>) => driveUntilSettled(promise, 1000);

async function runPhases(
  suiteName: 'thyme' | 'koorde',
  durations: PhaseDurations,
  options: { signal?: AbortSignal; abortAtMs?: number; controller?: AbortController } = {},
) {
  const { suite } = loadSuite(suiteName);
  const journal = Journal.open(join(tempDir(), 'journal'));
  const kube = recordingKube();
  const timings: PhaseTiming[] = [];
  // The Koorde workload: one Job whose pod template carries the rate.
  const renderWorkload = (overrides: Record<string, string>): KubeObject[] =>
    suiteName === 'koorde'
      ? [
          {
            apiVersion: 'batch/v1',
            kind: 'Job',
            metadata: { name: 'workload', namespace: 'koorde' },
            spec: { rate: overrides.rate },
          },
        ]
      : [];
  const phases = runLoadPhases({
    suite,
    durations,
    params: resolveParams(suite, 'sandbox'),
    kube,
    journal,
    events: new EventBus(),
    renderWorkload,
    signal: options.signal,
    timings,
  });
  const elapsedMs = await drive(phases);
  const outcome = await phases.then(
    () => undefined,
    (err: unknown) => err,
  );
  const records = readJournal(journal.path).records;
  journal.close();
  return { outcome, elapsedMs, records, timings, calls: kube.calls };
}

type ActionRecord = Extract<JournalRecord, { type: 'action' }>;
const actions = (records: JournalRecord[]) => records.filter((r): r is ActionRecord => r.type === 'action');
const at = (iso: string) => Date.parse(iso) - T0;

/** Each phase's journaled start and end, as offsets from the fake clock's start. */
function phaseEdges(records: JournalRecord[]): Record<string, [number, number]> {
  const edges: Record<string, [number, number]> = {};
  for (const r of records) {
    if (r.type === 'phase-start') edges[r.phase] = [at(r.t), NaN];
    if (r.type === 'phase-end') (edges[r.phase] as [number, number])[1] = at(r.t);
  }
  return edges;
}

/** Every action made within the tolerance of its planned time, journaled and in the cluster alike. */
function assertOnPlan(records: JournalRecord[], calls: { at: number }[]): void {
  const made = actions(records);
  for (const a of made) {
    const late = Date.parse(a.t) - Date.parse(String(a.data?.plannedAt));
    assert.ok(Math.abs(late) <= TOLERANCE_MS, `${a.action} ${JSON.stringify(a.data)} at ${a.t}`);
  }
  for (const c of calls)
    assert.ok(
      made.some((a) => Math.abs(at(a.t) - c.at + T0) <= TOLERANCE_MS),
      `${c.at}`,
    );
}

describe('the load schedule (fake clock)', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: T0 }));
  afterEach(() => mock.timers.reset());

  it("Thyme's ramp scales 4, 8, 12, 16, 20 a fifth of the ramp apart, cool-down scales to 0 at its start", async () => {
    const controller = new AbortController();
    const { outcome, elapsedMs, records, calls, timings } = await runPhases(
      'thyme',
      { ramp: 300, active: 1800, cooldown: 600 },
      { signal: controller.signal },
    );
    assert.equal(outcome, undefined);
    assert.equal(elapsedMs, 2700_000);
    assert.deepEqual(
      actions(records).map((a) => [a.phase, a.action, a.data?.replicas, at(String(a.data?.plannedAt))]),
      [
        ['ramp', 'scale', 4, 0],
        ['ramp', 'scale', 8, 60_000],
        ['ramp', 'scale', 12, 120_000],
        ['ramp', 'scale', 16, 180_000],
        ['ramp', 'scale', 20, 240_000],
        ['cooldown', 'scale', 0, 2100_000],
      ],
    );
    assertOnPlan(records, calls);
    assert.deepEqual(
      calls.map((c) => [c.at - T0, c.call]),
      [
        [0, 'scale log-generator 4'],
        [60_000, 'scale log-generator 8'],
        [120_000, 'scale log-generator 12'],
        [180_000, 'scale log-generator 16'],
        [240_000, 'scale log-generator 20'],
        [2100_000, 'scale log-generator 0'],
      ],
    );
    // Each phase as long as planned (the whole run allows a second either way).
    assert.deepEqual(phaseEdges(records), {
      ramp: [0, 300_000],
      active: [300_000, 2100_000],
      cooldown: [2100_000, 2700_000],
    });
    const planned = records.filter((r) => r.type === 'note' && r.message === 'planned');
    assert.deepEqual(
      planned.map((r) => (r.type === 'note' ? at(String(r.data?.plannedEnd)) : NaN)),
      [300_000, 2100_000, 2700_000],
    );
    assert.deepEqual(
      timings.map((t) => [t.phase, t.plannedSeconds, at(t.startedAt), at(t.endedAt)]),
      [
        ['ramp', 300, 0, 300_000],
        ['active', 1800, 300_000, 2100_000],
        ['cooldown', 600, 2100_000, 2700_000],
      ],
    );
    // 45 minutes of one-second sleeps on the run's signal leave no abort listener behind.
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });

  it("Koorde's ramp raises the rate 40, 70, 100 a third of the ramp apart, each step a new Job; cool-down stops it", async () => {
    const { outcome, records, calls } = await runPhases('koorde', { ramp: 30, active: 120, cooldown: 30 });
    assert.equal(outcome, undefined);
    assert.deepEqual(
      actions(records).map((a) => [a.phase, a.action, a.data?.value ?? null, at(String(a.data?.plannedAt))]),
      [
        ['ramp', 'rate', 40, 0],
        ['ramp', 'rate', 70, 10_000],
        ['ramp', 'rate', 100, 20_000],
        ['cooldown', 'stop-workload', null, 150_000],
      ],
    );
    assertOnPlan(records, calls);
    assert.deepEqual(
      calls.map((c) => [c.at - T0, c.call]),
      [
        [0, 'apply Job workload-1 rate=40'],
        [10_000, 'remove Job workload-1'],
        [10_000, 'apply Job workload-2 rate=70'],
        [20_000, 'remove Job workload-2'],
        [20_000, 'apply Job workload-3 rate=100'],
        [150_000, 'remove Job workload-3'],
      ],
    );
    assert.deepEqual(phaseEdges(records), {
      ramp: [0, 30_000],
      active: [30_000, 150_000],
      cooldown: [150_000, 180_000],
    });
  });

  it('a ramp of 0 s goes to full load at once, and the phases still follow each other on plan', async () => {
    const { records, calls } = await runPhases('thyme', { ramp: 0, active: 60, cooldown: 0 });
    assert.deepEqual(
      calls.map((c) => [c.at - T0, c.call]),
      [
        [0, 'scale log-generator 20'],
        [60_000, 'scale log-generator 0'],
      ],
    );
    assert.deepEqual(phaseEdges(records), { ramp: [0, 0], active: [0, 60_000], cooldown: [60_000, 60_000] });
  });

  it('an abort in the active phase ends it within a second, leaving no listener and the timings so far', async () => {
    const controller = new AbortController();
    // Aborted 100 s into the active phase (by a fake timer, so it lands between two sleeps' ends).
    setTimeout(() => controller.abort(), 400_500);
    const { outcome, elapsedMs, records, timings } = await runPhases(
      'thyme',
      { ramp: 300, active: 1800, cooldown: 600 },
      { signal: controller.signal },
    );
    assert.ok(outcome instanceof InterruptedError, String(outcome));
    assert.ok(elapsedMs >= 400_500 && elapsedMs <= 401_500, `${elapsedMs}`);
    // (The fake clock moves a second per step: the abort is seen by the end of the step it falls in.)
    assert.deepEqual(
      timings.map((t) => t.phase),
      ['ramp', 'active'],
    );
    assert.equal(at(timings[0]?.endedAt ?? ''), 300_000);
    const endedActive = at(timings[1]?.endedAt ?? '');
    assert.ok(endedActive >= 400_500 && endedActive <= 401_500, `${endedActive}`);
    assert.ok(records.some((r) => r.type === 'phase-end' && r.phase === 'active' && !r.ok));
    assert.ok(!records.some((r) => r.type === 'phase-start' && r.phase === 'cooldown'));
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });
});
