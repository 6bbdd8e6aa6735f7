import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DescribeRepositoriesCommand, ECRClient, ListTagsForResourceCommand } from '@aws-sdk/client-ecr';
import {
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  EKSClient,
  ListClustersCommand,
  ListNodegroupsCommand,
} from '@aws-sdk/client-eks';
import {
  CreateLoadBalancerCommand,
  DeleteLoadBalancerCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { startMoto, type Moto } from '../harness/moto.ts';
import { sandboxBin, sandboxBinDir } from '../harness/paths.ts';
import { ROOT } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';
import { tofuFor, transcript, type Tofu, type TofuMessage } from './tofu.ts';
import { MODULE_OUTPUTS } from '../../src/phases/provision.ts';

const MODULE = join(ROOT, 'infra', 'sandbox');
// The virtualenv test/harness/install.sh made for moto: its python has boto3.
const PYTHON = join(sandboxBinDir(), '..', 'moto', 'bin', 'python');
const REGION = 'eu-central-1';
const CLUSTER = 'thyme-benchmark-t1';
const RUN_ID = 'r20260101-t1';
const RUN_TAG = 'bench.dev/run-id';

interface Tagged {
  id: string;
  tags: Record<string, string>;
}
interface Subnet extends Tagged {
  cidr: string;
  zone: string;
  vpc: string;
}
/** What moto's EC2, KMS and IAM hold for the run, as the Python helper below reports it. */
interface Inventory {
  vpcs: (Tagged & { cidr: string })[];
  subnets: Subnet[];
  natGateways: (Tagged & { state: string })[];
  addresses: Tagged[];
  internetGateways: Tagged[];
  routeTables: Tagged[];
  kmsKeys: { id: string; state: string }[];
  iamRoles: string[];
}

// No EC2 client is among the project's packages, so EC2 (and KMS, IAM) are read with boto3 in
// moto's virtualenv. Tags are matched here, not by server-side filters: moto ignores tag filters
// in DescribeNatGateways.
const INVENTORY_PY = `
import json, sys, boto3
run_id, region = sys.argv[1], sys.argv[2]
ec2, kms, iam = (boto3.client(name, region_name=region) for name in ("ec2", "kms", "iam"))
def tags(item): return {t["Key"]: t["Value"] for t in item.get("Tags", [])}
def mine(items, key): return [dict(id=i[key], tags=tags(i), raw=i) for i in items if tags(i).get("${RUN_TAG}") == run_id]
def plain(items): return [{k: v for k, v in i.items() if k != "raw"} for i in items]
out = {
    "vpcs": [dict(id=v["id"], tags=v["tags"], cidr=v["raw"]["CidrBlock"]) for v in mine(ec2.describe_vpcs()["Vpcs"], "VpcId")],
    "subnets": [dict(id=s["id"], tags=s["tags"], cidr=s["raw"]["CidrBlock"], zone=s["raw"]["AvailabilityZone"], vpc=s["raw"]["VpcId"]) for s in mine(ec2.describe_subnets()["Subnets"], "SubnetId")],
    "natGateways": [dict(id=n["id"], tags=n["tags"], state=n["raw"]["State"]) for n in mine(ec2.describe_nat_gateways()["NatGateways"], "NatGatewayId")],
    "addresses": plain(mine(ec2.describe_addresses()["Addresses"], "AllocationId")),
    "internetGateways": plain(mine(ec2.describe_internet_gateways()["InternetGateways"], "InternetGatewayId")),
    "routeTables": plain(mine(ec2.describe_route_tables()["RouteTables"], "RouteTableId")),
    "kmsKeys": [],
    "iamRoles": [],
}
for key in kms.list_keys()["Keys"]:
    key_tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key["KeyId"])["Tags"]}
    if key_tags.get("${RUN_TAG}") == run_id:
        out["kmsKeys"].append(dict(id=key["KeyId"], state=kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"]))
for role in iam.list_roles()["Roles"]:
    role_tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=role["RoleName"])["Tags"]}
    if role_tags.get("${RUN_TAG}") == run_id:
        out["iamRoles"].append(role["RoleName"])
print(json.dumps(out))
`;

function summary(messages: TofuMessage[], operation: string): Record<string, number | string> | undefined {
  const found = messages.find(
    (m) => m.type === 'change_summary' && (m.changes as { operation?: string } | undefined)?.operation === operation,
  );
  if (!found) return undefined;
  const { operation: _operation, ...counts } = found.changes as Record<string, number | string>;
  return counts;
}

describe('infra/sandbox on moto', { timeout: 240_000 }, () => {
  let moto: Moto;
  let tofu: Tofu;
  let vars: string;
  let eks: EKSClient;
  let ecr: ECRClient;
  let elbv2: ElasticLoadBalancingV2Client;
  let nlbArn: string | undefined;
  // Made here, not in before(): tempDir removes its directory when the enclosing suite ends.
  const work = tempDir('bench-sandbox-module-');

  const inventory = (): Inventory => {
    const result = spawnSync(PYTHON, ['-c', INVENTORY_PY, RUN_ID, REGION], {
      env: { ...process.env, ...moto.env },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(result.status, 0, `inventory failed: ${result.stderr}`);
    return JSON.parse(result.stdout) as Inventory;
  };

  const cluster = async () => {
    try {
      return (await eks.send(new DescribeClusterCommand({ name: CLUSTER }))).cluster;
    } catch (err) {
      if ((err as Error).name === 'ResourceNotFoundException') return undefined;
      throw err;
    }
  };

  const repositories = async () => {
    try {
      return (await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['thyme'] }))).repositories ?? [];
    } catch (err) {
      if ((err as Error).name === 'RepositoryNotFoundException') return [];
      throw err;
    }
  };

  before(async () => {
    moto = await startMoto(REGION);
    const client = {
      endpoint: moto.endpoint,
      region: REGION,
      credentials: {
        accessKeyId: moto.env.AWS_ACCESS_KEY_ID as string,
        secretAccessKey: moto.env.AWS_SECRET_ACCESS_KEY as string,
      },
    };
    eks = new EKSClient(client);
    ecr = new ECRClient(client);
    elbv2 = new ElasticLoadBalancingV2Client(client);
    tofu = tofuFor(MODULE, work, moto.env);
    vars = tofu.varFile({
      cluster_name: CLUSTER,
      region: REGION,
      run_id: RUN_ID,
      expires_at: '2026-01-01T06:00:00Z',
      api_server_endpoint: 'https://127.0.0.1:16443',
      api_server_ca_data: Buffer.from('-----BEGIN CERTIFICATE-----\n').toString('base64'),
      create_ecr_repository: true,
      tags: { team: 'observability' },
      python: PYTHON,
    });
    const init = tofu.run(['init', '-input=false']);
    assert.equal(init.status, 0, transcript(init));
  });

  after(async () => {
    if (nlbArn) await elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: nlbArn })).catch(() => {});
    eks?.destroy();
    ecr?.destroy();
    elbv2?.destroy();
    await moto?.stop();
  });

  it('is formatted and rejects a bad run id or node count before touching anything', () => {
    const fmt = spawnSync(sandboxBin('tofu'), ['fmt', '-check', '-recursive', MODULE], { encoding: 'utf8' });
    assert.equal(fmt.status, 0, `tofu fmt -check lists files to format:\n${fmt.stdout}`);

    const badRun = tofu.run(['plan', '-input=false', vars, '-var=run_id=Not_Valid']);
    assert.notEqual(badRun.status, 0);
    assert.match(badRun.stderr, /run_id must match/);
    const badCount = tofu.run(['plan', '-input=false', vars, '-var=node_count=0']);
    assert.notEqual(badCount.status, 0);
    assert.match(badCount.stderr, /node_count must be a whole number >= 1/);
  });

  it('creates the network, cluster, node group and repository in moto, tagged with the run id', async () => {
    const apply = tofu.run(['apply', '-auto-approve', '-input=false', '-json', vars]);
    assert.equal(apply.status, 0, transcript(apply));
    const messages = tofu.messages(apply);
    assert.deepEqual(summary(messages, 'apply'), { add: 4, change: 0, import: 0, remove: 0, forget: 0 });
    const created = messages.filter((m) => m.type === 'apply_complete').map((m) => m['@message'].split(':')[0]);
    assert.deepEqual(created.sort(), [
      'terraform_data.cluster',
      'terraform_data.ecr[0]',
      'terraform_data.network',
      'terraform_data.nodegroup',
    ]);
    assert.ok(
      messages.some((m) => m.type === 'provision_progress' && m['@message'].includes('EKS cluster thyme-benchmark-t1 is ACTIVE')),
      'the script reports its progress through tofu',
    );

    const inv = inventory();
    assert.equal(inv.vpcs.length, 1);
    const vpc = inv.vpcs[0]!;
    assert.equal(vpc.cidr, '10.0.0.0/16');
    for (const item of [vpc, ...inv.subnets, ...inv.natGateways, ...inv.addresses, ...inv.internetGateways]) {
      assert.equal(item.tags['bench.dev/expires-at'], '2026-01-01T06:00:00Z', item.id);
      assert.equal(item.tags['bench.dev/managed-by'], 'bench', item.id);
      assert.equal(item.tags.Project, 'bench', item.id);
      assert.equal(item.tags.team, 'observability', item.id);
    }
    const subnets = [...inv.subnets].sort((a, b) => a.cidr.localeCompare(b.cidr, 'en', { numeric: true }));
    assert.deepEqual(
      subnets.map((s) => [s.cidr, s.zone, s.vpc]),
      [
        ['10.0.1.0/24', 'eu-central-1a', vpc.id],
        ['10.0.2.0/24', 'eu-central-1b', vpc.id],
        ['10.0.3.0/24', 'eu-central-1c', vpc.id],
        ['10.0.11.0/24', 'eu-central-1a', vpc.id],
        ['10.0.12.0/24', 'eu-central-1b', vpc.id],
        ['10.0.13.0/24', 'eu-central-1c', vpc.id],
      ],
    );
    for (const s of subnets) {
      const isPublic = Number(s.cidr.split('.')[2]) < 10;
      assert.equal(s.tags[`kubernetes.io/cluster/${CLUSTER}`], 'shared', s.cidr);
      assert.equal(s.tags['kubernetes.io/role/elb'], isPublic ? '1' : undefined, s.cidr);
      assert.equal(s.tags['kubernetes.io/role/internal-elb'], isPublic ? undefined : '1', s.cidr);
    }
    assert.deepEqual(
      inv.natGateways.map((n) => n.state),
      ['available'],
      'one NAT gateway without nat_gateway_ha',
    );
    assert.equal(inv.addresses.length, 1);
    assert.equal(inv.internetGateways.length, 1);
    assert.equal(inv.routeTables.length, 4, 'one public route table, one private per zone');
    assert.deepEqual(
      inv.kmsKeys.map((k) => k.state),
      ['Enabled'],
    );
    assert.deepEqual(inv.iamRoles.sort(), [`${CLUSTER}-cluster`, `${CLUSTER}-node`]);

    const eksCluster = await cluster();
    assert.ok(eksCluster, 'the EKS cluster exists');
    assert.equal(eksCluster.version, '1.34');
    assert.equal(eksCluster.status, 'ACTIVE');
    assert.equal(eksCluster.tags?.[RUN_TAG], RUN_ID);
    assert.equal(eksCluster.tags?.['bench.dev/expires-at'], '2026-01-01T06:00:00Z');
    assert.deepEqual(
      [...(eksCluster.resourcesVpcConfig?.subnetIds ?? [])].sort(),
      subnets
        .filter((s) => s.tags['kubernetes.io/role/internal-elb'])
        .map((s) => s.id)
        .sort(),
    );
    assert.equal(eksCluster.encryptionConfig?.[0]?.provider?.keyArn?.endsWith(`key/${inv.kmsKeys[0]!.id}`), true);
    assert.deepEqual(eksCluster.encryptionConfig?.[0]?.resources, ['secrets']);

    const nodegroup = (
      await eks.send(new DescribeNodegroupCommand({ clusterName: CLUSTER, nodegroupName: `${CLUSTER}-nodes` }))
    ).nodegroup;
    assert.ok(nodegroup);
    assert.deepEqual(nodegroup.scalingConfig, { minSize: 3, desiredSize: 3, maxSize: 5 });
    assert.deepEqual(nodegroup.instanceTypes, ['m6i.2xlarge']);
    assert.equal(nodegroup.diskSize, 100);
    assert.equal(nodegroup.tags?.[RUN_TAG], RUN_ID);

    const [repository] = await repositories();
    assert.ok(repository, 'the ECR repository exists');
    const repoTags = (await ecr.send(new ListTagsForResourceCommand({ resourceArn: repository.repositoryArn })))
      .tags;
    assert.ok(repoTags?.some((t) => t.Key === RUN_TAG && t.Value === RUN_ID));

    const output = tofu.run(['output', '-json']);
    assert.equal(output.status, 0, transcript(output));
    const outputs = JSON.parse(output.stdout) as Record<string, { value: unknown; sensitive: boolean }>;
    assert.deepEqual(Object.keys(outputs).sort(), [...MODULE_OUTPUTS]);
    assert.equal(outputs.cluster_name?.value, CLUSTER);
    assert.equal(outputs.region?.value, REGION);
    assert.equal(outputs.cluster_endpoint?.value, 'https://127.0.0.1:16443');
    assert.equal(outputs.cluster_certificate_authority_data?.sensitive, true);
    assert.equal(outputs.ecr_repository_url?.value, repository.repositoryUri);
    assert.equal(outputs.kubernetes_version?.value, '1.34');
    assert.equal(outputs.run_id?.value, RUN_ID);
  });

  it('has nothing to do when applied again', () => {
    const plan = tofu.run(['plan', '-input=false', '-detailed-exitcode', vars]);
    assert.equal(plan.status, 0, `plan shows changes:\n${transcript(plan)}`);
    const apply = tofu.run(['apply', '-auto-approve', '-input=false', '-json', vars]);
    assert.equal(apply.status, 0, transcript(apply));
    assert.deepEqual(summary(tofu.messages(apply), 'apply'), { add: 0, change: 0, import: 0, remove: 0, forget: 0 });
    assert.equal(inventory().vpcs.length, 1, 'no second VPC');
  });

  it('adopts what an interrupted apply made in moto instead of making it twice', async () => {
    // An apply killed after the node group was made but before tofu recorded it.
    const forget = tofu.run(['state', 'rm', 'terraform_data.nodegroup']);
    assert.equal(forget.status, 0, transcript(forget));

    const apply = tofu.run(['apply', '-auto-approve', '-input=false', '-json', vars]);
    assert.equal(apply.status, 0, transcript(apply));
    const messages = tofu.messages(apply);
    assert.deepEqual(summary(messages, 'apply'), { add: 1, change: 0, import: 0, remove: 0, forget: 0 });
    assert.ok(
      messages.some((m) => m.type === 'provision_progress' && m['@message'].includes(`node group ${CLUSTER}-nodes exists`)),
      transcript(apply),
    );
    const nodegroups = (await eks.send(new ListNodegroupsCommand({ clusterName: CLUSTER }))).nodegroups;
    assert.deepEqual(nodegroups, [`${CLUSTER}-nodes`]);
  });

  it('cannot destroy the network while a load balancer of the cluster is in it, like AWS', async () => {
    const publicSubnets = inventory()
      .subnets.filter((s) => s.tags['kubernetes.io/role/elb'] === '1')
      .map((s) => s.id);
    const created = await elbv2.send(
      new CreateLoadBalancerCommand({
        Name: 'k8s-thyme-lgtm',
        Type: 'network',
        Scheme: 'internet-facing',
        Subnets: publicSubnets,
        Tags: [
          { Key: `kubernetes.io/cluster/${CLUSTER}`, Value: 'owned' },
          { Key: RUN_TAG, Value: RUN_ID },
        ],
      }),
    );
    nlbArn = created.LoadBalancers?.[0]?.LoadBalancerArn;
    assert.ok(nlbArn);

    const destroy = tofu.run(['destroy', '-auto-approve', '-input=false', vars]);
    assert.notEqual(destroy.status, 0, `destroy succeeded with a load balancer in the VPC:\n${transcript(destroy)}`);
    const output = destroy.stdout + destroy.stderr;
    assert.match(output, /DependencyViolation: The vpc 'vpc-[0-9a-f]+' has dependencies and cannot be deleted/);
    assert.match(output, /k8s-thyme-lgtm/);

    const inv = inventory();
    assert.equal(inv.vpcs.length, 1, 'the VPC is still there');
    assert.equal(inv.subnets.length, 6, 'and so are its subnets');
    assert.equal(inv.natGateways.filter((n) => n.state === 'available').length, 1, 'nothing of the network went');
    // As in AWS, the node group and the cluster do not depend on the load balancer.
    assert.equal(await cluster(), undefined);
    assert.deepEqual(await repositories(), []);
    const state = tofu.run(['state', 'list']);
    assert.equal(state.status, 0, transcript(state));
    assert.deepEqual(state.stdout.trim().split('\n'), ['terraform_data.network'], 'a retry knows what is left');
  });

  it('destroys everything of the run once the load balancer is gone', async () => {
    await elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: nlbArn }));
    nlbArn = undefined;

    const destroy = tofu.run(['destroy', '-auto-approve', '-input=false', vars]);
    assert.equal(destroy.status, 0, transcript(destroy));

    const inv = inventory();
    assert.deepEqual(inv.vpcs, []);
    assert.deepEqual(inv.subnets, []);
    assert.deepEqual(
      inv.natGateways.filter((n) => n.state !== 'deleted'),
      [],
      'deleted NAT gateways stay listed, as in AWS',
    );
    assert.deepEqual(inv.addresses, []);
    assert.deepEqual(inv.internetGateways, []);
    assert.deepEqual(inv.routeTables, []);
    assert.deepEqual(
      inv.kmsKeys.map((k) => k.state),
      ['PendingDeletion'],
      'KMS keys can only be scheduled for deletion',
    );
    assert.deepEqual(inv.iamRoles, []);
    assert.equal(await cluster(), undefined);
    assert.deepEqual(await repositories(), []);
    // No node group can outlive its cluster. (moto answers ListNodegroups of a missing cluster with a 500.)
    assert.ok(!(await eks.send(new ListClustersCommand({}))).clusters?.includes(CLUSTER));

    const state = tofu.run(['state', 'list']);
    assert.equal(state.stdout.trim(), '');
  });

  it('left nothing in the module directory', () => {
    const entries = readdirSync(MODULE).sort();
    assert.deepEqual(
      entries.filter((e) => !e.endsWith('.tf') && !['README.md', 'scripts'].includes(e)),
      [],
    );
    assert.deepEqual(readdirSync(join(MODULE, 'scripts')), ['moto_resources.py']);
    assert.equal(existsSync(join(MODULE, '.terraform.lock.hcl')), false);
  });
});
