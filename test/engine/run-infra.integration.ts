import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import {
  CreateLoadBalancerCommand,
  DeleteLoadBalancerCommand,
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { createAwsResources } from '../../src/adapters/aws-resources.ts';
import { prepareRun } from '../../src/engine/run/context.ts';
import { bringUpInfrastructure, tearDownRun } from '../../src/engine/run/infrastructure.ts';
import { InfrastructureError } from '../../src/errors.ts';
import { cleanupRun } from '../../src/engine/cleanup.ts';
import { listAllRuns, type ListResult } from '../../src/engine/list.ts';
import { appliedResource } from '../../src/phases/deploy.ts';
import { aliveResources, Journal, readJournal, type JournalRecord } from '../../src/run/journal.ts';
import { createRunDir, JOURNAL_FILE } from '../../src/run/run-dir.ts';
import { LB_TAGS_ANNOTATION, RUN_ID_LABEL } from '../../src/suite/render.ts';
import { sandboxBin } from '../harness/paths.ts';
import { eventually, startTestSandbox, type TestSandbox } from '../harness/sandbox.ts';
import { ROOT, runCli } from '../helpers/cli.ts';
import { copySuite } from '../helpers/suite-fixture.ts';
import { tempDir } from '../helpers/tmp.ts';

const POLL_MS = 1000;
const LB_DELAY_S = 3;

describe('provision, connect and load-balancer-safe teardown on the local cloud', () => {
  let sb: TestSandbox;
  let env: NodeJS.ProcessEnv;
  const runsDir = tempDir('bench-runs-');
  let aws: { elb: ElasticLoadBalancingV2Client; ec2: EC2Client };

  before(async () => {
    sb = await startTestSandbox({ lbDeletionDelaySeconds: LB_DELAY_S });
    env = { ...process.env, BENCH_SANDBOX_DIR: sb.dir, BENCH_TOFU_BIN: sandboxBin('tofu'), BENCH_RUNS_DIR: runsDir };
    const config = {
      region: 'eu-central-1',
      endpoint: sb.env.AWS_ENDPOINT_URL,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    };
    aws = { elb: new ElasticLoadBalancingV2Client(config), ec2: new EC2Client(config) };
  });
  after(async () => {
    await sb?.stop();
  });

  const journalOf = (runId: string): JournalRecord[] => readJournal(join(runsDir, runId, JOURNAL_FILE)).records;
  const ownedBy = (runId: string) =>
    createAwsResources('eu-central-1', sb.env as unknown as NodeJS.ProcessEnv).findOwned(runId);
  const taggedVpcs = async (runId: string) =>
    (await aws.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:bench.dev/run-id', Values: [runId] }] })))
      .Vpcs ?? [];

  it('waits for the NLB to be gone before tofu destroy, and ends within two polls of its deletion', async () => {
    const ctx = await prepareRun({ suite: 'thyme', target: 'sandbox', env, runsDir, lbPollMs: POLL_MS });
    const infra = await bringUpInfrastructure(ctx);
    assert.equal(infra.outputs?.endpoint, sb.env.BENCH_SANDBOX_API_SERVER);
    assert.equal((await taggedVpcs(ctx.runId)).length, 1, 'the VPC exists in moto');

    // What deploy will do: a LoadBalancer Service labelled and annotated for the run.
    const core = sb.kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'lgtm', labels: { [RUN_ID_LABEL]: ctx.runId } } } });
    await core.createNamespacedService({
      namespace: 'lgtm',
      body: {
        metadata: {
          name: 'grafana',
          labels: { [RUN_ID_LABEL]: ctx.runId },
          annotations: { [LB_TAGS_ANNOTATION]: `bench.dev/run-id=${ctx.runId}` },
        },
        spec: { type: 'LoadBalancer', selector: { app: 'lgtm' }, ports: [{ port: 3000 }] },
      },
    });
    const hostname = await eventually('the NLB exists', async () => {
      const s = await core.readNamespacedService({ name: 'grafana', namespace: 'lgtm' });
      return s.status?.loadBalancer?.ingress?.[0]?.hostname;
    });
    const nlbExists = async () =>
      ((await aws.elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? []).some(
        (l) => l.DNSName === hostname,
      );
    assert.ok(await nlbExists());

    // Watch moto on the side to know when the NLB really disappeared.
    let nlbGoneAt: number | undefined;
    const watcher = (async () => {
      while (nlbGoneAt === undefined) {
        if (!(await nlbExists())) nlbGoneAt = Date.now();
        else await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const result = await tearDownRun(ctx, infra);
    await watcher;

    const records = journalOf(ctx.runId);
    const at = (pred: (r: JournalRecord) => boolean) => Date.parse(records.find(pred)?.t ?? 'invalid');
    const lbGone = at((r) => r.type === 'note' && r.message === 'load balancers gone');
    const destroyStart = at((r) => r.type === 'action' && r.action === 'tofu-destroy');
    const servicesDeleted = at((r) => r.type === 'action' && r.action === 'delete-load-balancer-objects');
    assert.ok(servicesDeleted < lbGone && lbGone <= destroyStart, 'Services deleted, then NLB gone, then destroy');
    assert.ok(nlbGoneAt !== undefined && nlbGoneAt <= destroyStart, 'moto had no NLB before tofu destroy started');
    assert.ok(lbGone - nlbGoneAt <= 2 * POLL_MS, `teardown saw it ${lbGone - nlbGoneAt} ms after deletion`);
    assert.ok(result.loadBalancersWaitedMs >= (LB_DELAY_S - 1) * 1000, 'it did wait for the delayed deletion');
    assert.deepEqual(await ownedBy(ctx.runId), []);
    assert.deepEqual(await taggedVpcs(ctx.runId), []);
    assert.deepEqual(
      aliveResources(records).filter((r) => r.kind === 'tofu-state'),
      [],
    );
  });

  it('after a SIGKILL right after provisioning, `bench cleanup <run-id>` leaves nothing in moto and an empty state', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'test/fixtures/scripts/provision-then-wait.ts')], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const runId = await eventually('the child provisioned', async () => /READY (\S+)/.exec(out)?.[1], 120_000, 250);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.equal((await taggedVpcs(runId)).length, 1, 'the crashed run left its VPC');
    const listed = JSON.parse(runCli('bench', ['list', '--json'], { env }).stdout) as {
      runs: { runId: string; status: string; aliveResources: unknown[] }[];
    };
    assert.equal(listed.runs.find((r) => r.runId === runId)?.status, 'crashed');

    const r = runCli('bench', ['cleanup', runId], { env });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`Run ${runId} cleaned up`));
    assert.deepEqual(await ownedBy(runId), []);
    assert.deepEqual(await taggedVpcs(runId), []);
    const state = JSON.parse(readFileSync(join(runsDir, runId, 'tofu', 'terraform.tfstate'), 'utf8')) as {
      resources: unknown[];
    };
    assert.deepEqual(state.resources, []);
    assert.ok(!(r.stdout + r.stderr).includes('testing'), 'no credential printed');
  });

  it('`bench cleanup --orphans` finds a tagged NLB left behind and leaves an untagged one alone', async () => {
    const vpc = (await aws.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'isDefault', Values: ['true'] }] })))
      .Vpcs?.[0];
    const subnets = (
      (
        await aws.ec2.send(
          new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc?.VpcId as string] }] }),
        )
      ).Subnets ?? []
    ).map((s) => s.SubnetId as string);
    const create = async (name: string, tags: Record<string, string>) =>
      (
        await aws.elb.send(
          new CreateLoadBalancerCommand({
            Name: name,
            Type: 'network',
            Subnets: subnets.slice(0, 2),
            Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
          }),
        )
      ).LoadBalancers?.[0]?.LoadBalancerArn as string;
    const tagged = await create('left-behind', {
      'bench.dev/run-id': 'thyme-20261121-000000-dead',
      'kubernetes.io/service-name': 'lgtm/grafana',
    });
    const untagged = await create('somebody-elses', { team: 'payments' });
    const names = async () =>
      ((await aws.elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? []).map((l) => l.LoadBalancerName);

    const dry = runCli('bench', ['cleanup', '--orphans', '--target', 'sandbox', '--region', 'eu-central-1'], { env });
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, /elbv2-load-balancer\s+left-behind\s+eu-central-1\s+thyme-20261121-000000-dead/);
    assert.doesNotMatch(dry.stdout, /somebody-elses/);
    assert.match(dry.stdout, /Nothing was deleted\. Add --yes/);
    // Shown once (with the question, which nobody at a terminal answers here), not again after it.
    assert.equal(dry.stdout.match(/left-behind/g)?.length, 1, dry.stdout);
    assert.deepEqual((await names()).sort(), ['left-behind', 'somebody-elses']);

    const yes = runCli(
      'bench',
      ['cleanup', '--orphans', '--target', 'sandbox', '--region', 'eu-central-1', '--yes', '--json'],
      { env },
    );
    assert.equal(yes.status, 0, yes.stderr);
    const body = JSON.parse(yes.stdout) as { deleted: string[] };
    assert.deepEqual(body.deleted, [`elbv2-load-balancer ${tagged}`]);
    assert.deepEqual(await names(), ['somebody-elses']);
    await aws.elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: untagged }));
  });

  it('`bench list --verify` asks the cluster about what the journal shows alive; `bench cleanup` clears what is absent', async () => {
    const runId = 'thyme-20261203-020000-beef';
    const core = sb.kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'verify-me', labels: { [RUN_ID_LABEL]: runId } } } });
    await core.createNamespacedConfigMap({ namespace: 'verify-me', body: { metadata: { name: 'here' } } });
    // A run that crashed after deploying: a namespace with an object in it, an object that is
    // already gone (removed by hand), and a cluster-wide one that is gone too.
    const journal = Journal.open(join(createRunDir(runsDir, runId), JOURNAL_FILE));
    journal.append({
      type: 'run-start',
      runId,
      suite: 'thyme',
      target: 'sandbox',
      pid: 2 ** 22 + 99,
      host: 'elsewhere',
      // As every run writes it (the record is validated when read).
      options: {
        suiteDir: join(ROOT, 'manifests/thyme'),
        region: 'eu-central-1',
        clusterName: `thyme-${runId}`,
        ecrRepositories: [],
        lbPollMs: POLL_MS,
      },
    });
    const objects = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'verify-me' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'here', namespace: 'verify-me' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'gone-by-hand', namespace: 'default' } },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'never-there' } },
    ];
    for (const o of objects) journal.append({ type: 'resource-created', resource: appliedResource(o) });
    journal.close();

    const verified = (await listAllRuns({ runsDir, env, verify: true })).runs.find((r) => r.runId === runId);
    assert.equal(verified?.verified?.problem, undefined, JSON.stringify(verified?.verified));
    assert.deepEqual(Object.fromEntries((verified?.verified?.resources ?? []).map((r) => [r.id, r.exists])), {
      'Namespace verify-me': true,
      'ConfigMap verify-me/here': true,
      'ConfigMap default/gone-by-hand': false,
      'ClusterRole never-there': false,
    });
    const human = runCli('bench', ['list', '--verify'], { env });
    assert.equal(human.status, 0, human.stderr);
    assert.match(human.stdout, new RegExp(`${runId}: 2 of 4 still exist, 2 gone`));
    assert.match(human.stdout, /exists: kube-object ConfigMap verify-me\/here/);
    // Without --verify nothing is asked: the journal's word.
    const offline = (await listAllRuns({ runsDir, env })).runs.find((r) => r.runId === runId);
    assert.equal(offline?.verified, undefined);
    assert.equal(offline?.aliveResources.length, 4);

    await cleanupRun({ runId, runsDir, env });
    await assert.rejects(
      core.readNamespace({ name: 'verify-me' }),
      (err: unknown) => (err as { code?: number }).code === 404,
    );
    const records = journalOf(runId);
    assert.deepEqual(aliveResources(records), []);
    const evidence = Object.fromEntries(
      records.flatMap((r) => (r.type === 'resource-deleted' ? [[r.resource.id, r.evidence]] : [])),
    );
    assert.deepEqual(evidence, {
      'ClusterRole never-there': 'deleted',
      'Namespace verify-me': 'deleted',
      'ConfigMap verify-me/here': 'namespace-gone',
      'ConfigMap default/gone-by-hand': 'absent',
    });
    const listed = JSON.parse(runCli('bench', ['list', '--json'], { env }).stdout) as ListResult;
    assert.deepEqual(listed.runs.find((r) => r.runId === runId)?.aliveResources, []);
  });

  it('a tofu failure halfway through apply destroys what was created and fails with exit code 3', async () => {
    const markers = join(tempDir('bench-markers-'), 'm');
    mkdirSync(markers);
    const suiteDir = copySuite('thyme', (y) =>
      y.replace(
        / {2}sandbox:\n {4}module: infra\/sandbox\n {4}region: eu-central-1\n {4}variables:\n/,
        `  sandbox:\n    module: ${join(ROOT, 'test/fixtures/provision-fail')}\n    region: eu-central-1\n    variables:\n      marker_dir: ${markers}\n`,
      ),
    );
    const ctx = await prepareRun({ suite: suiteDir, target: 'sandbox', env, runsDir });
    await assert.rejects(
      bringUpInfrastructure(ctx),
      (err: unknown) =>
        err instanceof InfrastructureError &&
        err.exitCode === 3 &&
        /simulated failure: quota exceeded/.test(err.message),
    );
    assert.deepEqual(readdirSync(markers), [], 'the resource created before the failure was destroyed');
    const records = journalOf(ctx.runId);
    assert.ok(
      records.some((r) => r.type === 'error' && r.phase === 'provision' && /simulated failure/.test(r.message)),
    );
    assert.ok(records.some((r) => r.type === 'action' && r.action === 'tofu-destroy-after-failed-apply'));
    assert.deepEqual(aliveResources(records), []);
    assert.ok(existsSync(join(runsDir, ctx.runId, 'tofu')));
  });

  it("on an existing cluster (--target kube) provisions nothing and waits for the Services' finalizers", async () => {
    const kubeEnv = { ...env, KUBECONFIG: sb.env.KUBECONFIG };
    const ctx = await prepareRun({ suite: 'thyme', target: 'kube', context: 'bench-sandbox', env: kubeEnv, runsDir });
    assert.equal(ctx.tofuPlan, undefined);
    const infra = await bringUpInfrastructure(ctx);
    assert.equal(infra.tofu, undefined);
    const core = sb.kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'kube-target', labels: { [RUN_ID_LABEL]: ctx.runId } } } });
    await core.createNamespacedService({
      namespace: 'kube-target',
      body: {
        metadata: { name: 'web', labels: { [RUN_ID_LABEL]: ctx.runId } },
        spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80 }] },
      },
    });
    await eventually(
      'the Service has its load balancer',
      async () =>
        (await core.readNamespacedService({ name: 'web', namespace: 'kube-target' })).status?.loadBalancer
          ?.ingress?.[0],
    );
    const started = Date.now();
    const result = await tearDownRun(ctx, infra);
    assert.ok(Date.now() - started >= (LB_DELAY_S - 1) * 1000, 'teardown waited for the finalizer');
    assert.deepEqual(result.deletedKubeObjects, ['Service kube-target/web', 'Namespace kube-target']);
    await assert.rejects(
      core.readNamespacedService({ name: 'web', namespace: 'kube-target' }),
      (err: unknown) => (err as { code?: number }).code === 404,
    );
    assert.equal(result.destroyAttempts, 0, 'nothing to destroy on an existing cluster');
  });

  it("empties the run's ECR repository before tofu destroy removes it", async () => {
    const { ECRClient, PutImageCommand, DescribeRepositoriesCommand } = await import('@aws-sdk/client-ecr');
    const ecr = new ECRClient({
      region: 'eu-central-1',
      endpoint: sb.env.AWS_ENDPOINT_URL,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    const ctx = await prepareRun({
      suite: 'thyme',
      target: 'sandbox',
      env,
      runsDir,
      lbPollMs: POLL_MS,
      variables: { create_ecr_repository: 'true' },
    });
    assert.deepEqual(ctx.record.ecrRepositories, ['thyme']);
    const infra = await bringUpInfrastructure(ctx);
    assert.equal(infra.outputs?.ecrRepositoryUrl, '123456789012.dkr.ecr.eu-central-1.amazonaws.com/thyme');
    for (let i = 0; i < 3; i++) {
      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        config: {
          mediaType: 'application/vnd.docker.container.image.v1+json',
          size: 1,
          digest: `sha256:${String(i).repeat(64)}`,
        },
        layers: [
          {
            mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
            size: 1,
            digest: `sha256:${String(i + 3).repeat(64)}`,
          },
        ],
      });
      await ecr.send(new PutImageCommand({ repositoryName: 'thyme', imageManifest: manifest, imageTag: `build-${i}` }));
    }
    const result = await tearDownRun(ctx, infra);
    assert.equal(result.ecrImagesDeleted, 3);
    const records = journalOf(ctx.runId);
    const ecrAt = Date.parse(records.find((r) => r.type === 'action' && r.action === 'delete-ecr-images')?.t ?? '');
    const destroyAt = Date.parse(records.find((r) => r.type === 'action' && r.action === 'tofu-destroy')?.t ?? '');
    assert.ok(ecrAt <= destroyAt);
    await assert.rejects(
      ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['thyme'] })),
      (err: unknown) => (err as Error).name === 'RepositoryNotFoundException',
    );
  });
});
