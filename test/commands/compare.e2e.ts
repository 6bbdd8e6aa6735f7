import assert from 'node:assert/strict';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { createAwsResources } from '../../src/adapters/aws-resources.ts';
import type { VariantComparisonReport } from '../../src/report/variant-comparison/model.ts';
import { readJournal } from '../../src/run/journal.ts';
import { JOURNAL_FILE } from '../../src/run/run-dir.ts';
import { sandboxBin } from '../harness/paths.ts';
import { eventually, startTestSandbox, type TestSandbox } from '../harness/sandbox.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

/** The Koorde suite's sandbox region (its NLBs and cluster are made there, in moto). */
const REGION = 'us-west-2';

describe('koorde-bench compare on the local cloud', () => {
  let sb: TestSandbox;
  let env: NodeJS.ProcessEnv;
  const runsDir = tempDir('bench-compare-runs-');
  const work = tempDir('bench-compare-tofu-');
  const lbLog = join(work, 'load-balancers-at-destroy');

  before(async () => {
    // The simulator's true difference: Koorde's latency is 0.8 x Chord's (20% lower).
    sb = await startTestSandbox({ lbDeletionDelaySeconds: 3, koordeLatencyFactor: 0.8 });
    // tofu, wrapped: when `tofu destroy` starts, it asks moto which load balancers still exist.
    const wrapper = join(work, 'tofu');
    writeFileSync(
      wrapper,
      `#!/bin/sh
for a in "$@"; do
  if [ "$a" = destroy ]; then
    "${sb.env.BENCH_SANDBOX_PYTHON}" -c '
import os, boto3
elb = boto3.client("elbv2", region_name=os.environ.get("AWS_REGION", "${REGION}"), endpoint_url=os.environ["AWS_ENDPOINT_URL"])
print("destroy:", ",".join(lb["LoadBalancerName"] for lb in elb.describe_load_balancers()["LoadBalancers"]) or "-")
' >> "${lbLog}"
  fi
done
exec "${sandboxBin('tofu')}" "$@"
`,
    );
    chmodSync(wrapper, 0o755);
    env = {
      BENCH_SANDBOX_DIR: sb.dir,
      BENCH_TOFU_BIN: wrapper,
      BENCH_RUNS_DIR: runsDir,
      RAMPUP_MINUTES: '',
      ACTIVE_MINUTES: '',
      COOLDOWN_MINUTES: '',
    };
  });
  after(async () => {
    await sb?.stop();
  });

  const runIds = () => readdirSync(runsDir).sort();
  const summaryOf = (runId: string) =>
    JSON.parse(readFileSync(join(runsDir, runId, 'summary.json'), 'utf8')) as VariantComparisonReport;

  async function assertNothingLeft(runId: string): Promise<void> {
    const owned = await createAwsResources(REGION, sb.env as unknown as NodeJS.ProcessEnv).findOwned(runId);
    assert.deepEqual(owned, []);
    const core = sb.kc.makeApiClient(CoreV1Api);
    await eventually(
      "the comparison's namespaces are gone",
      async () => (await core.listNamespace({ labelSelector: `bench.dev/run-id=${runId}` })).items.length === 0,
      60_000,
    );
  }

  it('rejects bad input with exit 2 and creates nothing', () => {
    const cases: [string[], RegExp][] = [
      [['compare', 'chord'], /two variants or more/],
      [['compare', 'chord', 'pastry'], /no variant 'pastry'/],
      [['compare', 'chord', 'koorde', '--sizes', '2'], /nodes=2: must be at least 3/],
      [['compare', 'chord', 'koorde', '--sizes', '8,x'], /--sizes 8,x/],
      [['compare', 'chord', 'koorde', '--repeat', '0'], /--repeat 0/],
      [['compare', 'chord', 'koorde', '--set', 'nodes=8'], /conflicts with the sweep/],
      [['compare', 'chord', 'koorde', '--threshold', '150%'], /--threshold 1.5/],
    ];
    for (const [args, message] of cases) {
      const r = runCli('koorde-bench', [...args, '--target', 'sandbox'], { env });
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /fix: /);
    }
    assert.deepEqual(existsSync(runsDir) ? runIds() : [], []);
  });

  it('finds the true difference (Koorde p95 latency 20% lower) at every size, and tears down LB-first to nothing', async () => {
    const r = runCli(
      'koorde-bench',
      [
        'compare',
        'chord',
        'koorde',
        '--target',
        'sandbox',
        '--sizes',
        '4,8',
        '--repeat',
        '2',
        '--ramp',
        '6s',
        '--active',
        '20s',
        '--cooldown',
        '2s',
        '--seed',
        '7',
        '--json',
      ],
      { env, timeoutMs: 900_000 },
    );
    assert.equal(r.status, 0, r.stdout.slice(-3000) + r.stderr.slice(-3000));
    const result = JSON.parse(r.stdout) as { runId: string; verdicts: string[]; trials: { size: number }[] };
    assert.equal(result.trials.length, 4);
    const summary = summaryOf(result.runId);
    assert.equal(summary.kind, 'comparison');
    // The local cloud's OpenTofu (here through the test's wrapper around it) provisioned it, and the report says so.
    assert.equal(summary.run.tofu?.kind, 'tofu');
    assert.equal(summary.run.tofu?.binary, join(work, 'tofu'));
    assert.match(summary.run.tofu?.version ?? '', /^1\.\d+\.\d+/);
    assert.deepEqual(
      summary.arms.map((a) => [a.name, a.namespace]),
      [
        ['chord', 'chord-dht'],
        ['koorde', 'koorde-dht'],
      ],
    );
    // The trials ran in the recorded (shuffled) order, each with both arms' windows.
    assert.deepEqual(
      summary.schedule.map((t) => t.order),
      [1, 2, 3, 4],
    );
    for (const t of summary.schedule) assert.deepEqual(Object.keys(t.windows).sort(), ['chord', 'koorde']);
    for (const size of [4, 8]) {
      const p95 = summary.results.find((x) => x.size === size && x.metric === 'latency.p95');
      const cmp = p95?.comparisons[0];
      assert.ok(cmp, `latency.p95 at ${size}`);
      assert.equal(cmp.verdict, 'lower', cmp.text);
      assert.ok(cmp.relativeInterval && cmp.relativeInterval[1] < 0, `interval excludes zero: ${cmp.text}`);
      assert.ok(
        cmp.relativeDifference !== null && cmp.relativeDifference > -0.27 && cmp.relativeDifference < -0.13,
        cmp.text,
      );
      assert.match(cmp.text, /koorde latency p95 \d+(\.\d)?% lower \[/);
      // Identical workload: the same throughput for both.
      const tput = summary.results.find((x) => x.size === size && x.metric === 'throughput.mean')?.comparisons[0];
      assert.equal(tput?.verdict, 'no-significant-difference', tput?.text);
      // Routing: only Koorde takes de Bruijn hops.
      const hops = summary.results.find((x) => x.size === size && x.metric === 'de_bruijn_success.last');
      assert.equal(hops?.values[0]?.median, 0);
      assert.ok((hops?.values[1]?.median ?? 0) > 0);
    }
    assert.ok(result.verdicts.some((v) => /koorde latency p95 .*lower/.test(v)));
    const md = readFileSync(join(runsDir, result.runId, 'report.md'), 'utf8');
    assert.match(md, /koorde latency p95 \d+(\.\d)?% lower/);
    assert.ok(readFileSync(join(runsDir, result.runId, 'report.html'), 'utf8').includes('<svg'));
    // Raw data first: the workload's pod logs and the pods' JSON, per trial and arm.
    const trials = readdirSync(join(runsDir, result.runId, 'raw', 'trials'));
    assert.equal(trials.length, 8);
    for (const t of trials) {
      const dir = join(runsDir, result.runId, 'raw', 'trials', t);
      assert.ok(
        readdirSync(join(dir, 'workload')).some((f) => f.endsWith('.log.gz')),
        t,
      );
      assert.ok(existsSync(join(dir, 'pod-metrics-start.json.gz')) && existsSync(join(dir, 'pod-metrics-end.json.gz')));
    }
    // Teardown: both variants' NLBs were gone from moto when tofu destroy started, nothing is left.
    const records = readJournal(join(runsDir, result.runId, JOURNAL_FILE)).records;
    const lbs = records.filter((x) => x.type === 'resource-created' && x.resource.objectKind === 'Service');
    assert.ok(lbs.some((x) => x.type === 'resource-created' && x.resource.namespace === 'koorde-dht'));
    assert.ok(lbs.some((x) => x.type === 'resource-created' && x.resource.namespace === 'chord-dht'));
    assert.deepEqual(readFileSync(lbLog, 'utf8').trim().split('\n'), ['destroy: -']);
    await assertNothingLeft(result.runId);

    // `bench report` rebuilds the same comparison from the stored raw data.
    const again = runCli('bench', ['report', result.runId, '--json'], { env });
    assert.equal(again.status, 0, again.stderr);
    const rebuilt = summaryOf(result.runId);
    assert.deepEqual(rebuilt.results, summary.results);
    assert.deepEqual(rebuilt.verdicts, summary.verdicts);
  });

  it('an A/A comparison (chord against chord) finds no significant difference on any metric', async () => {
    const before = new Set(runIds());
    const r = runCli(
      'koorde-bench',
      [
        'compare',
        'chord',
        'chord',
        '--target',
        'sandbox',
        '--sizes',
        '4',
        '--repeat',
        '2',
        '--sequential',
        '--ramp',
        '6s',
        '--active',
        '20s',
        '--cooldown',
        '2s',
      ],
      { env, timeoutMs: 600_000 },
    );
    assert.equal(r.status, 0, r.stdout.slice(-3000) + r.stderr.slice(-3000));
    const runId = runIds().find((id) => !before.has(id)) as string;
    assert.match(r.stdout, /Report: .*report\.md/);
    const summary = summaryOf(runId);
    assert.equal(summary.mode, 'sequential');
    assert.deepEqual(
      summary.arms.map((a) => [a.name, a.namespace]),
      [
        ['chord', 'chord-dht'],
        ['chord-2', 'chord-dht-2'],
      ],
    );
    // Sequential: the arms' measured windows do not overlap.
    for (const t of summary.schedule) {
      const [a, b] = Object.values(t.windows).sort((x, y) => x.start.localeCompare(y.start));
      assert.ok(a && b && a.end <= b.start, JSON.stringify(t.windows));
    }
    const compared = summary.results.flatMap((x) => x.comparisons);
    assert.ok(compared.length >= 6);
    // A metric with one value per trial (the pods' counters) cannot be tested with 2 repetitions.
    for (const c of compared) assert.match(c.verdict, /^(no-significant-difference|too-few-repetitions)$/, c.text);
    assert.ok(summary.verdicts.every((v) => /no significant difference|too few repetitions to test \(n = 2\)/.test(v)));
    await assertNothingLeft(runId);
  });
});
