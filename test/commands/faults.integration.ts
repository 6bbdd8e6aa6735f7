import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import type { JournalRecord } from '../../src/run/journal.ts';
import {
  awsAction,
  awsInternalError,
  awsThrottling,
  ec2RequestLimitExceeded,
  kubeServiceUnavailable,
  kubeTooManyRequests,
  startFaultProxy,
  type FaultProxy,
} from '../harness/fault-proxy.ts';
import { startTestSandbox, type TestSandbox } from '../harness/sandbox.ts';
import { runJournal, sandboxRunEnv, spawnBench } from '../helpers/bench-process.ts';
import { ROOT } from '../helpers/cli.ts';
import { motoTaggedWith } from '../helpers/moto-inventory.ts';
import { tempDir } from '../helpers/tmp.ts';

interface Exit {
  code: number | null;
  output: string;
}

/** Runs a bench command to its end without blocking this process (the proxies answer from it). */
async function bench(args: string[], env: NodeJS.ProcessEnv): Promise<Exit> {
  const started = spawnBench('bench', args, env);
  const { code } = await started.exited;
  return { code, output: started.output() };
}

/**
 * Faults injected between bench and the real parts of the local cloud — AWS throttling and server
 * errors in front of moto, the API server's 429 and 503 and a dropped watch, Prometheus gone during
 * collect — each run completing or failing with the exit code it should, keeping its raw data, and
 * `bench cleanup` leaving nothing in moto.
 */
describe('a run through faults on the local cloud', () => {
  let sb: TestSandbox;
  let env: NodeJS.ProcessEnv;
  let aws: FaultProxy;
  let kube: FaultProxy;
  let prometheus: FaultProxy;
  let suite: string;
  let envFile: string;
  let originalEnvFile: string;
  const runsDir = tempDir('bench-runs-');

  before(async () => {
    sb = await startTestSandbox({ lbDeletionDelaySeconds: 1 });
    const pki = (f: string) => readFileSync(join(sb.dir, 'pki', f), 'utf8');
    aws = await startFaultProxy({ upstream: sb.env.AWS_ENDPOINT_URL });
    kube = await startFaultProxy({
      upstream: sb.env.BENCH_SANDBOX_API_SERVER,
      // The API server's own certificate is for 127.0.0.1, whatever the port.
      serve: { cert: pki('apiserver.crt'), key: pki('apiserver.key') },
      upstreamTls: { ca: pki('ca.crt'), cert: pki('admin.crt'), key: pki('admin.key') },
    });
    prometheus = await startFaultProxy({ upstream: sb.env.BENCH_PROMETHEUS_URL });
    // bench reaches the local cloud through its environment file: through the proxies now.
    const kubeconfig = join(sb.dir, 'kubeconfig.faults');
    writeFileSync(
      kubeconfig,
      readFileSync(sb.env.KUBECONFIG, 'utf8').replace(sb.env.BENCH_SANDBOX_API_SERVER, kube.url),
    );
    envFile = join(sb.dir, 'sandbox.env');
    originalEnvFile = readFileSync(envFile, 'utf8');
    writeFileSync(
      envFile,
      originalEnvFile
        .replace(JSON.stringify(sb.env.AWS_ENDPOINT_URL), JSON.stringify(aws.url))
        .replace(JSON.stringify(sb.env.KUBECONFIG), JSON.stringify(kubeconfig)),
    );
    // Gates the short phases below always meet: the faults, not the numbers, are under test.
    suite = join(mkdtempSync(join(tmpdir(), 'bench-faults-suite-')), 'thyme');
    cpSync(join(ROOT, 'manifests', 'thyme'), suite, { recursive: true });
    const suiteFile = join(suite, 'suite.yaml');
    writeFileSync(suiteFile, readFileSync(suiteFile, 'utf8').replace('value: 50000', 'value: 1'));
    env = sandboxRunEnv(sb, runsDir);
  });
  after(async () => {
    if (envFile) writeFileSync(envFile, originalEnvFile);
    await Promise.all([aws?.close(), kube?.close(), prometheus?.close()]);
    await sb?.stop();
    if (suite) rmSync(dirname(suite), { recursive: true, force: true });
  });
  beforeEach(() => {
    for (const p of [aws, kube, prometheus]) for (const name of Object.keys(p.hits())) p.remove(name);
  });

  const lastRun = (): string => readdirSync(runsDir).sort().at(-1) as string;
  const journal = (runId: string): JournalRecord[] => runJournal(runsDir, runId);
  const run = (extra: string[] = []) =>
    bench(
      [
        'run',
        suite,
        '--target',
        'sandbox',
        '--ramp',
        '2s',
        '--active',
        '6s',
        '--cooldown',
        '0',
        '--set',
        'grafanaLoadBalancer=true',
        ...extra,
      ],
      env,
    );

  /** `bench cleanup` afterwards succeeds and nothing tagged with the run id is left in moto or the cluster. */
  async function assertCleanupLeavesNothing(runId: string): Promise<void> {
    const cleaned = await bench(['cleanup', runId], env);
    assert.equal(cleaned.code, 0, cleaned.output.slice(-2000));
    assert.deepEqual(motoTaggedWith(sb.env, runId, ['eu-central-1']), []);
    const core = sb.kc.makeApiClient(CoreV1Api);
    assert.deepEqual(
      (await core.listNamespace({ labelSelector: `bench.dev/run-id=${runId}` })).items.map((n) => n.metadata?.name),
      [],
    );
  }

  it('AWS throttling and 5xx (the SDKs retry them): the run completes with exit 0 and leaves nothing', async () => {
    aws.add({
      name: 'elbv2 throttled',
      when: (r) => awsAction(r) === 'DescribeLoadBalancers',
      action: awsThrottling(),
      times: 2,
    });
    aws.add({
      name: 'ec2 limit',
      when: (r) => awsAction(r) === 'CreateVpc',
      action: ec2RequestLimitExceeded(),
      times: 1,
    });
    aws.add({
      name: 'elbv2 500',
      when: (r) => awsAction(r) === 'DescribeTargetGroups',
      action: awsInternalError(),
      times: 1,
    });
    const r = await run();
    assert.equal(r.code, 0, r.output.slice(-3000));
    // The faults happened: this test cannot pass by not meeting them.
    assert.deepEqual(aws.hits(), { 'elbv2 throttled': 2, 'ec2 limit': 1, 'elbv2 500': 1 });
    const runId = lastRun();
    assert.equal(journal(runId).at(-1)?.type, 'run-end');
    await assertCleanupLeavesNothing(runId);
  });

  it('AWS failing for good during teardown: exit 3, the report kept, and `bench cleanup` finishes once AWS answers', async () => {
    // ELBv2 down from the first teardown poll on: teardown cannot know the NLB is gone.
    aws.add({
      name: 'elbv2 down',
      when: (r) => ['DescribeLoadBalancers', 'DescribeTargetGroups'].includes(awsAction(r)),
      action: awsInternalError(),
      times: Infinity,
    });
    const r = await run(['--runs-dir', runsDir]);
    assert.equal(r.code, 3, r.output.slice(-3000));
    const runId = lastRun();
    const end = journal(runId).at(-1);
    assert.ok(end?.type === 'run-end' && end.status === 'failed' && end.exitCode === 3, JSON.stringify(end));
    assert.ok(existsSync(join(runsDir, runId, 'report.md')), 'the report written before teardown is kept');
    assert.ok((aws.hits()['elbv2 down'] ?? 0) > 0);
    aws.remove('elbv2 down');
    // The command it prints works when pasted (with --runs-dir, which this run was given), in a
    // shell without BENCH_RUNS_DIR.
    const printed = /`(bench cleanup [^`]+)`/.exec(r.output)?.[1];
    assert.equal(printed, `bench cleanup ${runId} --runs-dir ${runsDir}`, r.output.slice(-2000));
    const pasted = await bench(printed.split(' ').slice(1), { ...env, BENCH_RUNS_DIR: '' });
    assert.equal(pasted.code, 0, pasted.output.slice(-2000));
    await assertCleanupLeavesNothing(runId);
  });

  it("the API server's 429 and 503 and a dropped watch: retried and re-watched, the run completes with exit 0", async () => {
    kube.add({ name: 'apply 429', when: (r) => r.method === 'PATCH', action: kubeTooManyRequests(1), times: 3 });
    kube.add({
      name: 'get 503',
      when: (r) => r.method === 'GET' && !r.url.includes('watch=') && r.url.includes('/apis/apps/v1/'),
      action: kubeServiceUnavailable(),
      times: 2,
    });
    kube.add({
      name: 'watch dropped',
      when: (r) => r.url.includes('watch=true'),
      action: { cutAfterMs: 300 },
      times: 2,
    });
    const r = await run();
    assert.equal(r.code, 0, r.output.slice(-3000));
    assert.deepEqual(kube.hits(), { 'apply 429': 3, 'get 503': 2, 'watch dropped': 2 });
    await assertCleanupLeavesNothing(lastRun());
  });

  it('Prometheus gone during collect: exit 3, the raw data and report kept, and `bench report` fetches it later', async () => {
    prometheus.add({
      name: 'prometheus gone',
      when: (r) => r.url.startsWith('/api/v1/query_range'),
      action: { reset: true },
      times: Infinity,
    });
    const r = await run(['--prometheus-url', prometheus.url]);
    assert.equal(r.code, 3, r.output.slice(-3000));
    assert.ok((prometheus.hits()['prometheus gone'] ?? 0) > 0);
    const runId = lastRun();
    const end = journal(runId).at(-1);
    assert.ok(end?.type === 'run-end' && end.status === 'failed', JSON.stringify(end));
    assert.ok(existsSync(join(runsDir, runId, 'report.md')), 'a report saying what is missing');
    assert.match(readFileSync(join(runsDir, runId, 'report.md'), 'utf8'), /missing|not collected|could not/i);
    await assertCleanupLeavesNothing(runId);
    // Prometheus is back: the report fetches what the run could not, from the same endpoint.
    prometheus.remove('prometheus gone');
    const reported = await bench(['report', runId], env);
    assert.equal(reported.code, 0, reported.output.slice(-2000));
    const summary = JSON.parse(readFileSync(join(runsDir, runId, 'summary.json'), 'utf8')) as {
      metrics: { name: string; phases: { active?: { series: { samples: number }[] } } }[];
    };
    const throughput = summary.metrics.find((m) => m.name === 'throughput');
    assert.ok((throughput?.phases.active?.series[0]?.samples ?? 0) > 0, JSON.stringify(throughput));
  });
});
