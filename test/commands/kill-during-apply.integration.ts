import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { isTofuAlive } from '../../src/adapters/tofu.ts';
import type { ListResult } from '../../src/engine/list.ts';
import type { JournalRecord } from '../../src/run/journal.ts';
import { recordedTofus } from '../../src/run/run-dir.ts';
import { sandboxBin } from '../harness/paths.ts';
import { eventually, sharedTestSandbox, type TestSandbox } from '../harness/sandbox.ts';
import { runJournal, runStartedBy, sandboxRunEnv, spawnBench } from '../helpers/bench-process.ts';
import { runCli } from '../helpers/cli.ts';
import { motoTaggedWith } from '../helpers/moto-inventory.ts';
import { tempDir } from '../helpers/tmp.ts';

const REGION = 'eu-central-1';

/**
 * A SIGKILL of bench while `tofu apply` runs: tofu, detached from bench with its output in a file,
 * finishes the apply and writes its state; `bench cleanup` waits for it and leaves nothing.
 */
describe('bench killed during tofu apply on the local cloud', { timeout: 900_000 }, () => {
  let sb: TestSandbox;
  let env: NodeJS.ProcessEnv;
  const runsDir = tempDir('bench-runs-');

  before(async () => {
    sb = await sharedTestSandbox();
    // No BENCH_RUNS_DIR: the runs directory is given as --runs-dir, as the cleanup command needs it.
    env = sandboxRunEnv(sb);
  });
  after(async () => {
    await sb?.stop();
  });

  const journal = (runId: string): JournalRecord[] => runJournal(runsDir, runId);

  for (const delayMs of [300, 800, 1500]) {
    it(`SIGKILL ${delayMs} ms into the apply: tofu finishes, cleanup waits for it and leaves nothing`, async (t) => {
      const bench = spawnBench(
        'thyme-bench',
        ['run', '--target', 'sandbox', '--runs-dir', runsDir, '--ramp', '3s', '--active', '3s', '--cooldown', '3s'],
        env,
      );
      const runId = await eventually('the run appears', async () => runStartedBy(runsDir, bench.child.pid), 60_000, 20);
      const apply = await eventually(
        `tofu apply starts (${bench.output().slice(-500)})`,
        async () => recordedTofus(journal(runId)).find((t) => t.command === 'apply'),
        180_000,
        10,
      );
      // Timed from the record: the journal has the pid before tofu can create anything.
      const wait = Date.parse(apply.t) + delayMs - Date.now();
      await new Promise((r) => setTimeout(r, Math.max(0, wait)));
      bench.child.kill('SIGKILL');
      assert.equal((await bench.exited).signal, 'SIGKILL');
      assert.ok(!journal(runId).some((r) => r.type === 'run-end'), 'bench died without a word');

      // tofu did not die with bench (a broken pipe used to kill it within ~0.3 s).
      const binary = sandboxBin('tofu');
      await new Promise((r) => setTimeout(r, 500));
      const aliveAtCleanup = isTofuAlive(apply.pid, binary);
      t.diagnostic(`tofu apply (pid ${apply.pid}) alive when cleanup started: ${aliveAtCleanup}`);
      if (aliveAtCleanup) {
        // bench list says so while it lasts.
        const listed = JSON.parse(
          runCli('bench', ['list', '--json', '--runs-dir', runsDir], { env }).stdout,
        ) as ListResult;
        const run = listed.runs.find((r) => r.runId === runId);
        if (isTofuAlive(apply.pid, binary)) {
          assert.equal(run?.status, 'crashed');
          assert.deepEqual(run?.tofu, { pid: apply.pid, command: 'apply', alive: true });
          assert.match(run?.note ?? '', new RegExp(`tofu apply still running \\(pid ${apply.pid}\\)`));
        }
      }

      const cleanup = runCli('bench', ['cleanup', runId, '--runs-dir', runsDir], { env, timeoutMs: 300_000 });
      assert.equal(cleanup.status, 0, cleanup.stdout + cleanup.stderr.slice(-3000));
      assert.equal(isTofuAlive(apply.pid, binary), false);

      // The orphaned apply finished on its own: its output file ends with the apply's summary.
      const applyOutput = readFileSync(apply.stdout as string, 'utf8')
        .trim()
        .split('\n');
      const lastLine = JSON.parse(applyOutput.at(-1) as string) as { type: string; '@timestamp': string };
      assert.ok(
        applyOutput.some((l) => l.includes('"type":"change_summary"') && l.includes('"operation":"apply"')),
        `the apply ran to its end: ${applyOutput.slice(-3).join('\n')}`,
      );

      const records = journal(runId);
      const destroy = recordedTofus(records).find((t) => t.command === 'destroy');
      assert.ok(destroy, 'cleanup ran tofu destroy');
      if (aliveAtCleanup) {
        // Cleanup waited: its destroy began only after the orphaned apply had written its end.
        assert.ok(
          Date.parse(destroy.t) >= Date.parse(lastLine['@timestamp']),
          `destroy started at ${destroy.t}, before the apply ended at ${lastLine['@timestamp']}`,
        );
      }
      assert.deepEqual(motoTaggedWith(sb.env, runId, [REGION]), [], 'nothing tagged with the run id is left in moto');
      // The cleanup's output names what it destroyed.
      for (const resource of ['terraform_data.network', 'terraform_data.cluster', 'terraform_data.nodegroup'])
        assert.match(cleanup.stdout + cleanup.stderr, new RegExp(resource.replace('.', '\\.')), cleanup.stdout);
    });
  }
});
