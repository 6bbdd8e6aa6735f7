import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import type { AwsResources, CloudResource } from '../../src/adapters/aws-resources.ts';
import type { Tofu } from '../../src/adapters/tofu.ts';
import { InfrastructureError, InterruptedError, type BenchError } from '../../src/errors.ts';
import { recordedKubeObjects, teardown, type TeardownResult } from '../../src/phases/teardown.ts';
import { EventBus } from '../../src/run/events.ts';
import { readJournal, type JournalRecord } from '../../src/run/journal.ts';
import { deployedJournal, fakeAws, fakeCluster, fakeTofu, RUN } from './teardown-fakes.ts';
import { driveUntilSettled } from '../helpers/fake-clock.ts';

const T0 = Date.parse('2026-12-03T10:00:00.000Z');

/** What tofu reports when AWS refuses a deletion (src/adapters/tofu.ts classifies it so). */
const dependencyViolation = () =>
  new InfrastructureError('E_TOFU_DEPENDENCY_VIOLATION', 'deleting subnet: DependencyViolation: has dependencies');

/** A state whose `tofu destroy` fails as scripted, one answer per attempt, and records when it was called. */
function scriptedTofu(answers: (Error | undefined)[]): Tofu & { calls: number[] } {
  const calls: number[] = [];
  let state = ['aws_vpc.this', 'aws_subnet.a'];
  return {
    ...fakeTofu(),
    calls,
    destroy: async () => {
      calls.push(Date.now() - T0);
      const answer = answers[calls.length - 1];
      if (answer) throw answer;
      state = [];
    },
    stateResources: async () => state,
  };
}

/** Runs the fake clock 1000 ms a step until the promise settles; the fake time that took. */
const drive = (promise: Promise<unknown>) => driveUntilSettled(promise, 1000);

async function tearDownWith(
  tofu: Tofu,
  options: { aws?: AwsResources; destroyAttempts?: number; signal?: AbortSignal } = {},
) {
  const journal = deployedJournal();
  const events = new EventBus();
  const seen: { code: string; level: string; message: string }[] = [];
  events.subscribe((e) => seen.push({ code: e.code, level: e.level, message: e.message }));
  const torn = teardown({
    runId: RUN,
    target: 'sandbox',
    clusterName: 'thyme-abcd',
    journal,
    events,
    kube: fakeCluster(),
    aws: options.aws ?? fakeAws(),
    tofu: { tofu, variables: {}, workDir: '/runs/x/tofu' },
    ecrRepositories: [],
    recorded: recordedKubeObjects(readJournal(journal.path).records),
    deadlineMs: 1000,
    pollMs: 10,
    ...(options.destroyAttempts ? { destroyAttempts: options.destroyAttempts } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  await drive(torn);
  const outcome = await torn.then(
    (r): TeardownResult | BenchError => r,
    (err: unknown) => err as BenchError,
  );
  const records = readJournal(journal.path).records;
  journal.close();
  return { outcome, records, seen };
}

const destroyActions = (records: JournalRecord[]) =>
  records.flatMap((r) => (r.type === 'action' && r.action === 'tofu-destroy' ? [r.data?.attempt] : []));

describe('teardown retries tofu destroy on DependencyViolation only (fake clock)', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: T0 }));
  afterEach(() => mock.timers.reset());

  it('retried after 15 s, then 30 s (the delay grows with the attempt), and done at the third', async () => {
    const tofu = scriptedTofu([dependencyViolation(), dependencyViolation(), undefined]);
    const { outcome, records, seen } = await tearDownWith(tofu);
    assert.ok(!(outcome instanceof Error), String(outcome));
    assert.equal(outcome.destroyAttempts, 3);
    assert.deepEqual(tofu.calls, [0, 15_000, 45_000]);
    assert.deepEqual(
      seen.filter((e) => e.code === 'teardown.destroy.retry').map((e) => [e.level, e.message]),
      [
        ['warn', 'DependencyViolation; retrying tofu destroy in 15s'],
        ['warn', 'DependencyViolation; retrying tofu destroy in 30s'],
      ],
    );
    assert.deepEqual(
      seen.filter((e) => e.code === 'teardown.destroy').map((e) => e.message),
      ['tofu destroy', 'tofu destroy (attempt 2)', 'tofu destroy (attempt 3)'],
    );
    // Each attempt journaled before it acts, each refusal after it.
    const trail = records.flatMap((r) =>
      r.type === 'action' && r.action === 'tofu-destroy'
        ? [`destroy ${String(r.data?.attempt)}`]
        : r.type === 'error' && r.phase === 'teardown'
          ? [r.code]
          : [],
    );
    assert.deepEqual(trail, [
      'destroy 1',
      'E_TOFU_DEPENDENCY_VIOLATION',
      'destroy 2',
      'E_TOFU_DEPENDENCY_VIOLATION',
      'destroy 3',
    ]);
    assert.ok(records.some((r) => r.type === 'resource-deleted' && r.resource.kind === 'tofu-state'));
  });

  it('an AWS SDK error named DependencyViolation is retried the same way', async () => {
    const sdk = Object.assign(new Error('Network vpc-1 has some mapped public address(es)'), {
      name: 'DependencyViolation',
    });
    const tofu = scriptedTofu([sdk, undefined]);
    const { outcome } = await tearDownWith(tofu);
    assert.equal((outcome as TeardownResult).destroyAttempts, 2);
    assert.deepEqual(tofu.calls, [0, 15_000]);
  });

  it('gives up after its attempts (default 4: at 0, 15, 45 and 90 s) with the last refusal, exit 3', async () => {
    const tofu = scriptedTofu([
      dependencyViolation(),
      dependencyViolation(),
      dependencyViolation(),
      dependencyViolation(),
    ]);
    const { outcome, records } = await tearDownWith(tofu);
    assert.deepEqual(tofu.calls, [0, 15_000, 45_000, 90_000]);
    assert.equal((outcome as BenchError).code, 'E_TOFU_DEPENDENCY_VIOLATION');
    assert.equal((outcome as BenchError).exitCode, 3);
    assert.deepEqual(destroyActions(records), [1, 2, 3, 4]);
    // The state was not destroyed: the journal keeps it alive for `bench cleanup`.
    assert.ok(!records.some((r) => r.type === 'resource-deleted' && r.resource.kind === 'tofu-state'));
    assert.ok(records.some((r) => r.type === 'phase-end' && r.phase === 'teardown' && !r.ok));
  });

  it('destroyAttempts bounds the attempts', async () => {
    const tofu = scriptedTofu([dependencyViolation(), dependencyViolation()]);
    const { outcome } = await tearDownWith(tofu, { destroyAttempts: 2 });
    assert.deepEqual(tofu.calls, [0, 15_000]);
    assert.equal((outcome as BenchError).code, 'E_TOFU_DEPENDENCY_VIOLATION');
  });

  it('any other error is not retried: a BenchError as it is, anything else as E_TEARDOWN naming the cleanup', async () => {
    const denied = new InfrastructureError('E_TOFU', 'AccessDenied: not authorized to perform ec2:DeleteVpc');
    const first = scriptedTofu([denied]);
    const refused = await tearDownWith(first);
    assert.deepEqual(first.calls, [0]);
    assert.equal(refused.outcome, denied);
    assert.ok(!refused.seen.some((e) => e.code === 'teardown.destroy.retry'));

    const second = scriptedTofu([new Error('socket hang up')]);
    const crashed = await tearDownWith(second);
    assert.deepEqual(second.calls, [0]);
    const err = crashed.outcome as BenchError;
    assert.equal(err.code, 'E_TEARDOWN');
    assert.equal(err.exitCode, 3);
    assert.equal(err.message, 'teardown failed: socket hang up');
    assert.equal(err.fix, `run \`bench cleanup ${RUN}\` to finish it`);
  });

  it('an abort while waiting to retry ends the wait at once, with nothing left on the signal', async () => {
    const controller = new AbortController();
    // Aborted 5 s into the first 15 s wait.
    setTimeout(() => controller.abort(), 5_000);
    const tofu = scriptedTofu([dependencyViolation(), undefined]);
    const { outcome } = await tearDownWith(tofu, { signal: controller.signal });
    assert.ok(outcome instanceof InterruptedError, String(outcome));
    assert.equal(outcome.message, 'interrupted while waiting to retry tofu destroy');
    assert.equal(outcome.exitCode, 130);
    assert.deepEqual(tofu.calls, [0]);
    assert.ok(Date.now() - T0 <= 6_000, `${Date.now() - T0}`);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });
});

describe('what teardown leaves is E_TEARDOWN_LEFTOVERS (exit 5), listed', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: T0 }));
  afterEach(() => mock.timers.reset());
  const vpc: CloudResource = { kind: 'ec2-vpc', id: 'vpc-9', name: 'c-vpc', region: 'eu-west-1', tags: {} };
  const eip: CloudResource = { kind: 'ec2-eip', id: 'eipalloc-1', name: 'c-eip', region: 'eu-west-1', tags: {} };

  it('what neither destroy nor direct deletion removed, and what the state still holds, each on its own line', async () => {
    const deleteAsked: string[] = [];
    const aws: AwsResources = {
      ...fakeAws([vpc, eip]),
      deleteOwned: async (resources) => {
        deleteAsked.push(...resources.map((r) => r.id));
        return { deleted: [], failed: resources.map((resource) => ({ resource, message: 'DependencyViolation' })) };
      },
    };
    // A state that destroy leaves one address in.
    const tofu: Tofu = { ...fakeTofu(), destroy: async () => undefined, stateResources: async () => ['aws_vpc.this'] };
    const { outcome, records } = await tearDownWith(tofu, { aws });
    const err = outcome as BenchError;
    assert.equal(err.code, 'E_TEARDOWN_LEFTOVERS');
    assert.equal(err.kind, 'teardown');
    assert.equal(err.exitCode, 5);
    // Direct deletion was tried on each before they were reported.
    assert.deepEqual(deleteAsked, ['vpc-9', 'eipalloc-1']);
    assert.deepEqual(err.data?.leftovers, [
      'ec2-vpc vpc-9 (eu-west-1)',
      'ec2-eip eipalloc-1 (eu-west-1)',
      'tofu state: aws_vpc.this',
    ]);
    assert.equal(
      err.message,
      `teardown left 3 resource(s) of run ${RUN}:\n  ec2-vpc vpc-9 (eu-west-1)\n  ec2-eip eipalloc-1 (eu-west-1)\n  tofu state: aws_vpc.this`,
    );
    assert.match(err.fix ?? '', new RegExp(`bench cleanup ${RUN}.*bench\\.dev/run-id=${RUN}`));
    const journaled = records.find((r) => r.type === 'error' && r.phase === 'teardown');
    assert.equal(journaled?.type === 'error' ? journaled.code : undefined, 'E_TEARDOWN_LEFTOVERS');
  });

  it('what direct deletion did remove is not listed', async () => {
    let left = [vpc, eip];
    const aws: AwsResources = {
      ...fakeAws(),
      findOwned: async () => left,
      deleteOwned: async (resources) => {
        left = left.filter((r) => r.id !== 'eipalloc-1');
        return {
          deleted: resources.filter((r) => r.id === 'eipalloc-1'),
          failed: resources.filter((r) => r.id !== 'eipalloc-1').map((resource) => ({ resource, message: 'in use' })),
        };
      },
    };
    const { outcome } = await tearDownWith(fakeTofu(), { aws });
    assert.deepEqual((outcome as BenchError).data?.leftovers, ['ec2-vpc vpc-9 (eu-west-1)']);
  });
});
