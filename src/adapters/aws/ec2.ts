/**
 * EC2 as teardown and cleanup need it: the network kinds described by filter (so missing ids are
 * simply absent), the interfaces ELB leaves behind its load balancers, and the security groups
 * the load-balancer controllers make. The SDK's paginators; our own types.
 */
import { callAws, chunk, collectPages } from '../aws-calls.ts';
import type { RegionContext } from './clients.ts';
import { tagMap, type CloudResource, type OwnedKind, type Tags } from './resource.ts';

/** An EC2 filter (at most {@link FILTER_VALUES_MAX} values). */
export interface Ec2Filter {
  Name: string;
  Values: string[];
}

/** One EC2 resource as {@link describeEc2} returns it. */
export interface Ec2Item {
  id: string;
  vpcId?: string | undefined;
  tags: Tags;
  /** False for what is as good as gone (a NAT gateway `deleted`). */
  live: boolean;
}

/** EC2 takes at most 200 values per filter. */
export const FILTER_VALUES_MAX = 200;

/** Describes one EC2 kind in `region` by filters, every page. */
export async function describeEc2(
  ctx: RegionContext,
  region: string,
  kind: OwnedKind,
  filters: Ec2Filter[],
  signal?: AbortSignal,
): Promise<Ec2Item[]> {
  const { ec2, ec2Sdk: s } = await ctx.clients(region);
  const config = { client: ec2 };
  const input = { Filters: filters };
  const opts = { abortSignal: signal };
  const send = <T>(call: string, run: () => Promise<T>) => callAws({ call: `ec2:${call}`, region, signal }, run);
  switch (kind) {
    case 'ec2-vpc':
      return send('DescribeVpcs', () =>
        collectPages(s.paginateDescribeVpcs(config, input, opts), (p) =>
          (p.Vpcs ?? []).map((v) => ({ id: v.VpcId ?? '', vpcId: v.VpcId, tags: tagMap(v.Tags), live: true })),
        ),
      );
    case 'ec2-subnet':
      return send('DescribeSubnets', () =>
        collectPages(s.paginateDescribeSubnets(config, input, opts), (p) =>
          (p.Subnets ?? []).map((v) => ({ id: v.SubnetId ?? '', vpcId: v.VpcId, tags: tagMap(v.Tags), live: true })),
        ),
      );
    case 'ec2-route-table':
      return send('DescribeRouteTables', () =>
        collectPages(s.paginateDescribeRouteTables(config, input, opts), (p) =>
          (p.RouteTables ?? []).map((v) => ({
            id: v.RouteTableId ?? '',
            vpcId: v.VpcId,
            tags: tagMap(v.Tags),
            live: true,
          })),
        ),
      );
    case 'ec2-internet-gateway':
      return send('DescribeInternetGateways', () =>
        collectPages(s.paginateDescribeInternetGateways(config, input, opts), (p) =>
          (p.InternetGateways ?? []).map((v) => ({
            id: v.InternetGatewayId ?? '',
            vpcId: v.Attachments?.[0]?.VpcId,
            tags: tagMap(v.Tags),
            live: true,
          })),
        ),
      );
    case 'ec2-nat-gateway':
      // (DescribeNatGateways names its filters `Filter`.) `deleted` is gone (AWS lists it for about
      // an hour); `deleting` still holds its subnet and Elastic IP, so it counts until it is
      // deleted (deleteOwned waits for it).
      return send('DescribeNatGateways', () =>
        collectPages(s.paginateDescribeNatGateways(config, { Filter: filters }, opts), (p) =>
          (p.NatGateways ?? []).map((v) => ({
            id: v.NatGatewayId ?? '',
            vpcId: v.VpcId,
            tags: tagMap(v.Tags),
            live: v.State !== 'deleted' && v.State !== 'failed',
          })),
        ),
      );
    case 'ec2-security-group':
      return send('DescribeSecurityGroups', () =>
        collectPages(s.paginateDescribeSecurityGroups(config, input, opts), (p) =>
          (p.SecurityGroups ?? []).map((v) => ({
            id: v.GroupId ?? '',
            vpcId: v.VpcId,
            tags: tagMap(v.Tags),
            live: true,
          })),
        ),
      );
    case 'ec2-network-interface':
      return send('DescribeNetworkInterfaces', () =>
        collectPages(s.paginateDescribeNetworkInterfaces(config, input, opts), (p) =>
          (p.NetworkInterfaces ?? []).map((v) => ({
            id: v.NetworkInterfaceId ?? '',
            vpcId: v.VpcId,
            tags: tagMap(v.TagSet),
            live: true,
          })),
        ),
      );
    default:
      throw new Error(`internal: no EC2 describe for ${kind}`);
  }
}

/** Where the interfaces of a run's load balancers are looked for. */
export interface NetworkInterfaceFilter {
  /** Names of the load balancers seen (their interfaces are described `ELB net/<name>/<id>`). */
  loadBalancerNames: string[];
  /** The VPC to look in for any load balancer's interface (`ELB *`). */
  vpcId?: string | undefined;
}

/** The interfaces ELB made for the filter's load balancers, or for any load balancer in the VPC. */
export async function listLoadBalancerInterfaces(
  ctx: RegionContext,
  filter: NetworkInterfaceFilter,
  signal?: AbortSignal,
): Promise<CloudResource[]> {
  const { region } = ctx;
  const queries: Ec2Filter[][] = [];
  // ALBs are `ELB app/<name>/<id>`, NLBs `ELB net/<name>/<id>`; the filter takes * wildcards.
  for (const names of chunk(filter.loadBalancerNames, FILTER_VALUES_MAX / 2))
    queries.push([{ Name: 'description', Values: names.flatMap((n) => [`ELB net/${n}/*`, `ELB app/${n}/*`]) }]);
  if (filter.vpcId)
    queries.push([
      { Name: 'vpc-id', Values: [filter.vpcId] },
      { Name: 'description', Values: ['ELB *'] },
    ]);
  const found = new Map<string, CloudResource>();
  const { ec2, ec2Sdk } = await ctx.clients(region);
  for (const Filters of queries) {
    const interfaces = await callAws({ call: 'ec2:DescribeNetworkInterfaces', region, signal }, () =>
      collectPages(
        ec2Sdk.paginateDescribeNetworkInterfaces({ client: ec2 }, { Filters }, { abortSignal: signal }),
        (p) => p.NetworkInterfaces ?? [],
      ),
    );
    for (const eni of interfaces)
      if (eni.NetworkInterfaceId)
        found.set(eni.NetworkInterfaceId, {
          kind: 'ec2-network-interface',
          id: eni.NetworkInterfaceId,
          name: eni.Description ?? eni.NetworkInterfaceId,
          region,
          tags: tagMap(eni.TagSet),
          ...(eni.VpcId ? { vpcId: eni.VpcId } : {}),
        });
  }
  return [...found.values()];
}

/**
 * Security groups the load-balancer controllers made for a cluster's Services, which they do not
 * always delete and which block the VPC's deletion: the AWS Load Balancer Controller's (tagged
 * elbv2.k8s.aws/cluster=<cluster> and service.k8s.aws/resource or ingress.k8s.aws/resource) and
 * the in-tree controller's (named k8s-elb-<lb>, tagged kubernetes.io/cluster/<cluster>). Never the
 * cluster security group EKS makes (aws:eks:cluster-name), nor anything the modules create.
 */
export async function listControllerSecurityGroups(
  ctx: RegionContext,
  clusterName: string,
  signal?: AbortSignal,
): Promise<CloudResource[]> {
  const { region } = ctx;
  const { ec2, ec2Sdk } = await ctx.clients(region);
  const queries = [
    [{ Name: 'tag:elbv2.k8s.aws/cluster', Values: [clusterName] }],
    [{ Name: 'tag-key', Values: [`kubernetes.io/cluster/${clusterName}`] }],
  ];
  const found = new Map<string, CloudResource>();
  for (const Filters of queries) {
    const groups = await callAws({ call: 'ec2:DescribeSecurityGroups', region, signal }, () =>
      collectPages(
        ec2Sdk.paginateDescribeSecurityGroups({ client: ec2 }, { Filters }, { abortSignal: signal }),
        (p) => p.SecurityGroups ?? [],
      ),
    );
    for (const sg of groups) {
      const tags = tagMap(sg.Tags);
      const lbc =
        tags['elbv2.k8s.aws/cluster'] === clusterName &&
        (Object.hasOwn(tags, 'service.k8s.aws/resource') || Object.hasOwn(tags, 'ingress.k8s.aws/resource'));
      const inTree =
        Object.hasOwn(tags, `kubernetes.io/cluster/${clusterName}`) && (sg.GroupName ?? '').startsWith('k8s-elb-');
      if (!sg.GroupId || Object.hasOwn(tags, 'aws:eks:cluster-name') || !(lbc || inTree)) continue;
      found.set(sg.GroupId, {
        kind: 'ec2-security-group',
        id: sg.GroupId,
        name: sg.GroupName ?? sg.GroupId,
        region,
        tags,
        ...(sg.VpcId ? { vpcId: sg.VpcId } : {}),
      });
    }
  }
  return [...found.values()];
}
