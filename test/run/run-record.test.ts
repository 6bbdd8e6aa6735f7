import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isBenchError, type BenchError } from '../../src/errors.ts';
import { readComparePlan, COMPARE_PLAN_MESSAGE } from '../../src/run/compare-plan.ts';
import type { JournalRecord } from '../../src/run/journal.ts';
import { readRunStart, requireRunOptions } from '../../src/run/run-record.ts';

const JOURNAL = '/runs/thyme-20261203-010000-abcd/journal';

/** A run-start record as prepareRun writes it (a sandbox run with its tofu and Prometheus). */
function runStart(options: Record<string, unknown> | undefined, extra: Record<string, unknown> = {}): JournalRecord {
  return {
    t: '2026-12-03T01:00:00.000Z',
    type: 'run-start',
    runId: 'thyme-20261203-010000-abcd',
    suite: 'thyme',
    target: 'sandbox',
    pid: 4242,
    host: 'builder',
    ...(options === undefined ? {} : { options }),
    ...extra,
  };
}

const WRITTEN = {
  suiteRef: 'thyme',
  suiteDir: '/repo/manifests/thyme',
  region: 'eu-central-1',
  clusterName: 'thyme-abcd',
  tofu: {
    moduleDir: '/repo/infra/sandbox',
    workDir: '/runs/x/tofu',
    binary: '/usr/bin/tofu',
    kind: 'tofu',
    version: '1.9.1',
  },
  ecrRepositories: ['thyme'],
  lbPollMs: 1000,
  teardownDeadlineMs: 1_200_000,
  keep: false,
  prometheus: { kind: 'url', url: 'http://127.0.0.1:9090' },
  queries: { throughput: 'sum(rate(accepted[5s]))' },
  durations: { ramp: 10, active: 30, cooldown: 5 },
  params: { nodes: '8' },
  images: {},
};

/** The E_JOURNAL_RECORD error `fn` throws, checked for its exit code and fix. */
function refusal(fn: () => unknown): BenchError {
  try {
    fn();
  } catch (err) {
    assert.ok(isBenchError(err), String(err));
    assert.equal(err.code, 'E_JOURNAL_RECORD');
    assert.equal(err.exitCode, 2);
    assert.match(err.fix ?? '', /another version of bench or edited by hand/);
    return err;
  }
  assert.fail('expected E_JOURNAL_RECORD');
}

describe('the run-start record', () => {
  it('reads back what this version writes, typed', () => {
    const start = readRunStart([runStart(WRITTEN)], JOURNAL);
    assert.equal(start?.target, 'sandbox');
    assert.equal(start?.options?.tofu?.workDir, '/runs/x/tofu');
    assert.deepEqual(start?.options?.prometheus, { kind: 'url', url: 'http://127.0.0.1:9090' });
  });

  it('reads a journal without the fields a run leaves out when it has none (no tofu, region, context, Prometheus)', () => {
    const { tofu: _t, region: _r, prometheus: _p, queries: _q, ecrRepositories: _e, ...rest } = WRITTEN;
    const start = readRunStart([runStart(rest)], JOURNAL);
    assert.equal(start?.options?.tofu, undefined);
    assert.equal(start?.options?.region, undefined);
  });

  it('is undefined when the journal has none', () => {
    assert.equal(readRunStart([{ t: 'x', type: 'phase-start', phase: 'provision' }], JOURNAL), undefined);
  });

  it('refuses a wrong field by its path and what was expected there', () => {
    const err = refusal(() =>
      readRunStart([runStart({ ...WRITTEN, tofu: { ...WRITTEN.tofu, workDir: 42 } })], JOURNAL),
    );
    assert.match(err.message, /run-start record in \/runs\/thyme-20261203-010000-abcd\/journal is malformed/);
    assert.match(err.message, /options\.tofu\.workDir: expected string, received number/);
    assert.deepEqual(err.data, {
      journal: JOURNAL,
      field: 'options.tofu.workDir',
      problem: 'expected string, received number',
    });
  });

  it('refuses a missing field, an unknown target and a pid that is not a number', () => {
    const { clusterName: _c, ...noCluster } = WRITTEN;
    assert.match(
      refusal(() => readRunStart([runStart(noCluster)], JOURNAL)).message,
      /options\.clusterName: expected string, received undefined/,
    );
    assert.match(
      refusal(() => readRunStart([runStart(WRITTEN, { target: 'gcp' })], JOURNAL)).message,
      /target: expected one of "aws"\|"sandbox"\|"kube"/,
    );
    assert.match(
      refusal(() => readRunStart([runStart(WRITTEN, { pid: '4242' })], JOURNAL)).message,
      /pid: expected number, received string/,
    );
  });

  it('requireRunOptions refuses a record without its options, naming them', () => {
    const start = readRunStart([runStart(undefined)], JOURNAL);
    assert.ok(start);
    assert.match(
      refusal(() => requireRunOptions(start, JOURNAL)).message,
      /malformed: options: expected object, received undefined/,
    );
    assert.equal(
      requireRunOptions(readRunStart([runStart(WRITTEN)], JOURNAL) ?? start, JOURNAL).options.clusterName,
      'thyme-abcd',
    );
  });
});

describe('the comparison plan note', () => {
  const plan = {
    suiteDir: '/repo/manifests/thyme',
    suite: 'thyme',
    mode: 'side-by-side',
    arms: [
      { name: 'a', variant: 'a', namespace: 'thyme-a' },
      { name: 'b', variant: 'b', namespace: 'thyme-b' },
    ],
    sweepParam: 'nodes',
    sizes: [8, 16],
    repeat: 3,
    seed: 7,
    confidence: 0.95,
    threshold: 0.05,
    params: { rateWindow: '5s', replicas: 3, cache: true },
    schedule: [{ order: 1, size: 8, repetition: 1, arms: ['a', 'b'] }],
  };
  const note = (data: unknown): JournalRecord =>
    ({ t: 'x', type: 'note', phase: 'compare', message: COMPARE_PLAN_MESSAGE, data }) as JournalRecord;

  it('reads back the plan compare journals, and nothing for a run that is not a comparison', () => {
    assert.deepEqual(readComparePlan([note(plan)], JOURNAL), plan);
    assert.equal(
      readComparePlan([{ t: 'x', type: 'note', phase: 'report', message: 'report written' }], JOURNAL),
      undefined,
    );
  });

  it('refuses a malformed plan by the field under the note’s data', () => {
    const err = refusal(() => readComparePlan([note({ ...plan, mode: 'parallel' })], JOURNAL));
    assert.match(
      err.message,
      /comparison plan note in .* is malformed: data\.mode: expected one of "side-by-side"\|"sequential"/,
    );
    const trial = refusal(() =>
      readComparePlan([note({ ...plan, schedule: [{ order: 1, size: 8, repetition: 1 }] })], JOURNAL),
    );
    assert.match(trial.message, /data\.schedule\.0\.arms: expected array, received undefined/);
  });
});
