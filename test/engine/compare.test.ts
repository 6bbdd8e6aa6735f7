import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { armsOf, planComparison } from '../../src/engine/compare.ts';
import { UsageError } from '../../src/errors.ts';

const base = { suite: 'koorde', target: 'sandbox' as const, env: {} };

describe('planning a comparison', () => {
  it('names a repeated variant apart, in its own namespace', () => {
    assert.deepEqual(
      armsOf(['chord', 'chord', 'koorde'], (v) => `${v}-dht`),
      [
        { name: 'chord', variant: 'chord', namespace: 'chord-dht' },
        { name: 'chord-2', variant: 'chord', namespace: 'chord-dht-2' },
        { name: 'koorde', variant: 'koorde', namespace: 'koorde-dht' },
      ],
    );
  });

  it("takes the suite's sweep and 3 repetitions by default, in a seeded random order", async () => {
    const plan = await planComparison({ ...base, variants: ['chord', 'koorde'], seed: 42 });
    assert.equal(plan.sweepParam, 'nodes');
    assert.deepEqual(plan.sizes, [8, 16, 32]);
    assert.equal(plan.repeat, 3);
    assert.equal(plan.schedule.length, 9);
    const pairs = plan.schedule.map((t) => `${t.size}/${t.repetition}`);
    assert.deepEqual([...pairs].sort(), ['16/1', '16/2', '16/3', '32/1', '32/2', '32/3', '8/1', '8/2', '8/3']);
    // Randomized, and reproducible from the seed.
    assert.notDeepEqual(pairs, ['8/1', '8/2', '8/3', '16/1', '16/2', '16/3', '32/1', '32/2', '32/3']);
    assert.deepEqual(
      (await planComparison({ ...base, variants: ['chord', 'koorde'], seed: 42 })).schedule,
      plan.schedule,
    );
    // Identical parameters for every arm, the swept one aside.
    assert.equal(plan.params.rate, 100);
    assert.equal(plan.params.nodes, undefined);
  });

  it('shuffles the arms within each trial when sequential', async () => {
    const plan = await planComparison({ ...base, variants: ['chord', 'koorde'], sequential: true, seed: 3, repeat: 6 });
    const orders = new Set(plan.schedule.map((t) => t.arms.join(',')));
    assert.deepEqual([...orders].sort(), ['chord,koorde', 'koorde,chord']);
  });

  it('refuses bad input before anything exists', async () => {
    const bad: [Parameters<typeof planComparison>[0], RegExp][] = [
      [{ ...base, variants: ['chord'] }, /two variants or more/],
      [{ ...base, variants: ['chord', 'x'] }, /no variant 'x'/],
      [{ ...base, variants: ['chord', 'koorde'], sizes: [2] }, /must be at least 3/],
      [{ ...base, variants: ['chord', 'koorde'], repeat: 0 }, /--repeat 0/],
      [{ ...base, variants: ['chord', 'koorde'], confidence: 1.5 }, /--confidence/],
      [{ ...base, variants: ['chord', 'koorde'], params: { nodes: '8' } }, /conflicts with the sweep/],
      [{ ...base, suite: 'thyme', variants: ['a', 'b'] }, /declares no variants/],
    ];
    for (const [options, message] of bad) {
      await assert.rejects(
        () => planComparison(options),
        (err: unknown) => err instanceof UsageError && message.test(err.message) && err.exitCode === 2,
      );
    }
  });
});
