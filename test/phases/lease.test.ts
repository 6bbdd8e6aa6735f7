import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, mock } from 'node:test';
import type { ClusterLease, KubeLeases, LeaseKey, LeaseSpec } from '../../src/adapters/kube-cluster.ts';
import { BenchError } from '../../src/errors.ts';
import {
  acquireClusterLease,
  CLUSTER_LEASE,
  KEPT_LEASE_DURATION_SECONDS,
  LEASE_ANNOTATIONS,
  releaseLeaseIfHeld,
  type AcquireLeaseInput,
} from '../../src/phases/lease.ts';
import { EventBus, type BenchEvent } from '../../src/run/events.ts';
import { Journal, readJournal } from '../../src/run/journal.ts';
import { tempDir } from '../helpers/tmp.ts';

/** An API server's Lease as it behaves: resourceVersion checked on replace and delete, 409 on a second create. */
function fakeLeases(): KubeLeases & { stored: ClusterLease | undefined; writes: number } {
  let rv = 0;
  const make = (key: LeaseKey, spec: LeaseSpec): ClusterLease => ({
    namespace: key.namespace,
    name: key.name,
    holder: spec.holder,
    durationSeconds: spec.durationSeconds,
    acquiredAt: spec.acquiredAt,
    renewedAt: spec.renewedAt,
    transitions: spec.transitions,
    annotations: { ...spec.annotations },
    resourceVersion: String(++rv),
  });
  // Each call yields to the event loop first, as a real request does, so races interleave.
  const tick = () => new Promise((r) => setImmediate(r));
  const fake = {
    server: 'https://127.0.0.1:6443',
    stored: undefined as ClusterLease | undefined,
    writes: 0,
    async readLease() {
      await tick();
      return fake.stored && { ...fake.stored, annotations: { ...fake.stored.annotations } };
    },
    async createLease(key: LeaseKey, spec: LeaseSpec) {
      await tick();
      if (fake.stored) return 'conflict' as const;
      fake.writes++;
      fake.stored = make(key, spec);
      return fake.stored;
    },
    async replaceLease(current: ClusterLease, spec: LeaseSpec) {
      await tick();
      if (!fake.stored) return 'gone' as const;
      if (fake.stored.resourceVersion !== current.resourceVersion) return 'conflict' as const;
      fake.writes++;
      fake.stored = make(current, spec);
      return fake.stored;
    },
    async deleteLease(current: ClusterLease) {
      await tick();
      if (!fake.stored || fake.stored.resourceVersion !== current.resourceVersion) return false;
      fake.stored = undefined;
      return true;
    },
  };
  return fake;
}

function setup(overrides: Partial<AcquireLeaseInput> = {}) {
  const dir = tempDir('bench-lease-');
  const journal = Journal.open(join(dir, 'journal'));
  const events = new EventBus();
  const seen: BenchEvent[] = [];
  events.subscribe((e) => seen.push(e));
  const leases = (overrides.leases as ReturnType<typeof fakeLeases> | undefined) ?? fakeLeases();
  const input: AcquireLeaseInput = {
    leases,
    runId: 'thyme-20261203-100000-aaaa',
    journal,
    events,
    runsRoot: dir,
    host: 'this-host',
    pid: 1000,
    isAlive: () => true,
    ...overrides,
  };
  return { dir, journal, events, seen, leases, input };
}

/** A lease held by another run, renewed `ageMs` ago. */
function heldBy(
  leases: ReturnType<typeof fakeLeases>,
  holder: string,
  ageMs: number,
  annotations: Record<string, string>,
): void {
  const at = new Date(Date.now() - ageMs);
  leases.stored = {
    ...CLUSTER_LEASE,
    holder,
    durationSeconds: 60,
    acquiredAt: at,
    renewedAt: at,
    transitions: 0,
    annotations,
    resourceVersion: '77',
  };
}

const refusal = async (p: Promise<unknown>): Promise<BenchError> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof BenchError, `expected a refusal, got ${String(err)}`);
  return err;
};

describe('the cluster lease', () => {
  it('takes a free cluster, annotates who holds it, journals it, and releases it (deleted)', async () => {
    const { input, leases, journal } = setup();
    const held = await acquireClusterLease(input);
    assert.equal(leases.stored?.holder, input.runId);
    assert.equal(leases.stored?.durationSeconds, 60);
    assert.equal(leases.stored?.annotations[LEASE_ANNOTATIONS.host], 'this-host');
    assert.equal(leases.stored?.annotations[LEASE_ANNOTATIONS.pid], '1000');
    await held.release();
    assert.equal(leases.stored, undefined);
    const notes = readJournal(journal.path).records.flatMap((r) => (r.type === 'note' ? [r.message] : []));
    assert.deepEqual(notes, ['lease acquired', 'lease released']);
  });

  it('refuses (exit 2) a cluster held by a live run, naming it, and even --force-takeover refuses, saying why', async () => {
    for (const forceTakeover of [false, true]) {
      const leases = fakeLeases();
      heldBy(leases, 'koorde-20261203-095000-bbbb', 5_000, {
        [LEASE_ANNOTATIONS.host]: 'this-host',
        [LEASE_ANNOTATIONS.pid]: '4242',
      });
      const { input } = setup({ leases, forceTakeover, isAlive: (pid) => pid === 4242 });
      const err = await refusal(acquireClusterLease(input));
      assert.equal(err.code, 'E_CLUSTER_LEASED');
      assert.equal(err.exitCode, 2);
      assert.match(err.message, /in use by run koorde-20261203-095000-bbbb/);
      assert.match(err.message, /pid 4242/);
      if (forceTakeover) assert.match(err.message, /--force-takeover refused: its process 4242 on this host is alive/);
      assert.equal(leases.stored?.holder, 'koorde-20261203-095000-bbbb', 'the holder keeps its lease');
      assert.equal(leases.stored?.resourceVersion, '77', 'nothing was written');
    }
  });

  it('takes over an expired lease on its own, with a warning', async () => {
    const leases = fakeLeases();
    heldBy(leases, 'thyme-20261203-090000-cccc', 61_000, { [LEASE_ANNOTATIONS.host]: 'elsewhere' });
    const { input, seen } = setup({ leases });
    const held = await acquireClusterLease(input);
    assert.equal(leases.stored?.holder, input.runId);
    assert.equal(leases.stored?.transitions, 1);
    const warn = seen.find((e) => e.code === 'lease.takeover');
    assert.equal(warn?.level, 'warn');
    assert.match(warn?.message ?? '', /thyme-20261203-090000-cccc: its lease expired/);
    await held.release();
  });

  it('takes over an unexpired lease of a dead process on this host only with --force-takeover', async () => {
    const annotations = { [LEASE_ANNOTATIONS.host]: 'this-host', [LEASE_ANNOTATIONS.pid]: '4242' };
    const leases = fakeLeases();
    heldBy(leases, 'thyme-20261203-095900-dddd', 10_000, annotations);
    const without = setup({ leases, isAlive: () => false });
    const err = await refusal(acquireClusterLease(without.input));
    assert.equal(err.code, 'E_CLUSTER_LEASED');
    assert.match(
      err.fix ?? '',
      /provably dead \(its process 4242 on this host \(this-host\) is gone\).*--force-takeover/,
    );
    const withFlag = setup({ leases, isAlive: () => false, forceTakeover: true });
    const held = await acquireClusterLease(withFlag.input);
    assert.equal(leases.stored?.holder, withFlag.input.runId);
    assert.ok(withFlag.seen.some((e) => e.code === 'lease.takeover' && /--force-takeover/.test(e.message)));
    await held.release();
  });

  it("--force-takeover takes an unexpired lease whose holder's journal (in this runs directory) has a run-end", async () => {
    const leases = fakeLeases();
    const holder = 'thyme-20261203-095800-eeee';
    heldBy(leases, holder, 10_000, { [LEASE_ANNOTATIONS.host]: 'another-host', [LEASE_ANNOTATIONS.pid]: '7' });
    const s = setup({ leases, forceTakeover: true });
    mkdirSync(join(s.dir, holder));
    const theirs = Journal.open(join(s.dir, holder, 'journal'));
    theirs.append({ type: 'run-end', status: 'failed', exitCode: 3 });
    theirs.close();
    const held = await acquireClusterLease(s.input);
    assert.equal(leases.stored?.holder, s.input.runId);
    await held.release();
  });

  it('--force-takeover refuses a holder on another host, and a kept run', async () => {
    const other = fakeLeases();
    heldBy(other, 'thyme-20261203-095700-ffff', 10_000, {
      [LEASE_ANNOTATIONS.host]: 'ci-7',
      [LEASE_ANNOTATIONS.pid]: '7',
    });
    const a = await refusal(acquireClusterLease(setup({ leases: other, forceTakeover: true }).input));
    assert.match(a.message, /another host \(ci-7\)/);
    const kept = fakeLeases();
    heldBy(kept, 'thyme-20261203-095600-abab', 10_000, {
      [LEASE_ANNOTATIONS.host]: 'this-host',
      [LEASE_ANNOTATIONS.pid]: '7',
      [LEASE_ANNOTATIONS.kept]: 'true',
    });
    const b = await refusal(
      acquireClusterLease(setup({ leases: kept, forceTakeover: true, isAlive: () => false }).input),
    );
    assert.match(b.message, /was kept \(--keep\)/);
  });

  it('two runs racing for a free cluster: exactly one wins (409 on create), the other is refused naming it', async () => {
    const leases = fakeLeases();
    const one = setup({ leases, runId: 'thyme-20261203-100000-0001', pid: 1 });
    const two = setup({ leases, runId: 'thyme-20261203-100000-0002', pid: 2 });
    const outcomes = await Promise.allSettled([acquireClusterLease(one.input), acquireClusterLease(two.input)]);
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    assert.equal(won.length, 1);
    assert.equal(lost.length, 1);
    assert.equal((lost[0]?.reason as BenchError).code, 'E_CLUSTER_LEASED');
    assert.match((lost[0]?.reason as BenchError).message, new RegExp(`in use by run ${leases.stored?.holder}`));
    await (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireClusterLease>>>).value.release();
  });

  it('renews every 20 s until released, then writes no more; a lease taken by someone else is lost, not fought over', async () => {
    mock.timers.enable({ apis: ['setInterval', 'Date'], now: Date.parse('2026-12-03T10:00:00Z') });
    try {
      const { input, leases, seen } = setup();
      const held = await acquireClusterLease(input);
      const first = leases.stored?.renewedAt?.getTime();
      mock.timers.tick(20_000);
      for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
      assert.equal(leases.stored?.renewedAt?.getTime(), (first as number) + 20_000);
      mock.timers.tick(20_000);
      for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
      assert.equal(leases.stored?.renewedAt?.getTime(), (first as number) + 40_000);
      // Someone else writes the lease (a takeover after a long network cut): the next renewal loses.
      heldBy(leases, 'thyme-20261203-100100-9999', 0, {});
      mock.timers.tick(20_000);
      for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
      assert.equal(held.lost, true);
      assert.ok(seen.some((e) => e.code === 'lease.lost'));
      assert.equal(leases.stored?.holder, 'thyme-20261203-100100-9999');
      await held.release();
      assert.equal(leases.stored?.holder, 'thyme-20261203-100100-9999', 'a lost lease is not deleted');

      const again = fakeLeases();
      const s = setup({ leases: again });
      const h2 = await acquireClusterLease(s.input);
      await h2.release();
      const writes = again.writes;
      mock.timers.tick(120_000);
      for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
      assert.equal(again.writes, writes, 'no renewal after release');
      assert.equal(again.stored, undefined);
    } finally {
      mock.timers.reset();
    }
  });

  it('--keep keeps the lease (long, marked kept) until bench cleanup releases it; cleanup never touches another run', async () => {
    const { input, leases } = setup();
    const held = await acquireClusterLease(input);
    await held.keep();
    assert.equal(leases.stored?.holder, input.runId);
    assert.equal(leases.stored?.durationSeconds, KEPT_LEASE_DURATION_SECONDS);
    assert.equal(leases.stored?.annotations[LEASE_ANNOTATIONS.kept], 'true');
    assert.equal(await releaseLeaseIfHeld(leases, 'thyme-20261203-000000-0bad'), 'not-held');
    assert.equal(leases.stored?.holder, input.runId);
    assert.equal(await releaseLeaseIfHeld(leases, input.runId), 'released');
    assert.equal(leases.stored, undefined);
  });
});
