import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateNetworkInterfaceCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeAddressesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  type ResourceType,
} from '@aws-sdk/client-ec2';
import { CreateRoleCommand, IAMClient, ListRolesCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateKeyCommand, DescribeKeyCommand, KMSClient, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import {
  CreateRepositoryCommand,
  DescribeImagesCommand,
  ECRClient,
  ListImagesCommand,
  PutImageCommand,
} from '@aws-sdk/client-ecr';
import { CreateClusterCommand, CreateNodegroupCommand, DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeleteLoadBalancerCommand,
  DeleteTargetGroupCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  createAwsResources,
  findOwnedInRegions,
  type AwsRequestRecord,
  type AwsResources,
} from '../../src/adapters/aws-resources.ts';
import { BenchError, InfrastructureError, InterruptedError } from '../../src/errors.ts';
import {
  listOwnedLoadBalancers,
  listOwnedTargetGroups,
  waitForLoadBalancersGone,
} from '../../src/phases/teardown-waits.ts';
import { startMoto, type Moto } from '../harness/moto.ts';
import { ROOT } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';

const REGION = 'eu-central-1';
const OWNER = 'bench.dev/run-id';

type Tags = Record<string, string>;
const toSdkTags = (tags: Tags) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

describe('aws-resources (against moto)', () => {
  let moto: Moto;
  let elb: ElasticLoadBalancingV2Client;
  let ecr: ECRClient;
  let eks: EKSClient;
  let vpcId: string;
  let subnetIds: string[];
  let requests: AwsRequestRecord[];
  let aws: AwsResources;
  let counter = 0;

  before(async () => {
    moto = await startMoto(REGION);
    const config = {
      region: REGION,
      endpoint: moto.endpoint,
      credentials: { accessKeyId: moto.env.AWS_ACCESS_KEY_ID ?? '', secretAccessKey: 'testing' },
    };
    elb = new ElasticLoadBalancingV2Client(config);
    ecr = new ECRClient(config);
    eks = new EKSClient(config);
    const ec2 = new EC2Client(config);
    vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }))).Vpc?.VpcId ?? '';
    subnetIds = [];
    for (const [i, az] of ['a', 'b'].entries()) {
      const subnet = await ec2.send(
        new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.20.${i}.0/24`, AvailabilityZone: `${REGION}${az}` }),
      );
      subnetIds.push(subnet.Subnet?.SubnetId ?? '');
    }
    ec2.destroy();
    requests = [];
    // A small ELBv2 page size, so that the listings below go over several pages.
    aws = createAwsResources(REGION, moto.env, { onRequest: (r) => requests.push(r), elbPageSize: 10 });
  });

  after(async () => {
    for (const c of [elb, ecr, eks]) c?.destroy();
    await moto?.stop();
  });

  /** A unique, valid ELBv2 name (32 characters at most). */
  const uniqueName = (prefix: string) => `${prefix}-${++counter}`.slice(0, 32);

  async function createNlb(tags: Tags, prefix = 'nlb'): Promise<string> {
    const out = await elb.send(
      new CreateLoadBalancerCommand({
        Name: uniqueName(prefix),
        Type: 'network',
        Scheme: 'internet-facing',
        Subnets: subnetIds,
        ...(Object.keys(tags).length > 0 ? { Tags: toSdkTags(tags) } : {}),
      }),
    );
    const arn = out.LoadBalancers?.[0]?.LoadBalancerArn;
    assert.ok(arn);
    return arn;
  }

  async function createTargetGroup(tags: Tags): Promise<string> {
    const out = await elb.send(
      new CreateTargetGroupCommand({
        Name: uniqueName('tg'),
        Protocol: 'TCP',
        Port: 30080,
        VpcId: vpcId,
        TargetType: 'instance',
        ...(Object.keys(tags).length > 0 ? { Tags: toSdkTags(tags) } : {}),
      }),
    );
    const arn = out.TargetGroups?.[0]?.TargetGroupArn;
    assert.ok(arn);
    return arn;
  }

  const ids = (resources: { id: string }[]) => resources.map((r) => r.id).sort();

  describe('listLoadBalancers / listTargetGroups', () => {
    it('finds NLBs by run id, by kubernetes.io/cluster/<name> and by elbv2.k8s.aws/cluster, never untagged ones', async () => {
      const byRun = await createNlb({ [OWNER]: 'run-list', 'bench.dev/managed-by': 'bench' });
      const byInTree = await createNlb({ 'kubernetes.io/cluster/c1': 'owned', 'kubernetes.io/service-name': 'ns/a' });
      const byShared = await createNlb({ 'kubernetes.io/cluster/c1': 'shared' });
      const byLbc = await createNlb({ 'elbv2.k8s.aws/cluster': 'c1' });
      // Near misses: another cluster whose name starts alike, another run, no tags at all.
      const others = [
        await createNlb({ 'kubernetes.io/cluster/c10': 'owned', 'elbv2.k8s.aws/cluster': 'c10' }),
        await createNlb({ [OWNER]: 'run-list-2' }),
        await createNlb({}),
      ];

      const forRun = await listOwnedLoadBalancers(aws, { runId: 'run-list' });
      assert.deepEqual(ids(forRun), [byRun]);
      assert.equal(forRun[0]?.kind, 'elbv2-load-balancer');
      assert.equal(forRun[0]?.region, REGION);
      assert.match(forRun[0]?.name ?? '', /^nlb-\d+$/);
      assert.deepEqual(forRun[0]?.tags, { [OWNER]: 'run-list', 'bench.dev/managed-by': 'bench' });

      const forCluster = await listOwnedLoadBalancers(aws, { clusterName: 'c1' });
      assert.deepEqual(ids(forCluster), [byInTree, byShared, byLbc].sort());

      const forBoth = await listOwnedLoadBalancers(aws, { runId: 'run-list', clusterName: 'c1' });
      assert.deepEqual(ids(forBoth), [byRun, byInTree, byShared, byLbc].sort());
      for (const arn of others) assert.ok(!ids(forBoth).includes(arn));
    });

    it('batches DescribeTags by 20 ARNs and follows DescribeLoadBalancers pages (25+ NLBs)', async () => {
      const tagged: string[] = [];
      for (let i = 0; i < 25; i++) {
        if (i % 2 === 0) tagged.push(await createNlb({ [OWNER]: 'run-many' }, 'many'));
        else await createNlb({}, 'many');
      }
      requests.length = 0;
      const found = await listOwnedLoadBalancers(aws, { runId: 'run-many' });
      assert.deepEqual(ids(found), tagged.sort());

      const total = (await elb.send(new DescribeLoadBalancersCommand({ PageSize: 400 }))).LoadBalancers?.length ?? 0;
      assert.ok(total > 25);
      const describeTags = requests.filter((r) => r.command === 'DescribeTagsCommand');
      const arnsPerCall = describeTags.map((r) => (r.input.ResourceArns as string[]).length);
      assert.ok(
        arnsPerCall.every((n) => n <= 20),
        `DescribeTags got ${arnsPerCall.join(', ')} ARNs`,
      );
      assert.equal(
        arnsPerCall.reduce((a, b) => a + b, 0),
        total,
        'every load balancer had its tags looked at',
      );
      assert.equal(describeTags.length, Math.ceil(total / 20));
      const pages = requests.filter((r) => r.command === 'DescribeLoadBalancersCommand');
      assert.equal(pages.length, Math.ceil(total / 10), 'one request per page of 10');
      assert.ok(pages.slice(1).every((p) => typeof p.input.Marker === 'string'));
    });

    it('finds target groups with the same ownership rules', async () => {
      const byRun = await createTargetGroup({ [OWNER]: 'run-tg' });
      const byCluster = await createTargetGroup({ 'kubernetes.io/cluster/c-tg': 'owned' });
      const byLbc = await createTargetGroup({ 'elbv2.k8s.aws/cluster': 'c-tg' });
      const untagged = await createTargetGroup({});
      const found = await listOwnedTargetGroups(aws, { runId: 'run-tg', clusterName: 'c-tg' });
      assert.deepEqual(ids(found), [byRun, byCluster, byLbc].sort());
      assert.ok(found.every((r) => r.kind === 'elbv2-target-group'));
      assert.ok(!ids(found).includes(untagged));
    });

    it('refuses an empty ownership filter instead of matching everything', async () => {
      await assert.rejects(listOwnedLoadBalancers(aws, {}), (err: unknown) => err instanceof BenchError);
      await assert.rejects(listOwnedTargetGroups(aws, { runId: '' }), (err: unknown) => err instanceof BenchError);
    });
  });

  describe('waitForLoadBalancersGone', () => {
    it('resolves once the deletion is seen, having seen it coming', async () => {
      const lb = await createNlb({ [OWNER]: 'run-wait' });
      const tg = await createTargetGroup({ [OWNER]: 'run-wait' });
      const deletionDelay = 1500;
      const pollMs = 250;
      const started = performance.now();
      let deletedAt = 0;
      const timer = setTimeout(() => {
        void (async () => {
          await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb }));
          await elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: tg }));
          deletedAt = performance.now() - started;
        })();
      }, deletionDelay);
      const seen: number[] = [];
      try {
        const { waitedMs, polls } = await waitForLoadBalancersGone(
          aws,
          { runId: 'run-wait' },
          { deadlineMs: 20_000, pollMs, onPoll: (remaining) => seen.push(remaining.length) },
        );
        assert.ok(deletedAt > 0, 'the wait ended after the deletion');
        assert.ok(waitedMs >= deletionDelay, `waited ${waitedMs} ms`);
        // That the wait ends at the first look after the deletion is the unit tier's (fake clock,
        // test/util/poll-until.test.ts): a wall-clock bound here only measures the machine's load.
        assert.ok(polls > 1);
        assert.equal(seen.length, polls);
        assert.equal(seen[0], 2, 'the first poll saw the load balancer and its target group');
        assert.equal(seen.at(-1), 0);
      } finally {
        clearTimeout(timer);
      }
    });

    it('resolves after exactly one poll when nothing is tagged', async () => {
      const started = performance.now();
      const { polls, waitedMs } = await waitForLoadBalancersGone(
        aws,
        { runId: 'run-nothing', clusterName: 'no-such-cluster' },
        { deadlineMs: 10_000, pollMs: 5_000 },
      );
      assert.equal(polls, 1);
      assert.ok(waitedMs < 2_000 && performance.now() - started < 2_000, 'no sleep before the first poll');
    });

    it('rejects at the deadline with E_LB_WAIT_DEADLINE naming what is left', async () => {
      const lb = await createNlb({ 'kubernetes.io/cluster/stuck': 'owned' });
      const started = performance.now();
      await assert.rejects(
        waitForLoadBalancersGone(aws, { clusterName: 'stuck' }, { deadlineMs: 1_000, pollMs: 250 }),
        (err: unknown) => {
          assert.ok(err instanceof InfrastructureError);
          assert.equal(err.code, 'E_LB_WAIT_DEADLINE');
          assert.ok(err.message.includes(lb), err.message);
          assert.ok(err.fix);
          assert.deepEqual(
            (err.data?.remaining as { id: string }[]).map((r) => r.id),
            [lb],
          );
          return true;
        },
      );
      const elapsed = performance.now() - started;
      assert.ok(elapsed >= 950 && elapsed < 2_500, `rejected after ${elapsed} ms`);
    });

    it('rejects with InterruptedError promptly when the signal aborts', async () => {
      await createNlb({ [OWNER]: 'run-abort' });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      let started = performance.now();
      await assert.rejects(
        waitForLoadBalancersGone(
          aws,
          { runId: 'run-abort' },
          { deadlineMs: 60_000, pollMs: 5_000, signal: controller.signal },
        ),
        InterruptedError,
      );
      assert.ok(performance.now() - started < 1_000, 'the abort ended the wait at once');

      started = performance.now();
      let polls = 0;
      await assert.rejects(
        waitForLoadBalancersGone(
          aws,
          { runId: 'run-abort' },
          { deadlineMs: 60_000, signal: AbortSignal.abort(), onPoll: () => polls++ },
        ),
        InterruptedError,
      );
      assert.equal(polls, 0, 'an aborted signal makes no call');
      assert.ok(performance.now() - started < 500);
    });
  });

  describe('deleteLoadBalancer / deleteTargetGroup', () => {
    it('deletes a load balancer with its listeners, then its target group; missing ones are no error', async () => {
      const lb = await createNlb({ [OWNER]: 'run-del' });
      const tg = await createTargetGroup({ [OWNER]: 'run-del' });
      await elb.send(
        new CreateListenerCommand({
          LoadBalancerArn: lb,
          Protocol: 'TCP',
          Port: 80,
          DefaultActions: [{ Type: 'forward', TargetGroupArn: tg }],
        }),
      );
      await aws.deleteLoadBalancer(lb);
      await aws.deleteTargetGroup(tg);
      assert.deepEqual(await listOwnedLoadBalancers(aws, { runId: 'run-del' }), []);
      assert.deepEqual(await listOwnedTargetGroups(aws, { runId: 'run-del' }), []);
      const left = (await elb.send(new DescribeTargetGroupsCommand({}))).TargetGroups ?? [];
      assert.ok(!left.some((g) => g.TargetGroupArn === tg));
      // Again: already gone.
      await aws.deleteLoadBalancer(lb);
      await aws.deleteTargetGroup(tg);
    });
  });

  describe('deleteEcrImages', () => {
    it('deletes 230 images in batches of at most 100', async () => {
      const repositoryName = 'bench/images';
      await ecr.send(new CreateRepositoryCommand({ repositoryName }));
      const put = (i: number) => {
        // A minimal image manifest. moto derives the image digest from the layer digests alone
        // (all images without layers would be one image), so each gets a layer of its own.
        const digest = (what: string) => `sha256:${createHash('sha256').update(`${what}-${i}`).digest('hex')}`;
        const imageManifest = JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
          config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 100, digest: digest('config') },
          layers: [
            { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 100, digest: digest('layer') },
          ],
        });
        return ecr.send(new PutImageCommand({ repositoryName, imageManifest, imageTag: `v${i}` }));
      };
      for (let i = 0; i < 230; i += 23) await Promise.all(Array.from({ length: 23 }, (_, k) => put(i + k)));
      assert.equal((await ecr.send(new ListImagesCommand({ repositoryName }))).imageIds?.length, 230);

      requests.length = 0;
      assert.equal(await aws.deleteEcrImages(repositoryName), 230);
      assert.deepEqual((await ecr.send(new ListImagesCommand({ repositoryName }))).imageIds ?? [], []);
      assert.deepEqual((await ecr.send(new DescribeImagesCommand({ repositoryName }))).imageDetails ?? [], []);
      const batches = requests.filter((r) => r.command === 'BatchDeleteImageCommand');
      assert.equal(batches.length, 3);
      assert.deepEqual(
        batches.map((b) => (b.input.imageIds as unknown[]).length),
        [100, 100, 30],
      );
      // Nothing left: nothing to do.
      assert.equal(await aws.deleteEcrImages(repositoryName), 0);
    });

    it('returns 0 for a missing repository', async () => {
      assert.equal(await aws.deleteEcrImages('no/such-repository'), 0);
    });
  });

  describe('findOwned', () => {
    it('finds what carries the ownership tag, for one run or for any, never untagged resources', async () => {
      const run = 'run-owned';
      const tags = { [OWNER]: run, 'bench.dev/managed-by': 'bench' };
      const lb = await createNlb(tags);
      const tg = await createTargetGroup(tags);
      await ecr.send(new CreateRepositoryCommand({ repositoryName: 'owned/app', tags: toSdkTags(tags) }));
      const eksCluster = (name: string, clusterTags: Tags) =>
        eks.send(
          new CreateClusterCommand({
            name,
            roleArn: 'arn:aws:iam::123456789012:role/eks',
            resourcesVpcConfig: { subnetIds },
            ...(Object.keys(clusterTags).length > 0 ? { tags: clusterTags } : {}),
          }),
        );
      await eksCluster('owned-cluster', tags);
      // Another run's, and nobody's.
      const otherLb = await createNlb({ [OWNER]: 'run-other' });
      await ecr.send(
        new CreateRepositoryCommand({ repositoryName: 'other/app', tags: toSdkTags({ [OWNER]: 'run-other' }) }),
      );
      await eksCluster('other-cluster', { [OWNER]: 'run-other' });
      const untaggedLb = await createNlb({});
      await ecr.send(new CreateRepositoryCommand({ repositoryName: 'untagged/app' }));
      await eksCluster('untagged-cluster', {});
      await eksCluster('cluster-tagged-only', { 'kubernetes.io/cluster/x': 'owned' });

      const mine = await aws.findOwned(run);
      assert.deepEqual(
        mine.map((r) => `${r.kind} ${r.id}`).sort(),
        [
          `elbv2-load-balancer ${lb}`,
          `elbv2-target-group ${tg}`,
          'ecr-repository owned/app',
          'eks-cluster owned-cluster',
        ].sort(),
      );
      assert.ok(mine.every((r) => r.region === REGION && r.tags[OWNER] === run));
      assert.equal(mine.find((r) => r.kind === 'ecr-repository')?.name, 'owned/app');

      const any = await aws.findOwned(undefined);
      const anyIds = any.map((r) => r.id);
      for (const id of [lb, tg, 'owned/app', 'owned-cluster', otherLb, 'other/app', 'other-cluster'])
        assert.ok(anyIds.includes(id), `${id} is found without a run id`);
      for (const id of [untaggedLb, 'untagged/app', 'untagged-cluster', 'cluster-tagged-only'])
        assert.ok(!anyIds.includes(id), `${id} carries no ownership tag`);
      assert.ok(any.every((r) => OWNER in r.tags));

      const acrossRegions = await findOwnedInRegions([REGION, 'us-west-2', REGION], run, moto.env);
      assert.deepEqual(ids(acrossRegions), ids(mine));
    });
  });

  describe('findOwned in every service, deleteOwned in dependency order', () => {
    const run = 'run-net';
    const tagSpec = (type: ResourceType, tags: Tags) => [{ ResourceType: type, Tags: toSdkTags(tags) }];
    let ec2: EC2Client;
    let iam: IAMClient;
    let kms: KMSClient;
    before(() => {
      const config = {
        region: REGION,
        endpoint: moto.endpoint,
        credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      };
      ec2 = new EC2Client(config);
      iam = new IAMClient(config);
      kms = new KMSClient(config);
    });
    after(() => {
      for (const c of [ec2, iam, kms]) c?.destroy();
    });

    /** A whole network as infra/aws makes it (plus what a controller adds), tagged for `tags`. */
    async function leakNetwork(tags: Tags, cidr: string) {
      const t = { ...tags, Name: 'leaked' };
      const vpc = (
        await ec2.send(new CreateVpcCommand({ CidrBlock: `${cidr}.0.0/16`, TagSpecifications: tagSpec('vpc', t) }))
      ).Vpc?.VpcId as string;
      const subnets: string[] = [];
      for (const [i, az] of ['a', 'b'].entries())
        subnets.push(
          (
            await ec2.send(
              new CreateSubnetCommand({
                VpcId: vpc,
                CidrBlock: `${cidr}.${i}.0/24`,
                AvailabilityZone: `${REGION}${az}`,
                TagSpecifications: tagSpec('subnet', t),
              }),
            )
          ).Subnet?.SubnetId as string,
        );
      const igw = (
        await ec2.send(new CreateInternetGatewayCommand({ TagSpecifications: tagSpec('internet-gateway', t) }))
      ).InternetGateway?.InternetGatewayId as string;
      await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpc }));
      const rt = (
        await ec2.send(new CreateRouteTableCommand({ VpcId: vpc, TagSpecifications: tagSpec('route-table', t) }))
      ).RouteTable?.RouteTableId as string;
      await ec2.send(new AssociateRouteTableCommand({ RouteTableId: rt, SubnetId: subnets[0] }));
      const eip = (
        await ec2.send(new AllocateAddressCommand({ Domain: 'vpc', TagSpecifications: tagSpec('elastic-ip', t) }))
      ).AllocationId as string;
      const nat = (
        await ec2.send(
          new CreateNatGatewayCommand({
            SubnetId: subnets[0],
            AllocationId: eip,
            TagSpecifications: tagSpec('natgateway', t),
          }),
        )
      ).NatGateway?.NatGatewayId as string;
      const sgA = (
        await ec2.send(
          new CreateSecurityGroupCommand({
            GroupName: `a-${cidr}`,
            Description: 'a',
            VpcId: vpc,
            TagSpecifications: tagSpec('security-group', t),
          }),
        )
      ).GroupId as string;
      const sgB = (
        await ec2.send(
          new CreateSecurityGroupCommand({
            GroupName: `b-${cidr}`,
            Description: 'b',
            VpcId: vpc,
            TagSpecifications: tagSpec('security-group', t),
          }),
        )
      ).GroupId as string;
      // A references B: B cannot go on AWS until that rule is revoked.
      await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: sgA,
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, UserIdGroupPairs: [{ GroupId: sgB }] }],
        }),
      );
      const eni = (
        await ec2.send(
          new CreateNetworkInterfaceCommand({
            SubnetId: subnets[1],
            Groups: [sgA],
            TagSpecifications: tagSpec('network-interface', t),
          }),
        )
      ).NetworkInterface?.NetworkInterfaceId as string;
      return { vpc, subnets, igw, rt, eip, nat, sgs: [sgA, sgB], eni };
    }

    it('finds each kind tagged with the run, ignores other runs and untagged ones, and deletes the whole leaked network so moto holds none of it', async () => {
      const tags = { [OWNER]: run };
      const net = await leakNetwork(tags, '10.40');
      const other = await leakNetwork({ [OWNER]: 'run-net-other' }, '10.41');
      const untaggedVpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.42.0.0/16' }))).Vpc?.VpcId as string;
      const role = 'run-net-cluster';
      await iam.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: '{}', Tags: toSdkTags(tags) }));
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: role,
          PolicyName: 'inline',
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 'ec2:DescribeVpcs', Resource: '*' }],
          }),
        }),
      );
      await iam.send(new CreateRoleCommand({ RoleName: 'run-net-untagged', AssumeRolePolicyDocument: '{}' }));
      const kmsTags = Object.entries(tags).map(([TagKey, TagValue]) => ({ TagKey, TagValue }));
      const key = (await kms.send(new CreateKeyCommand({ Tags: kmsTags }))).KeyMetadata?.KeyId as string;
      const pending = (await kms.send(new CreateKeyCommand({ Tags: kmsTags }))).KeyMetadata?.KeyId as string;
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: pending, PendingWindowInDays: 7 }));
      await eks.send(
        new CreateClusterCommand({
          name: 'run-net-eks',
          roleArn: `arn:aws:iam::123456789012:role/${role}`,
          resourcesVpcConfig: { subnetIds: net.subnets },
          tags,
        }),
      );
      await eks.send(
        new CreateNodegroupCommand({
          clusterName: 'run-net-eks',
          nodegroupName: 'nodes',
          subnets: net.subnets,
          nodeRole: `arn:aws:iam::123456789012:role/${role}`,
          tags,
        }),
      );
      await ecr.send(new CreateRepositoryCommand({ repositoryName: 'run-net/app', tags: toSdkTags(tags) }));
      const lb = await createNlb(tags);
      const tg = await createTargetGroup(tags);

      const found = await aws.findOwned(run);
      const byKind = (kind: string) =>
        found
          .filter((r) => r.kind === kind)
          .map((r) => r.id)
          .sort();
      assert.deepEqual(byKind('ec2-vpc'), [net.vpc]);
      assert.deepEqual(byKind('ec2-subnet'), [...net.subnets].sort());
      assert.deepEqual(byKind('ec2-route-table'), [net.rt]);
      assert.deepEqual(byKind('ec2-internet-gateway'), [net.igw]);
      assert.deepEqual(byKind('ec2-nat-gateway'), [net.nat]);
      assert.deepEqual(byKind('ec2-eip'), [net.eip]);
      assert.deepEqual(byKind('ec2-security-group'), [...net.sgs].sort());
      assert.deepEqual(byKind('ec2-network-interface'), [net.eni]);
      assert.deepEqual(byKind('iam-role'), [role]);
      assert.deepEqual(byKind('kms-key'), [key], 'a key pending deletion counts as gone');
      assert.deepEqual(byKind('eks-cluster'), ['run-net-eks']);
      assert.deepEqual(byKind('eks-nodegroup'), ['run-net-eks/nodes']);
      assert.deepEqual(byKind('ecr-repository'), ['run-net/app']);
      assert.deepEqual(byKind('elbv2-load-balancer'), [lb]);
      assert.deepEqual(byKind('elbv2-target-group'), [tg]);
      assert.equal(found.find((r) => r.kind === 'iam-role')?.region, 'global');
      assert.ok(found.every((r) => r.tags[OWNER] === run));
      const ids = new Set(found.map((r) => r.id));
      for (const id of [other.vpc, other.nat, other.eip, ...other.sgs, untaggedVpc, 'run-net-untagged'])
        assert.ok(!ids.has(id), `${id} is not the run's`);
      const anyRun = new Set((await aws.findOwned(undefined)).map((r) => r.id));
      assert.ok(anyRun.has(other.vpc) && anyRun.has(net.vpc) && !anyRun.has(untaggedVpc));
      // The tagging API is asked for what it covers; IAM is asked once across regions.
      requests.length = 0;
      const across = await findOwnedInRegions([REGION, 'us-west-2'], run, moto.env);
      assert.equal(across.filter((r) => r.kind === 'iam-role').length, 1);

      const order: string[] = [];
      const before: string[] = [];
      const result = await aws.deleteOwned(found, {
        pollMs: 100,
        deadlineMs: 60_000,
        onDeleting: (r) => before.push(r.kind),
        onDeleted: (r) => order.push(r.kind),
      });
      assert.deepEqual(result.failed, []);
      assert.equal(result.deleted.length, found.length);
      assert.deepEqual(before, order);
      const firstOf = (k: string) => order.indexOf(k);
      for (const [a, b] of [
        ['elbv2-load-balancer', 'elbv2-target-group'],
        ['eks-nodegroup', 'eks-cluster'],
        ['ec2-nat-gateway', 'ec2-eip'],
        ['ec2-eip', 'ec2-network-interface'],
        ['ec2-network-interface', 'ec2-security-group'],
        ['ec2-security-group', 'ec2-subnet'],
        ['ec2-subnet', 'ec2-route-table'],
        ['ec2-route-table', 'ec2-internet-gateway'],
        ['ec2-internet-gateway', 'ec2-vpc'],
      ])
        assert.ok(firstOf(a as string) < firstOf(b as string), `${a} before ${b}: ${order.join(', ')}`);

      // Asked back from moto directly.
      const vpcFilter = [{ Name: 'vpc-id', Values: [net.vpc] }];
      assert.deepEqual((await ec2.send(new DescribeVpcsCommand({ Filters: vpcFilter }))).Vpcs ?? [], []);
      assert.deepEqual((await ec2.send(new DescribeSubnetsCommand({ Filters: vpcFilter }))).Subnets ?? [], []);
      assert.deepEqual(
        (await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'route-table-id', Values: [net.rt] }] })))
          .RouteTables ?? [],
        [],
      );
      assert.deepEqual(
        (
          await ec2.send(
            new DescribeInternetGatewaysCommand({ Filters: [{ Name: 'internet-gateway-id', Values: [net.igw] }] }),
          )
        ).InternetGateways ?? [],
        [],
      );
      const nats =
        (await ec2.send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'nat-gateway-id', Values: [net.nat] }] })))
          .NatGateways ?? [];
      assert.ok(
        nats.every((n) => n.State === 'deleted'),
        JSON.stringify(nats.map((n) => n.State)),
      );
      const eips = (await ec2.send(new DescribeAddressesCommand({}))).Addresses ?? [];
      assert.ok(!eips.some((a) => a.AllocationId === net.eip));
      assert.ok(
        eips.some((a) => a.AllocationId === other.eip),
        "another run's address stays",
      );
      assert.deepEqual(
        (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-id', Values: net.sgs }] })))
          .SecurityGroups ?? [],
        [],
      );
      assert.deepEqual(
        (
          await ec2.send(
            new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'network-interface-id', Values: [net.eni] }] }),
          )
        ).NetworkInterfaces ?? [],
        [],
      );
      assert.ok(!((await iam.send(new ListRolesCommand({}))).Roles ?? []).some((r) => r.RoleName === role));
      assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: key }))).KeyMetadata?.KeyState, 'PendingDeletion');
      await assert.rejects(eks.send(new DescribeClusterCommand({ name: 'run-net-eks' })));
      assert.deepEqual(await aws.findOwned(run), []);
      assert.equal(
        (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'vpc-id', Values: [other.vpc] }] }))).Vpcs?.length,
        1,
      );
    });
  });

  describe('loading', () => {
    it('importing the module loads no AWS SDK; using it does', () => {
      const hook = join(ROOT, 'test/helpers/record-imports.mjs');
      const modulesLoadedBy = (code: string, env: Record<string, string> = {}) => {
        const log = join(tempDir(), 'imports.log');
        const r = spawnSync(process.execPath, ['--import', hook, '--input-type=module', '-e', code], {
          cwd: ROOT,
          env: { ...process.env, ...env, BENCH_IMPORT_LOG: log },
          encoding: 'utf8',
          timeout: 60_000,
        });
        assert.equal(r.status, 0, r.stderr);
        return readFileSync(log, 'utf8');
      };
      const imported = modulesLoadedBy("await import('./src/adapters/aws-resources.ts')");
      assert.ok(imported.includes('src/adapters/aws-resources.ts'), 'the recorder saw the import');
      assert.ok(!/@aws-sdk|@smithy/.test(imported), 'importing loaded an SDK');

      const used = modulesLoadedBy(
        "const m = await import('./src/adapters/aws-resources.ts');" +
          "await m.createAwsResources('eu-central-1').listLoadBalancers();",
        moto.env,
      );
      assert.ok(used.includes('@aws-sdk/client-elastic-load-balancing-v2'));
    });
  });
});
