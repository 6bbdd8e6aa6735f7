import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { createAwsResources } from '../../src/adapters/aws-resources.ts';
import type { ListResult } from '../../src/engine/list.ts';
import type { RunReport } from '../../src/report/model.ts';
import { readJournal, type JournalRecord } from '../../src/run/journal.ts';
import { JOURNAL_FILE } from '../../src/run/run-dir.ts';
import { sandboxBin } from '../harness/paths.ts';
import { eventually, startTestSandbox, type TestSandbox } from '../harness/sandbox.ts';
import { ROOT, runCli } from '../helpers/cli.ts';
import { runStartedBy } from '../helpers/bench-process.ts';
import { copySuite } from '../helpers/suite-fixture.ts';
import { tempDir } from '../helpers/tmp.ts';

describe('thyme-bench run on the local cloud', () => {
  let sb: TestSandbox;
  let env: NodeJS.ProcessEnv;
  const runsDir = tempDir('bench-runs-');

  before(async () => {
    sb = await startTestSandbox({ lbDeletionDelaySeconds: 3, eniLingerSeconds: 10 });
    env = {
      BENCH_SANDBOX_DIR: sb.dir,
      BENCH_TOFU_BIN: sandboxBin('tofu'),
      BENCH_RUNS_DIR: runsDir,
      RAMPUP_MINUTES: '',
      COOLDOWN_MINUTES: '',
    };
  });
  after(async () => {
    await sb?.stop();
  });

  const onlyRun = (): string => {
    const runs = readdirSync(runsDir).sort();
    return runs.at(-1) as string;
  };
  const journal = (runId: string): JournalRecord[] => readJournal(join(runsDir, runId, JOURNAL_FILE)).records;
  /** Nothing of the run in moto (tagged resources, VPCs) or in the cluster (its namespaces). */
  async function assertNothingLeft(runId: string): Promise<void> {
    const owned = await createAwsResources('eu-central-1', sb.env as unknown as NodeJS.ProcessEnv).findOwned(runId);
    assert.deepEqual(owned, []);
    const ec2 = new EC2Client({
      region: 'eu-central-1',
      endpoint: sb.env.AWS_ENDPOINT_URL,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    const vpcs =
      (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:bench.dev/run-id', Values: [runId] }] })))
        .Vpcs ?? [];
    assert.deepEqual(vpcs, []);
    const core = sb.kc.makeApiClient(CoreV1Api);
    await eventually(
      "the run's namespaces are gone",
      async () => (await core.listNamespace({ labelSelector: `bench.dev/run-id=${runId}` })).items.length === 0,
      60_000,
    );
    // Cluster-wide objects it applied too (Thyme's ClusterRole and binding).
    const rbac = sb.kc.makeApiClient(RbacAuthorizationV1Api);
    const roles = (await rbac.listClusterRole({ labelSelector: `bench.dev/run-id=${runId}` })).items;
    assert.deepEqual(
      roles.map((r) => r.metadata?.name),
      [],
    );
  }

  it('provisions, deploys, verifies 20 co-located log generators, scales on plan, and tears down to nothing', async () => {
    const r = runCli(
      'thyme-bench',
      ['run', '--target', 'sandbox', '--ramp', '20s', '--active', '40s', '--cooldown', '20s'],
      { env, timeoutMs: 300_000 },
    );
    assert.equal(r.status, 0, r.stdout + r.stderr.slice(-3000));
    const runId = onlyRun();
    const records = journal(runId);
    // Placement: all 20 generators on one kwok node, one Thyme pod per node.
    const placement = records.find((x) => x.type === 'note' && x.message === 'placement');
    const placements = (placement?.type === 'note' ? placement.data?.placements : []) as {
      name: string;
      ok: boolean;
      detail: string;
    }[];
    assert.match(
      placements.find((p) => p.name === 'log-generators-on-one-node')?.detail ?? '',
      /^all 20 pods on ip-10-0-1\d-\d+\.eu-central-1\.compute\.internal$/,
    );
    assert.ok(placements.every((p) => p.ok));
    // The ramp scales 4, 8, 12, 16, 20.
    const scales = records.filter(
      (x): x is Extract<JournalRecord, { type: 'action' }> => x.type === 'action' && x.action === 'scale',
    );
    assert.deepEqual(
      scales.map((s) => [s.phase, s.data?.replicas]),
      [
        ['ramp', 4],
        ['ramp', 8],
        ['ramp', 12],
        ['ramp', 16],
        ['ramp', 20],
        ['cooldown', 0],
      ],
    );
    // Each step at its planned time and each phase its planned length (within 1 s) is the unit
    // tier's, on a fake clock (test/phases/load-schedule.test.ts); here each scale is journaled
    // with its plan, in order.
    for (const s of scales) assert.ok(s.data?.plannedAt, `${s.data?.replicas} journaled with its planned time`);
    assert.match(r.stdout, /ramp\s+20s\s+\S+\s+\S+\s+4 → 8 → 12 → 16 → 20/);
    assert.equal(records.at(-1)?.type, 'run-end');
    await assertNothingLeft(runId);
    // `bench list` says so: teardown recorded every object gone (those in its namespaces too).
    const listed = JSON.parse(runCli('bench', ['list', '--json'], { env }).stdout) as ListResult;
    const run = listed.runs.find((x) => x.runId === runId);
    assert.equal(run?.status, 'succeeded');
    assert.deepEqual(run?.aliveResources, []);
    assert.ok(
      records.some(
        (x) =>
          x.type === 'resource-deleted' && x.resource.objectKind === 'Deployment' && x.evidence === 'namespace-gone',
      ),
    );
    // The final report knows how the run ended.
    const summary = JSON.parse(readFileSync(join(runsDir, runId, 'summary.json'), 'utf8')) as RunReport;
    assert.equal(summary.run.status, 'succeeded');
    assert.equal(summary.run.endedAt, records.at(-1)?.t);
    // What was measured, said where it is read: simulated on the local cloud; gates and headlines.
    assert.equal(summary.simulation.simulated, true);
    assert.ok(summary.metrics.every((m) => m.simulated));
    assert.match(r.stdout, /^SIMULATED: Run on the local cloud/m);
    assert.match(r.stdout, /^Gates: PASS, 2 of 2 held$/m);
    assert.match(r.stdout, /^throughput\s+mean\s+[\d,.]+ logs\/s\s+simulated$/m);
    // Every pod's image as the API server held it after verify: kwok nodes report no imageID.
    const thyme = summary.workloads?.find((w) => w.kind === 'DaemonSet' && w.name === 'thyme');
    assert.ok(
      thyme && thyme.images.length > 0 && thyme.images.every((i) => i.imageID === null && i.pods.length > 0),
      JSON.stringify(summary.workloads),
    );
    assert.match(summary.imagesNote ?? '', /kwok/);
    // No secret in what the run wrote or printed: the Grafana password exists only in the cluster.
    const written = readdirSync(join(runsDir, runId, 'manifests'));
    assert.ok(written.length > 0);
    assert.doesNotMatch(r.stdout + r.stderr, /BEGIN (EC )?PRIVATE KEY|testing\b|k8s-aws-v1\./);
  });

  it("fails verify with the scheduler's reason when placement cannot be satisfied, and still tears down", async () => {
    // 20 generators that each need 3 CPUs cannot share one 8-CPU node.
    const suite = copySuite('thyme', (y) => y);
    const gen = join(suite, 'base', 'log-generator.yaml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      gen,
      readFileSync(gen, 'utf8')
        .replace('requests: { cpu: 10m, memory: 32Mi }', 'requests: { cpu: "3", memory: 32Mi }')
        .replace('limits: { cpu: 100m, memory: 64Mi }', 'limits: { cpu: "3", memory: 64Mi }'),
    );
    const r = runCli(
      'bench',
      ['run', suite, '--target', 'sandbox', '--ramp', '0', '--active', '10s', '--cooldown', '0'],
      { env, timeoutMs: 300_000 },
    );
    assert.equal(r.status, 3, r.stdout + r.stderr.slice(-2000));
    assert.match(
      r.stderr,
      /Error: Deployment thyme-benchmark\/log-generator: 1\d of 20 pods cannot be scheduled: .*(Insufficient cpu|didn't match pod affinity)/,
    );
    assert.match(r.stderr, /log-generator-[a-z0-9-]+@ip-10-0-1\d-\d+\.eu-central-1\.compute\.internal \(Running\)/);
    const runId = onlyRun();
    const records = journal(runId);
    assert.ok(records.some((x) => x.type === 'phase-end' && x.phase === 'verify' && !x.ok));
    assert.ok(records.some((x) => x.type === 'phase-end' && x.phase === 'teardown' && x.ok));
    await assertNothingLeft(runId);
  });

  it('one Ctrl-C during the active phase collects what ran, writes the report marked interrupted, tears down and exits 130', async () => {
    const child = spawn(
      process.execPath,
      [
        join(ROOT, 'bin/thyme-bench'),
        'run',
        '--target',
        'sandbox',
        '--ramp',
        '0',
        '--active',
        '120s',
        '--cooldown',
        '0',
      ],
      {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const runId = await eventually('the run appears', async () => runStartedBy(runsDir, child.pid), 60_000);
    await eventually(
      'the active phase started',
      async () => journal(runId).some((x) => x.type === 'phase-start' && x.phase === 'active'),
      180_000,
      250,
    );
    // Some seconds of the active phase, scraped every second.
    await new Promise((r) => setTimeout(r, 8000));
    child.kill('SIGINT');
    const code = await exited;
    assert.equal(code, 130, stderr.slice(-2000));
    assert.match(stderr, /Interrupt received: stopping and tearing down/);
    const records = journal(runId);
    const active = records.find((x) => x.type === 'phase-end' && x.phase === 'active');
    assert.equal(active?.type === 'phase-end' && active.ok, false);
    const end = records.at(-1);
    assert.ok(end?.type === 'run-end' && end.status === 'interrupted' && end.exitCode === 130);
    assert.ok(records.some((x) => x.type === 'phase-end' && x.phase === 'teardown' && x.ok));
    // Collected and reported before teardown, with the phases that ran.
    const at = (pred: (x: JournalRecord) => boolean) => Date.parse(records.find(pred)?.t ?? 'none');
    assert.ok(
      at((x) => x.type === 'phase-end' && x.phase === 'report') <=
        at((x) => x.type === 'phase-start' && x.phase === 'teardown'),
      'the report is written before teardown',
    );
    const written = records.find((x) => x.type === 'note' && x.message === 'report written');
    assert.equal(written?.type === 'note' && written.data?.status, 'interrupted');
    const summary = JSON.parse(readFileSync(join(runsDir, runId, 'summary.json'), 'utf8')) as RunReport;
    assert.equal(summary.run.status, 'interrupted');
    assert.equal(summary.run.endedAt, end.t);
    assert.deepEqual(
      summary.phases.map((p) => p.phase),
      ['ramp', 'active'],
    );
    const throughput = summary.metrics.find((m) => m.name === 'throughput');
    assert.ok((throughput?.phases.active?.series[0]?.samples ?? 0) >= 4, JSON.stringify(throughput?.phases));
    assert.doesNotMatch(throughput?.query ?? '', /\$\{/);
    assert.match(readFileSync(join(runsDir, runId, 'report.md'), 'utf8'), /\|\s*status\s*\|\s*interrupted\s*\|/);
    await assertNothingLeft(runId);
    const listed = JSON.parse(runCli('bench', ['list', '--json'], { env }).stdout) as ListResult;
    assert.deepEqual(listed.runs.find((x) => x.runId === runId)?.aliveResources, []);
  });

  it('koorde-bench run deploys both variants side by side, raises the workload rate in steps, and removes both NLBs', async () => {
    const r = runCli(
      'koorde-bench',
      [
        'run',
        '--target',
        'sandbox',
        '--ramp',
        '6s',
        '--active',
        '6s',
        '--cooldown',
        '3s',
        '--set',
        'nodes=5',
        '--json',
      ],
      { env, timeoutMs: 300_000 },
    );
    assert.equal(r.status, 0, r.stderr.slice(-3000));
    const result = JSON.parse(r.stdout) as {
      runId: string;
      loadBalancers: Record<string, string>;
      phases: { phase: string; actions: { action: string; detail: { value?: number } }[] }[];
    };
    assert.deepEqual(Object.keys(result.loadBalancers).sort(), [
      'chord-dht/dht-cache-http',
      'koorde-dht/dht-cache-http',
    ]);
    const ramp = result.phases.find((p) => p.phase === 'ramp');
    assert.deepEqual(
      ramp?.actions.map((a) => a.detail.value),
      [40, 70, 100],
    );
    assert.deepEqual(
      result.phases.find((p) => p.phase === 'cooldown')?.actions.map((a) => a.action),
      ['stop-workload'],
    );
    const records = journal(result.runId);
    const jobs = records
      .filter((x) => x.type === 'resource-created' && x.resource.objectKind === 'Job')
      .map((x) => (x.type === 'resource-created' ? x.resource.id : ''));
    assert.deepEqual(
      jobs.sort(),
      [
        'Job chord-dht/cache-workload-1',
        'Job chord-dht/cache-workload-2',
        'Job chord-dht/cache-workload-3',
        'Job koorde-dht/cache-workload-1',
        'Job koorde-dht/cache-workload-2',
        'Job koorde-dht/cache-workload-3',
      ].sort(),
    );
    const gone = records.find((x) => x.type === 'note' && x.message === 'load balancers gone');
    const destroy = records.find((x) => x.type === 'action' && x.action === 'tofu-destroy');
    assert.ok(gone && destroy && Date.parse(gone.t) <= Date.parse(destroy.t), 'both NLBs gone before tofu destroy');
    // As on AWS, the NLBs' network interfaces outlive them (10 s here, longer than the namespaces
    // take to go); destroy waits for them, then starts (how soon is bench/'s to measure, and the
    // teardown unit tests' to order), and is never retried: nothing holds the subnets any more.
    const enis = records.find((x) => x.type === 'note' && x.message === 'network interfaces gone');
    assert.ok(enis?.type === 'note', 'the journal records when the last interface went');
    assert.ok(((enis.data?.interfaces as unknown[]) ?? []).length > 0, JSON.stringify(enis.data));
    const lag = Date.parse(String(destroy?.t)) - Date.parse(String(enis.data?.goneAt));
    assert.ok(lag >= 0, `tofu destroy started ${lag} ms after the last interface went`);
    assert.equal(records.filter((x) => x.type === 'action' && x.action === 'tofu-destroy').length, 1);
    assert.ok(!records.some((x) => x.type === 'error' && x.phase === 'teardown'), 'no DependencyViolation retry');
    await assertNothingLeft(result.runId);
  });
});
