import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { connectKubeconfig } from '../../src/adapters/kube-cluster.ts';
import { createKubeWorkloads, type KubeWorkloads } from '../../src/adapters/kube-workloads.ts';
import { verify } from '../../src/phases/verify.ts';
import { EventBus } from '../../src/run/events.ts';
import { Journal, readJournal, type JournalRecord } from '../../src/run/journal.ts';
import { JOURNAL_FILE } from '../../src/run/run-dir.ts';
import { sandboxBin } from '../harness/paths.ts';
import { eventually, startTestSandbox, type TestSandbox } from '../harness/sandbox.ts';
import { runCli } from '../helpers/cli.ts';
import { copySuite } from '../helpers/suite-fixture.ts';
import { tempDir } from '../helpers/tmp.ts';
import { readdirSync } from 'node:fs';

const NS = 'kubelet-check';

function deployment(name: string, image: string) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image }] } },
    },
  };
}

describe('the local cloud behaves as EKS does', () => {
  let sb: TestSandbox;
  let kube: KubeWorkloads;

  before(async () => {
    sb = await startTestSandbox({ lbDeletionDelaySeconds: 3 });
    kube = createKubeWorkloads(await connectKubeconfig({ path: sb.env.KUBECONFIG }));
  });
  after(async () => {
    await sb?.stop();
  });

  it('a pod whose image reference is invalid is not Running: it waits with InvalidImageName, and verify fails with it', async () => {
    // Applied as a cluster would receive it (plan time would refuse the suite before this).
    const bad = 'ghcr.io/OllyGarden/Thyme:v1';
    await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await kube.apply(deployment('good', 'ghcr.io/ollygarden/thyme:v1'));
    await kube.apply(deployment('bad', bad));
    const core = sb.kc.makeApiClient(CoreV1Api);
    const podOf = async (app: string) =>
      (await core.listNamespacedPod({ namespace: NS, labelSelector: `app=${app}` })).items[0];
    await eventually('the good pod runs', async () => (await podOf('good'))?.status?.phase === 'Running', 60_000);
    await eventually(
      'the bad pod waits with InvalidImageName',
      async () => (await podOf('bad'))?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'InvalidImageName',
      60_000,
    );
    const first = await podOf('bad');
    assert.equal(first?.status?.phase, 'Pending');
    assert.ok(first?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'False'));
    assert.match(
      String(first?.status?.containerStatuses?.[0]?.state?.waiting?.message),
      /^Failed to apply default image tag "ghcr\.io\/OllyGarden\/Thyme:v1": couldn't parse image name/,
    );
    // It stays so: kwok finds nothing more to patch (no status loop, no turn to Running).
    await new Promise((r) => setTimeout(r, 3000));
    const later = await podOf('bad');
    assert.equal(later?.status?.phase, 'Pending');
    assert.equal(later?.metadata?.resourceVersion, first?.metadata?.resourceVersion);

    const journal = Journal.open(join(tempDir(), JOURNAL_FILE));
    const started = Date.now();
    const failure = await verify({
      kube,
      journal,
      events: new EventBus(),
      workloads: [
        { kind: 'Deployment', namespace: NS, name: 'good' },
        { kind: 'Deployment', namespace: NS, name: 'bad' },
      ],
      loadBalancers: [],
      placements: [],
      selectors: new Map([
        [`Deployment ${NS}/good`, { app: 'good' }],
        [`Deployment ${NS}/bad`, { app: 'bad' }],
      ]),
      deadlineMs: 120_000,
    }).then(
      () => undefined,
      (err: unknown) => err as Error & { code?: string; fix?: string },
    );
    journal.close();
    assert.ok(failure, 'verify must fail');
    assert.equal(failure.code, 'E_INVALID_IMAGE');
    assert.match(
      failure.message,
      /Deployment kubelet-check\/bad: 1 pod\(s\) cannot start: container main of bad-.*: InvalidImageName/,
    );
    assert.match(String(failure.fix), /--image/);
    // At once (the first check, within seconds), not at the two-minute deadline.
    assert.ok(Date.now() - started < 30_000, `verify took ${Date.now() - started} ms`);
  });

  it('a suite in eu-west-1 gets its NLB in eu-west-1, and teardown waits for it there', async () => {
    const runsDir = tempDir('bench-runs-');
    const env = {
      BENCH_SANDBOX_DIR: sb.dir,
      BENCH_TOFU_BIN: sandboxBin('tofu'),
      BENCH_RUNS_DIR: runsDir,
      RAMPUP_MINUTES: '',
      COOLDOWN_MINUTES: '',
    };
    const suite = copySuite('thyme', (y) =>
      y.replace(/( {2}sandbox:\n {4}module: infra\/sandbox\n {4}region: )eu-central-1/, '$1eu-west-1'),
    );
    const r = runCli(
      'bench',
      [
        'run',
        suite,
        '--target',
        'sandbox',
        // Grafana behind an NLB: the run's one LoadBalancer Service.
        '--set',
        'grafanaLoadBalancer=true',
        '--ramp',
        '0',
        '--active',
        '10s',
        '--cooldown',
        '0',
        '--json',
      ],
      { env, timeoutMs: 400_000 },
    );
    assert.equal(r.status, 0, r.stdout.slice(-2000) + r.stderr.slice(-3000));
    const runId = readdirSync(runsDir).sort().at(-1) as string;
    const records: JournalRecord[] = readJournal(join(runsDir, runId, JOURNAL_FILE)).records;
    // The Services' load balancers were made in the cluster's region ...
    const hostnames = Object.values((JSON.parse(r.stdout) as { loadBalancers: Record<string, string> }).loadBalancers);
    assert.ok(hostnames.length > 0, r.stdout.slice(0, 1500));
    // (moto names an NLB <name>-1.<region>.elb.amazonaws.com, AWS <name>-<id>.elb.<region>.amazonaws.com)
    for (const h of hostnames) assert.match(h, /\.(eu-west-1\.elb|elb\.eu-west-1)\.amazonaws\.com$/, h);
    // ... teardown asked that region, and waited there until ELBv2 showed none of them.
    const wait = records.find((x) => x.type === 'action' && x.action === 'wait-load-balancers-gone');
    assert.equal((wait as { data?: { region?: string } } | undefined)?.data?.region, 'eu-west-1');
    const gone = records.find((x) => x.type === 'note' && x.message === 'load balancers gone') as
      { data: { polls: number } } | undefined;
    assert.ok(gone && gone.data.polls > 1, `teardown polled ${gone?.data.polls} time(s): it did not wait`);
    const elb = new ElasticLoadBalancingV2Client({
      region: 'eu-west-1',
      endpoint: sb.env.AWS_ENDPOINT_URL,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    assert.deepEqual((await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? [], []);
  });
});
