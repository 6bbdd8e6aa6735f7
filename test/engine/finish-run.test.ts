import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { RunContext } from '../../src/engine/run/context.ts';
import { finishRun, type FinishableResult } from '../../src/engine/run/finish-run.ts';
import { BenchError, GateError, InfrastructureError, InterruptedError, TeardownError } from '../../src/errors.ts';
import type { TeardownResult } from '../../src/phases/teardown.ts';
import { EventBus } from '../../src/run/events.ts';
import { Journal, readJournal, type JournalRecord } from '../../src/run/journal.ts';
import { tempDir } from '../helpers/tmp.ts';

const RUN = 'thyme-20261203-010000-abcd';
const CLEANUP = `bench cleanup ${RUN}`;

const gate = () => new GateError('E_GATE_FAILED', 'gate throughput-floor failed: 900 logs/s < 1000');
const infrastructure = () => new InfrastructureError('E_VERIFY_DEADLINE', 'Deployment thyme/x did not roll out');
const leftovers = () =>
  new TeardownError('E_TEARDOWN_LEFTOVERS', `teardown left 1 resource(s) of run ${RUN}:\n  ec2-vpc vpc-9`, {
    fix: `run \`${CLEANUP}\` again; if they stay, delete them in the AWS console`,
    data: { leftovers: ['ec2-vpc vpc-9'] },
  });
/** A teardown that failed on the way (AWS down, say): its fix does not name the cleanup command. */
const teardownBroke = () =>
  new InfrastructureError('E_AWS', 'elbv2:DescribeLoadBalancers failed: ServiceUnavailable', {
    fix: 'check that AWS answers',
  });

const torn: TeardownResult = {
  deletedKubeObjects: [],
  loadBalancersWaitedMs: 0,
  networkInterfacesWaitedMs: 0,
  deletedCloudResources: [],
  destroyedStateResources: [],
  ecrImagesDeleted: 0,
  destroyAttempts: 1,
  leftovers: [],
};

interface Case {
  /** What failed before teardown (a phase, collect or the report's gates). */
  failure?: Error;
  /** How teardown ends: its error, or `interrupt` (a Ctrl-C while it runs, then it finishes). */
  teardown?: Error | 'interrupt';
  /** A Ctrl-C before teardown (the run's signal is aborted). */
  aborted?: boolean;
  keep?: boolean;
  rewriteReport?: () => Promise<unknown>;
}

/**
 * finishRun on a context with only what it reads (the journal, events, signal, --keep and the
 * cleanup command), and teardown a fake: no cluster, no cloud.
 */
async function finish(c: Case) {
  const controller = new AbortController();
  if (c.aborted) controller.abort();
  const journal = Journal.open(join(tempDir(), 'journal'));
  const events = new EventBus();
  const warnings: string[] = [];
  events.subscribe((e) => e.level === 'warn' && warnings.push(`${e.code}: ${e.message}`));
  let tornDown = 0;
  const leaseCalls: string[] = [];
  // The rest of RunContext (suite, target, tofu plan) is what tearDownRun reads, faked here.
  const ctx = {
    runId: RUN,
    journal,
    events,
    signal: controller.signal,
    record: { keep: c.keep ?? false },
    cleanupCommand: CLEANUP,
  } as unknown as RunContext;
  const result: FinishableResult = {
    status: 'succeeded',
    teardown: undefined,
    cleanupCommand: undefined,
    error: undefined,
  };
  if (c.failure) result.status = c.failure instanceof InterruptedError ? 'interrupted' : 'failed';
  const lease = {
    keep: async () => void leaseCalls.push('keep'),
    release: async () => void leaseCalls.push('release'),
  };
  const outcome = await finishRun(ctx, { lease } as never, result, c.failure, {
    rewriteReport: c.rewriteReport,
    tearDown: async () => {
      tornDown++;
      if (c.teardown === 'interrupt') controller.abort();
      else if (c.teardown) throw c.teardown;
      return torn;
    },
  }).then(
    () => undefined,
    (err: unknown) => err as BenchError,
  );
  const records = readJournal(journal.path).records;
  const end = records.at(-1) as Extract<JournalRecord, { type: 'run-end' }>;
  assert.equal(end.type, 'run-end');
  const errors = records.flatMap((r) => (r.type === 'error' && r.phase === 'run' ? [r.code] : []));
  return { outcome, result, end, errors, tornDown, warnings, leaseCalls, records };
}

describe('finishRun: which error the run exits with', () => {
  it('nothing failed: exit 0, succeeded, teardown done once', async () => {
    const { outcome, result, end, tornDown } = await finish({});
    assert.equal(outcome, undefined);
    assert.equal(result.status, 'succeeded');
    assert.equal(result.teardown, torn);
    assert.deepEqual([end.status, end.exitCode], ['succeeded', 0]);
    assert.equal(tornDown, 1);
  });

  for (const [name, failure, exitCode] of [
    ['a failed gate', gate, 4],
    ['an infrastructure failure', infrastructure, 3],
    ['a bug', () => new Error('boom'), 1],
  ] as const) {
    it(`${name} before a clean teardown: exit ${exitCode}, with the run's result in its data`, async () => {
      const err = failure();
      const { outcome, result, end, errors, tornDown } = await finish({ failure: err });
      assert.equal(outcome?.exitCode, exitCode);
      assert.equal(outcome?.code, err instanceof BenchError ? err.code : 'E_INTERNAL');
      assert.equal(outcome?.data?.result, result);
      assert.deepEqual([end.status, end.exitCode], ['failed', exitCode]);
      assert.deepEqual(errors, [err instanceof BenchError ? err.code : 'E_INTERNAL']);
      assert.equal(tornDown, 1, 'teardown runs whatever failed before');
      assert.equal(result.cleanupCommand, undefined);
    });
  }

  for (const [name, failure] of [
    ['a failed gate (4)', gate],
    ['an infrastructure failure (3)', infrastructure],
  ] as const) {
    it(`teardown leftovers (5) win over ${name}, whose message they name`, async () => {
      const before = failure();
      const { outcome, result, end, errors } = await finish({ failure: before, teardown: leftovers() });
      assert.equal(outcome?.code, 'E_TEARDOWN_LEFTOVERS');
      assert.equal(outcome?.exitCode, 5);
      assert.equal(
        outcome?.message,
        `teardown left 1 resource(s) of run ${RUN}:\n  ec2-vpc vpc-9 (the run had failed before: ${before.message})`,
      );
      // The teardown's own fix names the cleanup command already: kept as it is.
      assert.equal(outcome?.fix, `run \`${CLEANUP}\` again; if they stay, delete them in the AWS console`);
      assert.deepEqual(outcome?.data?.leftovers, ['ec2-vpc vpc-9']);
      assert.equal(result.cleanupCommand, CLEANUP);
      assert.deepEqual([end.status, end.exitCode], ['failed', 5]);
      // The failure before is journaled all the same.
      assert.deepEqual(errors, [before.code]);
    });
  }

  it('teardown leftovers alone: exit 5, not said to follow a failure', async () => {
    const { outcome, end } = await finish({ teardown: leftovers() });
    assert.equal(outcome?.exitCode, 5);
    assert.doesNotMatch(outcome?.message ?? '', /had failed before/);
    assert.deepEqual([end.status, end.exitCode], ['failed', 5]);
  });

  it('a teardown that broke (3) wins over a failed gate (4), and its fix gains the cleanup command', async () => {
    const { outcome, end } = await finish({ failure: gate(), teardown: teardownBroke() });
    assert.equal(outcome?.code, 'E_AWS');
    assert.equal(outcome?.exitCode, 3);
    assert.match(outcome?.message ?? '', /\(the run had failed before: gate throughput-floor failed/);
    assert.equal(outcome?.fix, `check that AWS answers; then run \`${CLEANUP}\``);
    assert.deepEqual([end.status, end.exitCode], ['failed', 3]);
  });

  it('interrupted (130) with a clean teardown: status interrupted', async () => {
    const { outcome, end, tornDown } = await finish({ failure: new InterruptedError(), aborted: true });
    assert.equal(outcome?.exitCode, 130);
    assert.equal(outcome?.message, 'interrupted');
    assert.deepEqual([end.status, end.exitCode], ['interrupted', 130]);
    assert.equal(tornDown, 1, 'a Ctrl-C still tears down');
  });

  it('an interrupt (130) wins over a failed gate (4) of the partial data, which it names', async () => {
    const { outcome, result, end, errors } = await finish({ failure: gate(), aborted: true });
    assert.equal(outcome?.code, 'E_INTERRUPTED');
    assert.equal(outcome?.exitCode, 130);
    assert.equal(
      outcome?.message,
      `run ${RUN} interrupted; what it measured is kept (it had also failed: gate throughput-floor failed: 900 logs/s < 1000)`,
    );
    assert.deepEqual(result.error, { code: 'E_INTERRUPTED', message: outcome?.message });
    assert.deepEqual([end.status, end.exitCode], ['interrupted', 130]);
    assert.deepEqual(errors, ['E_GATE_FAILED', 'E_INTERRUPTED']);
  });

  it('an interrupt during teardown counts too: 130 after a run that had succeeded', async () => {
    const { outcome, end } = await finish({ teardown: 'interrupt' });
    assert.equal(outcome?.exitCode, 130);
    assert.equal(outcome?.message, `run ${RUN} interrupted; what it measured is kept`);
    assert.deepEqual([end.status, end.exitCode], ['interrupted', 130]);
  });

  it('teardown leftovers (5) win over an interrupt (130): the run is failed, its message names the interrupt', async () => {
    const { outcome, end } = await finish({ failure: new InterruptedError(), aborted: true, teardown: leftovers() });
    assert.equal(outcome?.exitCode, 5);
    assert.match(outcome?.message ?? '', /\(the run had failed before: interrupted\)$/);
    assert.deepEqual([end.status, end.exitCode], ['failed', 5]);
  });

  it('with --keep nothing is torn down: the cleanup command is said, the lease kept, the failure is the exit', async () => {
    const { outcome, result, end, tornDown, warnings, leaseCalls, records } = await finish({
      keep: true,
      failure: gate(),
    });
    assert.equal(tornDown, 0);
    assert.equal(outcome?.exitCode, 4);
    assert.equal(result.cleanupCommand, CLEANUP);
    assert.deepEqual(leaseCalls, ['keep']);
    assert.ok(warnings.some((w) => w.startsWith('teardown.kept:') && w.includes(CLEANUP)));
    assert.ok(records.some((r) => r.type === 'note' && r.message === 'kept (--keep)'));
    assert.deepEqual([end.status, end.exitCode], ['failed', 4]);
  });

  it("the final report's rewrite changes no exit: its gate failure is the run's already, another error only warns", async () => {
    const gated = await finish({ failure: gate(), rewriteReport: () => Promise.reject(gate()) });
    assert.equal(gated.outcome?.exitCode, 4);
    assert.deepEqual(gated.warnings, []);
    const broken = await finish({ rewriteReport: () => Promise.reject(new Error('disk full')) });
    assert.equal(broken.outcome, undefined);
    assert.deepEqual([broken.end.status, broken.end.exitCode], ['succeeded', 0]);
    assert.deepEqual(broken.warnings, [
      'report.rewrite: the final report could not be written: internal error: disk full',
    ]);
  });
});
