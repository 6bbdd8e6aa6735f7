import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import type { JournalRecord } from '../../src/run/journal.ts';
import { eventually, startTestSandbox, type TestSandbox } from '../harness/sandbox.ts';
import { runJournal, runStartedBy, sandboxRunEnv, spawnBench } from '../helpers/bench-process.ts';
import { runCli } from '../helpers/cli.ts';
import { motoTaggedWith } from '../helpers/moto-inventory.ts';
import { tempDir } from '../helpers/tmp.ts';

/**
 * One Ctrl-C in each phase of a run, as a person at the terminal gives it: the run stops creating,
 * collects and reports what ran, tears down, and exits 130 with status `interrupted`, leaving
 * nothing in moto or the cluster.
 */
describe('one Ctrl-C in any phase of a run on the local cloud', () => {
  let sb: TestSandbox;
  let env: NodeJS.ProcessEnv;
  const runsDir = tempDir('bench-runs-');

  before(async () => {
    // Its own cloud: ten runs back to back would hold the shared one for five minutes.
    sb = await startTestSandbox({ lbDeletionDelaySeconds: 2 });
    env = sandboxRunEnv(sb, runsDir);
  });
  after(async () => {
    await sb?.stop();
  });

  const journal = (runId: string): JournalRecord[] => runJournal(runsDir, runId);

  // The phase to interrupt, and the record that shows it is under way.
  const phases: [string, (r: JournalRecord) => boolean][] = [
    ['provision', (r) => r.type === 'action' && r.action === 'tofu-apply'],
    ['connect', (r) => r.type === 'phase-start' && r.phase === 'connect'],
    ['deploy', (r) => r.type === 'phase-start' && r.phase === 'deploy'],
    ['verify', (r) => r.type === 'phase-start' && r.phase === 'verify'],
    ['ramp', (r) => r.type === 'phase-start' && r.phase === 'ramp'],
    ['active', (r) => r.type === 'phase-start' && r.phase === 'active'],
    ['cooldown', (r) => r.type === 'phase-start' && r.phase === 'cooldown'],
    ['collect', (r) => r.type === 'phase-start' && r.phase === 'collect'],
    ['report', (r) => r.type === 'phase-start' && r.phase === 'report'],
    ['teardown', (r) => r.type === 'phase-start' && r.phase === 'teardown'],
  ];

  for (const [phase, started] of phases) {
    it(`in ${phase}: exit 130, status interrupted, nothing left`, async () => {
      const bench = spawnBench(
        'thyme-bench',
        [
          'run',
          '--target',
          'sandbox',
          '--ramp',
          '3s',
          '--active',
          '4s',
          '--cooldown',
          '3s',
          '--set',
          'grafanaLoadBalancer=true',
        ],
        env,
      );
      const runId = await eventually('the run appears', async () => runStartedBy(runsDir, bench.child.pid), 60_000, 50);
      await eventually(`${phase} is under way`, async () => journal(runId).some(started), 180_000, 20);
      const signalledAt = Date.now();
      bench.child.kill('SIGINT');
      const { code } = await bench.exited;
      assert.equal(code, 130, bench.output().slice(-3000));
      const records = journal(runId);
      const end = records.at(-1);
      assert.ok(end?.type === 'run-end', JSON.stringify(end));
      assert.equal(end.status, 'interrupted');
      assert.equal(end.exitCode, 130);
      assert.ok(
        records.some((x) => x.type === 'phase-end' && x.phase === 'teardown' && x.ok),
        'teardown finished',
      );
      // No LoadBalancer Service (a billed NLB) was begun after the signal: deploy journals each
      // object just before it applies it, and checks the signal before a LoadBalancer Service.
      const lb = records.find((x) => x.type === 'resource-created' && x.resource.id === 'Service lgtm/grafana');
      if (lb)
        assert.ok(
          Date.parse(lb.t) <= signalledAt,
          `the NLB's Service was applied ${Date.parse(lb.t) - signalledAt} ms after the signal`,
        );
      if (phase === 'provision') assert.equal(lb, undefined, 'no LoadBalancer Service');
      // Nothing of the run in moto, nor in the cluster.
      assert.deepEqual(motoTaggedWith(sb.env, runId, ['eu-central-1']), []);
      const core = sb.kc.makeApiClient(CoreV1Api);
      assert.deepEqual(
        (await core.listNamespace({ labelSelector: `bench.dev/run-id=${runId}` })).items.map((n) => n.metadata?.name),
        [],
      );
      // bench list says the same.
      const listed = JSON.parse(runCli('bench', ['list', '--json'], { env }).stdout) as {
        runs: { runId: string; status: string; aliveResources: unknown[] }[];
      };
      const run = listed.runs.find((x) => x.runId === runId);
      assert.equal(run?.status, 'interrupted');
      assert.deepEqual(run?.aliveResources, []);
    });
  }
});
