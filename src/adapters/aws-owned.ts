/**
 * Everything a run owns in AWS, found across every service the modules create, and deleted
 * directly in dependency order when the OpenTofu state lost it (DESIGN.md, Ownership and safety).
 *
 * Finding: the Resource Groups Tagging API (GetResources with a tag filter) for the types it
 * covers in moto 5.2 as on AWS (EC2 VPCs, subnets, route tables, internet and NAT gateways,
 * security groups, network interfaces; KMS keys; ELBv2 load balancers and target groups), each
 * then confirmed by its own service (the tagging index lags behind deletions on AWS, and keeps
 * `deleted` NAT gateways and keys pending deletion); per-service describes for what moto's tagging
 * backend does not return (checked: Elastic IPs, IAM roles, EKS clusters and node groups, ECR
 * repositories).
 *
 * Deleting: in the order cloud-nuke uses, so nothing is refused for a dependency that is about to
 * go: load balancers (listeners first) and target groups; EKS node groups, then clusters; NAT
 * gateways (until deleted), then their Elastic IPs; network interfaces (the ones ELB owns cannot be
 * deleted by anyone: waited for); security groups (references from other groups revoked first);
 * subnets; route tables; internet gateways (detached); VPCs; apart from the network, IAM roles,
 * KMS keys (scheduled for deletion, 7 days, the shortest AWS allows) and ECR repositories.
 * Every wait has a deadline and the caller's AbortSignal.
 *
 * The calls of one service live in its client beside this file (./aws/); what is here is the
 * policy: what counts as owned, the order, the retries while something still depends on a
 * resource, and the waits (EC2's and EKS's deletions, whose steps are waits, are still here).
 */
import type * as Ec2Sdk from '@aws-sdk/client-ec2';
import { InfrastructureError, InterruptedError } from '../errors.ts';
import { OWNER_TAG } from '../suite/render.ts';
import { sleep } from '../util/sleep.ts';
import { awsErrorName, callAws, chunk } from './aws-calls.ts';
import type { RegionClients, RegionContext } from './aws/clients.ts';
import { describeEc2, FILTER_VALUES_MAX, type Ec2Item } from './aws/ec2.ts';
import { listRepositories } from './aws/ecr.ts';
import { listClusters } from './aws/eks.ts';
import { deleteLoadBalancer, deleteTargetGroup } from './aws/elbv2.ts';
import { deleteRole, listRoles } from './aws/iam.ts';
import { liveKeys, scheduleKeyDeletion } from './aws/kms.ts';
import { taggedWith } from './aws/tagging.ts';
import { GLOBAL_REGION, nameOf, tagMap, type CloudResource, type OwnedKind, type Tags } from './aws/resource.ts';

/** How {@link deleteOwned} waits, and whom it tells. */
export interface DeleteOwnedOptions {
  signal?: AbortSignal;
  /** Deadline of the whole deletion (waits for NAT gateways, EKS, lingering interfaces); default 20 min. */
  deadlineMs?: number;
  /** Time between polls of a wait; default 5000. */
  pollMs?: number;
  /** Called just before a resource's deletion starts (the journal's `action` record). */
  onDeleting?: (resource: CloudResource) => void;
  /** Called once AWS said it is deleted (or already gone). */
  onDeleted?: (resource: CloudResource) => void;
  onFailed?: (resource: CloudResource, err: Error) => void;
}

/** What {@link deleteOwned} did. */
export interface DeleteOwnedResult {
  deleted: CloudResource[];
  failed: { resource: CloudResource; message: string }[];
}

/** The order of deletion (cloud-nuke's): what depends on another kind goes first. */
export const DELETION_ORDER: readonly OwnedKind[] = [
  'elbv2-load-balancer',
  'elbv2-target-group',
  'eks-nodegroup',
  'eks-cluster',
  'ec2-nat-gateway',
  'ec2-eip',
  'ec2-network-interface',
  'ec2-security-group',
  'ec2-subnet',
  'ec2-route-table',
  'ec2-internet-gateway',
  'ec2-vpc',
  'iam-role',
  'kms-key',
  'ecr-repository',
];

/** The resource types asked of the tagging API: the ones moto 5.2's tagging backend returns. */
const TAGGING_TYPES = [
  'ec2:vpc',
  'ec2:subnet',
  'ec2:route-table',
  'ec2:internet-gateway',
  'ec2:natgateway',
  'ec2:security-group',
  'ec2:network-interface',
  'kms:key',
  'elasticloadbalancing:loadbalancer',
  'elasticloadbalancing:targetgroup',
];

/** Failures that mean "something still depends on it; it may go once that does". */
const IN_USE = new Set(['DependencyViolation', 'ResourceInUse', 'ResourceInUseException', 'InvalidIPAddress.InUse']);

/** Whether a resource's tags make it the run's (any run's when runId is undefined). */
export function ownedBy(runId: string | undefined): (tags: Tags) => boolean {
  return (tags) => (runId === undefined ? Object.hasOwn(tags, OWNER_TAG) : tags[OWNER_TAG] === runId);
}

// ------------------------------------------------------------------------------------ finding

/**
 * Everything carrying bench.dev/run-id (=runId; any value when undefined) in the context's
 * region, IAM roles included when `global` (default true).
 */
export async function findOwnedResources(
  ctx: RegionContext,
  runId: string | undefined,
  options: { signal?: AbortSignal; global?: boolean } = {},
): Promise<CloudResource[]> {
  const { signal } = options;
  const match = ownedBy(runId);
  const [tagged, eips, roles, clusters, repositories] = await Promise.all([
    taggedResources(ctx, runId, signal),
    listAddresses(ctx, runId, signal),
    options.global === false ? Promise.resolve([]) : listRoles(ctx, signal),
    listClusters(ctx, signal),
    listRepositories(ctx, signal),
  ]);
  const found = [...tagged, ...eips, ...roles, ...clusters, ...repositories].filter((r) => match(r.tags));
  return sortForDeletion(found);
}

/** GetResources for the tagging API's types, each confirmed (and given its VPC) by its own service. */
async function taggedResources(ctx: RegionContext, runId: string | undefined, signal?: AbortSignal) {
  const { region } = ctx;
  const mappings = await taggedWith(ctx, OWNER_TAG, runId, TAGGING_TYPES, signal);
  const raw = mappings.flatMap((m) => fromArn(m.arn, region, m.tags) ?? []);
  const byKind = groupBy(raw, (r) => r.kind);
  const confirmed = await Promise.all(
    [...byKind].map(async ([kind, items]) => {
      if (kind === 'kms-key') return liveKeys(ctx, items, signal);
      if (kind.startsWith('ec2-')) return confirmEc2(ctx, kind, items, signal);
      // ELBv2: a deletion is seen at once by DescribeTags; deleteOwned treats "not found" as gone.
      return items;
    }),
  );
  return confirmed.flat();
}

/** A resource from its ARN (the kinds the tagging API is asked for); undefined for other types. */
function fromArn(arn: string, region: string, tags: Tags): CloudResource | undefined {
  const [, , service, , , resource = ''] = arn.split(':');
  const parts = resource.split('/');
  const type = parts[0];
  const ec2Kinds: Record<string, OwnedKind> = {
    vpc: 'ec2-vpc',
    subnet: 'ec2-subnet',
    'route-table': 'ec2-route-table',
    'internet-gateway': 'ec2-internet-gateway',
    natgateway: 'ec2-nat-gateway',
    'security-group': 'ec2-security-group',
    'network-interface': 'ec2-network-interface',
  };
  if (service === 'ec2' && type && ec2Kinds[type] && parts[1])
    return { kind: ec2Kinds[type], id: parts[1], name: nameOf(tags, parts[1]), region, tags };
  if (service === 'kms' && type === 'key' && parts[1])
    return { kind: 'kms-key', id: parts[1], name: nameOf(tags, parts[1]), region, tags };
  // loadbalancer/net/<name>/<id>, targetgroup/<name>/<id>
  if (service === 'elasticloadbalancing' && type === 'loadbalancer')
    return { kind: 'elbv2-load-balancer', id: arn, name: parts[2] ?? arn, region, tags };
  if (service === 'elasticloadbalancing' && type === 'targetgroup')
    return { kind: 'elbv2-target-group', id: arn, name: parts[1] ?? arn, region, tags };
  return undefined;
}

const ID_FILTER: Partial<Record<OwnedKind, string>> = {
  'ec2-vpc': 'vpc-id',
  'ec2-subnet': 'subnet-id',
  'ec2-route-table': 'route-table-id',
  'ec2-internet-gateway': 'internet-gateway-id',
  'ec2-nat-gateway': 'nat-gateway-id',
  'ec2-security-group': 'group-id',
  'ec2-network-interface': 'network-interface-id',
};

async function confirmEc2(ctx: RegionContext, kind: OwnedKind, items: CloudResource[], signal?: AbortSignal) {
  const filter = ID_FILTER[kind] as string;
  const found = new Map<string, Ec2Item>();
  for (const batch of chunk(
    items.map((i) => i.id),
    FILTER_VALUES_MAX,
  ))
    for (const item of await describeEc2(ctx, ctx.region, kind, [{ Name: filter, Values: batch }], signal))
      found.set(item.id, item);
  return items.flatMap((r) => {
    const item = found.get(r.id);
    if (!item?.live) return [];
    return [{ ...r, tags: item.tags, name: nameOf(item.tags, r.id), ...(item.vpcId ? { vpcId: item.vpcId } : {}) }];
  });
}

/** Elastic IPs (moto's tagging backend does not return them): DescribeAddresses by tag. */
async function listAddresses(ctx: RegionContext, runId: string | undefined, signal?: AbortSignal) {
  const { region } = ctx;
  const { ec2, ec2Sdk } = await ctx.clients(region);
  const Filters =
    runId === undefined ? [{ Name: 'tag-key', Values: [OWNER_TAG] }] : [{ Name: `tag:${OWNER_TAG}`, Values: [runId] }];
  const out = await callAws({ call: 'ec2:DescribeAddresses', region, signal }, () =>
    ec2.send(new ec2Sdk.DescribeAddressesCommand({ Filters }), { abortSignal: signal }),
  );
  return (out.Addresses ?? []).flatMap((a): CloudResource[] => {
    if (!a.AllocationId) return [];
    const tags = tagMap(a.Tags);
    return [{ kind: 'ec2-eip', id: a.AllocationId, name: nameOf(tags, a.PublicIp ?? a.AllocationId), region, tags }];
  });
}

/** Sorted by {@link DELETION_ORDER}, stable within a kind. */
export function sortForDeletion(resources: CloudResource[]): CloudResource[] {
  const rank = (r: CloudResource) => DELETION_ORDER.indexOf(r.kind);
  return [...resources].sort((a, b) => rank(a) - rank(b));
}

// --------------------------------------------- load-balancer interfaces and controller groups

// ----------------------------------------------------------------------------------- deleting

interface Waits {
  signal?: AbortSignal | undefined;
  deadlineAt: number;
  pollMs: number;
}

/** Polls until `done` answers true; InfrastructureError at the deadline, InterruptedError on abort. */
async function waitUntil(what: string, done: () => Promise<boolean>, w: Waits): Promise<void> {
  for (;;) {
    if (w.signal?.aborted) throw new InterruptedError(`interrupted while waiting for ${what}`);
    if (await done()) return;
    const left = w.deadlineAt - performance.now();
    if (left <= 0)
      throw new InfrastructureError('E_AWS_WAIT_DEADLINE', `gave up waiting for ${what}: the deadline passed`, {
        fix: 'run `bench cleanup` again later; AWS may need more time',
        data: { what },
      });
    await sleep(
      Math.min(w.pollMs, left),
      w.signal,
      () => new InterruptedError(`interrupted while waiting for ${what}`),
    );
  }
}

/** Runs `act` again while AWS says something still depends on the resource, until the deadline. */
async function whileInUse(act: () => Promise<unknown>, w: Waits): Promise<void> {
  for (;;) {
    try {
      await act();
      return;
    } catch (err) {
      if (!IN_USE.has(awsErrorName(err)) || performance.now() + w.pollMs > w.deadlineAt) throw err;
    }
    await sleep(w.pollMs, w.signal, () => new InterruptedError('interrupted while waiting for a dependency to go'));
  }
}

/** Whether an interface belongs to a load balancer (ELB's own: nobody else may delete it). */
function isElbInterface(eni: Ec2Sdk.NetworkInterface): boolean {
  return (
    (eni.Description ?? '').startsWith('ELB ') ||
    eni.InterfaceType === 'network_load_balancer' ||
    eni.InterfaceType === 'gateway_load_balancer' ||
    (eni.RequesterManaged === true && eni.RequesterId === 'amazon-elb')
  );
}

/**
 * Deletes the given resources in {@link DELETION_ORDER}. A failure does not stop the others (it is
 * reported; what depended on it then fails too, each with its own message); an abort does.
 */
export async function deleteOwned(
  ctx: RegionContext,
  resources: CloudResource[],
  options: DeleteOwnedOptions = {},
): Promise<DeleteOwnedResult> {
  const w: Waits = {
    signal: options.signal,
    deadlineAt: performance.now() + (options.deadlineMs ?? 20 * 60_000),
    pollMs: options.pollMs ?? 5000,
  };
  const result: DeleteOwnedResult = { deleted: [], failed: [] };
  const groupsToDelete = new Set(resources.filter((r) => r.kind === 'ec2-security-group').map((r) => r.id));
  let referencesRevoked = false;
  for (const r of sortForDeletion(resources)) {
    if (options.signal?.aborted) throw new InterruptedError(`interrupted before deleting ${r.kind} ${r.id}`);
    options.onDeleting?.(r);
    try {
      if (r.kind === 'ec2-security-group' && !referencesRevoked) {
        referencesRevoked = true;
        await revokeReferences(ctx, resources, groupsToDelete, w);
      }
      await deleteOne(ctx, r, w);
      result.deleted.push(r);
      options.onDeleted?.(r);
    } catch (err) {
      if (err instanceof InterruptedError) throw err;
      const message = (err as Error).message;
      result.failed.push({ resource: r, message });
      options.onFailed?.(r, err as Error);
    }
  }
  return result;
}

/** The region whose clients act on a resource (IAM's global roles: the adapter's own). */
const regionFor = (ctx: RegionContext, r: CloudResource) => (r.region === GLOBAL_REGION ? ctx.region : r.region);

async function deleteOne(ctx: RegionContext, r: CloudResource, w: Waits): Promise<void> {
  const region = regionFor(ctx, r);
  const c = await ctx.clients(region);
  const { signal } = w;
  const call = <T>(name: string, run: () => Promise<T>) =>
    callAws({ call: name, region: r.region, signal }, run, () => undefined);
  const opts = { abortSignal: signal };
  switch (r.kind) {
    case 'elbv2-load-balancer':
      await deleteLoadBalancer(ctx, region, r.id, signal);
      return;
    case 'elbv2-target-group':
      // In use until the load balancer deleted just before has let go of it.
      await whileInUse(() => deleteTargetGroup(ctx, region, r.id, signal), w);
      return;
    case 'eks-nodegroup': {
      const [clusterName = '', nodegroupName = ''] = splitOnce(r.id, '/');
      await deleteNodegroup(c, region, clusterName, nodegroupName, w);
      return;
    }
    case 'eks-cluster': {
      const { eks, eksSdk } = c;
      // A node group the list did not carry (another run's tag, or none) would block the cluster
      // for good; it lives in a cluster of this run, so it goes with it.
      const groups =
        (
          await call('eks:ListNodegroups', () =>
            eks.send(new eksSdk.ListNodegroupsCommand({ clusterName: r.id }), opts),
          )
        )?.nodegroups ?? [];
      for (const ng of groups) await deleteNodegroup(c, region, r.id, ng, w);
      await whileInUse(
        () => call('eks:DeleteCluster', () => eks.send(new eksSdk.DeleteClusterCommand({ name: r.id }), opts)),
        w,
      );
      await waitUntil(
        `EKS cluster ${r.id} to be deleted`,
        async () =>
          (await call('eks:DescribeCluster', () =>
            eks.send(new eksSdk.DescribeClusterCommand({ name: r.id }), opts),
          )) === undefined,
        w,
      );
      return;
    }
    case 'ec2-nat-gateway': {
      const { ec2, ec2Sdk } = c;
      await call('ec2:DeleteNatGateway', () =>
        ec2.send(new ec2Sdk.DeleteNatGatewayCommand({ NatGatewayId: r.id }), opts),
      );
      // Its Elastic IP is released next, which AWS refuses while the NAT gateway holds it.
      await waitUntil(
        `NAT gateway ${r.id} to be deleted`,
        async () => {
          const items = await describeEc2(
            ctx,
            region,
            'ec2-nat-gateway',
            [{ Name: 'nat-gateway-id', Values: [r.id] }],
            signal,
          );
          return items.every((i) => i.id !== r.id || !i.live);
        },
        w,
      );
      return;
    }
    case 'ec2-eip': {
      const { ec2, ec2Sdk } = c;
      const found = await call('ec2:DescribeAddresses', () =>
        ec2.send(new ec2Sdk.DescribeAddressesCommand({ AllocationIds: [r.id] }), opts),
      );
      const address = found?.Addresses?.[0];
      if (!address) return;
      if (address.AssociationId) {
        const AssociationId = address.AssociationId;
        await call('ec2:DisassociateAddress', () =>
          ec2.send(new ec2Sdk.DisassociateAddressCommand({ AssociationId }), opts),
        );
      }
      await whileInUse(
        () =>
          call('ec2:ReleaseAddress', () => ec2.send(new ec2Sdk.ReleaseAddressCommand({ AllocationId: r.id }), opts)),
        w,
      );
      return;
    }
    case 'ec2-network-interface': {
      const { ec2, ec2Sdk } = c;
      const describe = async () =>
        (
          await call('ec2:DescribeNetworkInterfaces', () =>
            ec2.send(
              new ec2Sdk.DescribeNetworkInterfacesCommand({
                Filters: [{ Name: 'network-interface-id', Values: [r.id] }],
              }),
              opts,
            ),
          )
        )?.NetworkInterfaces?.[0];
      const eni = await describe();
      if (!eni) return;
      if (isElbInterface(eni)) {
        // Nobody may delete ELB's interfaces; they go minutes after their load balancer.
        await waitUntil(`network interface ${r.id} (${eni.Description}) to go`, async () => !(await describe()), w);
        return;
      }
      if (eni.Attachment?.AttachmentId) {
        const AttachmentId = eni.Attachment.AttachmentId;
        await call('ec2:DetachNetworkInterface', () =>
          ec2.send(new ec2Sdk.DetachNetworkInterfaceCommand({ AttachmentId, Force: true }), opts),
        );
        await waitUntil(
          `network interface ${r.id} to be detached`,
          async () => ((await describe())?.Status ?? 'available') === 'available',
          w,
        );
      }
      await whileInUse(
        () =>
          call('ec2:DeleteNetworkInterface', () =>
            ec2.send(new ec2Sdk.DeleteNetworkInterfaceCommand({ NetworkInterfaceId: r.id }), opts),
          ),
        w,
      );
      return;
    }
    case 'ec2-security-group': {
      const { ec2, ec2Sdk } = c;
      await whileInUse(
        () =>
          call('ec2:DeleteSecurityGroup', () =>
            ec2.send(new ec2Sdk.DeleteSecurityGroupCommand({ GroupId: r.id }), opts),
          ),
        w,
      );
      return;
    }
    case 'ec2-subnet': {
      const { ec2, ec2Sdk } = c;
      // In use while an interface (e.g. a lingering load balancer's) is still in it.
      await whileInUse(
        () => call('ec2:DeleteSubnet', () => ec2.send(new ec2Sdk.DeleteSubnetCommand({ SubnetId: r.id }), opts)),
        w,
      );
      return;
    }
    case 'ec2-route-table': {
      const { ec2, ec2Sdk } = c;
      const found = await call('ec2:DescribeRouteTables', () =>
        ec2.send(
          new ec2Sdk.DescribeRouteTablesCommand({ Filters: [{ Name: 'route-table-id', Values: [r.id] }] }),
          opts,
        ),
      );
      const table = found?.RouteTables?.[0];
      if (!table) return;
      for (const a of table.Associations ?? []) {
        if (a.Main || !a.RouteTableAssociationId) continue;
        const AssociationId = a.RouteTableAssociationId;
        await call('ec2:DisassociateRouteTable', () =>
          ec2.send(new ec2Sdk.DisassociateRouteTableCommand({ AssociationId }), opts),
        );
      }
      await whileInUse(
        () =>
          call('ec2:DeleteRouteTable', () =>
            ec2.send(new ec2Sdk.DeleteRouteTableCommand({ RouteTableId: r.id }), opts),
          ),
        w,
      );
      return;
    }
    case 'ec2-internet-gateway': {
      const { ec2, ec2Sdk } = c;
      const found = await call('ec2:DescribeInternetGateways', () =>
        ec2.send(
          new ec2Sdk.DescribeInternetGatewaysCommand({ Filters: [{ Name: 'internet-gateway-id', Values: [r.id] }] }),
          opts,
        ),
      );
      const igw = found?.InternetGateways?.[0];
      if (!igw) return;
      for (const a of igw.Attachments ?? []) {
        const VpcId = a.VpcId;
        if (!VpcId) continue;
        // Refused while an address in the VPC is still mapped (a NAT gateway going): retried.
        await whileInUse(
          () =>
            call('ec2:DetachInternetGateway', () =>
              ec2.send(new ec2Sdk.DetachInternetGatewayCommand({ InternetGatewayId: r.id, VpcId }), opts),
            ),
          w,
        );
      }
      await call('ec2:DeleteInternetGateway', () =>
        ec2.send(new ec2Sdk.DeleteInternetGatewayCommand({ InternetGatewayId: r.id }), opts),
      );
      return;
    }
    case 'ec2-vpc': {
      const { ec2, ec2Sdk } = c;
      await whileInUse(
        () => call('ec2:DeleteVpc', () => ec2.send(new ec2Sdk.DeleteVpcCommand({ VpcId: r.id }), opts)),
        w,
      );
      return;
    }
    case 'iam-role':
      await deleteRole(ctx, region, r.id, signal);
      return;
    case 'kms-key':
      await scheduleKeyDeletion(ctx, region, r.id, signal);
      return;
    case 'ecr-repository': {
      const { ecr, ecrSdk } = c;
      await call('ecr:DeleteRepository', () =>
        ecr.send(new ecrSdk.DeleteRepositoryCommand({ repositoryName: r.id, force: true }), opts),
      );
      return;
    }
  }
}

async function deleteNodegroup(
  c: RegionClients,
  region: string,
  clusterName: string,
  nodegroupName: string,
  w: Waits,
): Promise<void> {
  const { eks, eksSdk } = c;
  const opts = { abortSignal: w.signal };
  const call = <T>(name: string, run: () => Promise<T>) =>
    callAws({ call: name, region, signal: w.signal }, run, () => undefined);
  await whileInUse(
    () =>
      call('eks:DeleteNodegroup', () =>
        eks.send(new eksSdk.DeleteNodegroupCommand({ clusterName, nodegroupName }), opts),
      ),
    w,
  );
  await waitUntil(
    `EKS node group ${clusterName}/${nodegroupName} to be deleted`,
    async () =>
      (await call('eks:DescribeNodegroup', () =>
        eks.send(new eksSdk.DescribeNodegroupCommand({ clusterName, nodegroupName }), opts),
      )) === undefined,
    w,
  );
}

/**
 * Rules of any group in the VPCs concerned that name a group about to be deleted: AWS refuses to
 * delete a group another group's rule references, so those rules go first.
 */
async function revokeReferences(
  ctx: RegionContext,
  resources: CloudResource[],
  doomed: Set<string>,
  w: Waits,
): Promise<void> {
  const groups = resources.filter((r) => r.kind === 'ec2-security-group');
  const byRegion = groupBy(groups, (g) => regionFor(ctx, g));
  for (const [region, inRegion] of byRegion) {
    const { ec2, ec2Sdk } = await ctx.clients(region);
    const vpcs = [...new Set(inRegion.map((g) => g.vpcId).filter((v): v is string => !!v))];
    const Filters =
      vpcs.length > 0 ? [{ Name: 'vpc-id', Values: vpcs }] : [{ Name: 'group-id', Values: inRegion.map((g) => g.id) }];
    const page = await callAws({ call: 'ec2:DescribeSecurityGroups', region, signal: w.signal }, () =>
      ec2.send(new ec2Sdk.DescribeSecurityGroupsCommand({ Filters }), { abortSignal: w.signal }),
    );
    for (const sg of page.SecurityGroups ?? []) {
      const GroupId = sg.GroupId;
      if (!GroupId) continue;
      const naming = (perms: Ec2Sdk.IpPermission[] | undefined) =>
        (perms ?? [])
          .map((p) => ({
            ...p,
            UserIdGroupPairs: (p.UserIdGroupPairs ?? []).filter((u) => doomed.has(u.GroupId ?? '')),
          }))
          .filter((p) => p.UserIdGroupPairs.length > 0)
          .map((p) => ({ ...p, IpRanges: [], Ipv6Ranges: [], PrefixListIds: [] }));
      const ingress = naming(sg.IpPermissions);
      const egress = naming(sg.IpPermissionsEgress);
      if (ingress.length > 0)
        await callAws(
          { call: 'ec2:RevokeSecurityGroupIngress', region, signal: w.signal },
          () =>
            ec2.send(new ec2Sdk.RevokeSecurityGroupIngressCommand({ GroupId, IpPermissions: ingress }), {
              abortSignal: w.signal,
            }),
          () => undefined,
        );
      if (egress.length > 0)
        await callAws(
          { call: 'ec2:RevokeSecurityGroupEgress', region, signal: w.signal },
          () =>
            ec2.send(new ec2Sdk.RevokeSecurityGroupEgressCommand({ GroupId, IpPermissions: egress }), {
              abortSignal: w.signal,
            }),
          () => undefined,
        );
    }
  }
}

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + sep.length)];
}
