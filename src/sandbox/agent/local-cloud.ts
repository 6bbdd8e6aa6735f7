import { DescribeRegionsCommand, DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, EKSClient, ListClustersCommand } from '@aws-sdk/client-eks';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeleteListenerCommand,
  DeleteLoadBalancerCommand,
  DeleteTargetGroupCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  LoadBalancerNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DEFAULT_CLUSTER_NAME } from '../layout.ts';

/** The EKS cluster (in moto) the local API server stands for, and where its NLBs go. */
export interface ClusterInfo {
  name: string;
  region: string;
  vpcId: string;
  subnetIds: string[];
}

/** The agent's view of the local cloud's AWS side (moto). */
export interface LocalCloud {
  findCluster(): Promise<ClusterInfo>;
  ensureLoadBalancer(
    name: string,
    cluster: ClusterInfo,
    tags: Record<string, string>,
    ports: { port: number; nodePort: number }[],
  ): Promise<string>;
  deleteLoadBalancer(name: string): Promise<void>;
}

export function createLocalCloud(defaultRegion: string): LocalCloud {
  const clients = new Map<string, { eks: EKSClient; ec2: EC2Client; elb: ElasticLoadBalancingV2Client }>();
  const clientsFor = (region: string) => {
    let c = clients.get(region);
    if (!c) {
      c = {
        eks: new EKSClient({ region }),
        ec2: new EC2Client({ region }),
        elb: new ElasticLoadBalancingV2Client({ region }),
      };
      clients.set(region, c);
    }
    return c;
  };
  // Which region each NLB was made in, so deletion finds it even if the cluster is gone.
  const lbRegion = new Map<string, string>();
  // Every region moto serves (as EC2 lists them), asked once: a suite may name any of them, and
  // its cluster, and so its NLBs, live there.
  let regions: Promise<string[]> | undefined;
  const allRegions = (): Promise<string[]> => {
    regions ??= clientsFor(defaultRegion)
      .ec2.send(new DescribeRegionsCommand({ AllRegions: true }))
      .then((out) => [
        ...new Set([defaultRegion, ...(out.Regions ?? []).flatMap((r) => (r.RegionName ? [r.RegionName] : []))]),
      ])
      .catch((err: unknown) => {
        regions = undefined;
        throw err;
      });
    return regions;
  };

  return {
    async findCluster() {
      // The local cloud has one API server; the EKS cluster that infra/sandbox created for the
      // current run (the newest one in moto) is the one it stands for.
      let newest: { name: string; region: string; created: number; subnets: string[]; vpcId: string } | undefined;
      const found = await Promise.all(
        (await allRegions()).map(async (region) => {
          const { eks } = clientsFor(region);
          const names = (await eks.send(new ListClustersCommand({}))).clusters ?? [];
          return Promise.all(
            names.map(async (name) => ({
              name,
              region,
              c: (await eks.send(new DescribeClusterCommand({ name }))).cluster,
            })),
          );
        }),
      );
      for (const { name, region, c } of found.flat()) {
        if (!c || c.status === 'DELETING') continue;
        const created = c.createdAt?.getTime() ?? 0;
        if (!newest || created > newest.created) {
          newest = {
            name,
            region,
            created,
            subnets: c.resourcesVpcConfig?.subnetIds ?? [],
            vpcId: c.resourcesVpcConfig?.vpcId ?? '',
          };
        }
      }
      if (newest && newest.subnets.length > 0) {
        const { ec2 } = clientsFor(newest.region);
        const subnets = (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: newest.subnets }))).Subnets ?? [];
        const isPublic = (s: (typeof subnets)[number]) => s.Tags?.some((t) => t.Key === 'kubernetes.io/role/elb');
        const chosen = subnets.some(isPublic) ? subnets.filter(isPublic) : subnets;
        return {
          name: newest.name,
          region: newest.region,
          vpcId: chosen[0]?.VpcId ?? newest.vpcId,
          subnetIds: chosen.map((s) => s.SubnetId as string),
        };
      }
      // No cluster provisioned (e.g. --target kube on the sandbox): moto's default VPC.
      const { ec2 } = clientsFor(defaultRegion);
      const vpc = (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'isDefault', Values: ['true'] }] })))
        .Vpcs?.[0];
      const subnets =
        (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc?.VpcId ?? ''] }] })))
          .Subnets ?? [];
      return {
        name: DEFAULT_CLUSTER_NAME,
        region: defaultRegion,
        vpcId: vpc?.VpcId ?? '',
        subnetIds: subnets.slice(0, 3).map((s) => s.SubnetId as string),
      };
    },

    async ensureLoadBalancer(name, cluster, tags, ports) {
      const { elb } = clientsFor(cluster.region);
      lbRegion.set(name, cluster.region);
      const existing = await describeLb(elb, name);
      if (existing?.DNSName) return existing.DNSName;
      const Tags = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
      const lb = (
        await elb.send(
          new CreateLoadBalancerCommand({
            Name: name,
            Type: 'network',
            Scheme: 'internet-facing',
            Subnets: cluster.subnetIds,
            Tags,
          }),
        )
      ).LoadBalancers?.[0];
      if (!lb?.LoadBalancerArn || !lb.DNSName) throw new Error('moto returned no load balancer');
      for (const [i, p] of ports.entries()) {
        const tg = (
          await elb.send(
            new CreateTargetGroupCommand({
              Name: `k8s-${name.slice(1, 20)}-${i}`,
              Protocol: 'TCP',
              Port: p.nodePort,
              VpcId: cluster.vpcId,
              TargetType: 'instance',
              Tags,
            }),
          )
        ).TargetGroups?.[0];
        await elb.send(
          new CreateListenerCommand({
            LoadBalancerArn: lb.LoadBalancerArn,
            Protocol: 'TCP',
            Port: p.port,
            DefaultActions: [{ Type: 'forward', TargetGroupArn: tg?.TargetGroupArn }],
          }),
        );
      }
      return lb.DNSName;
    },

    async deleteLoadBalancer(name) {
      const region = lbRegion.get(name);
      for (const r of region ? [region] : await allRegions()) {
        const { elb } = clientsFor(r);
        const lb = await describeLb(elb, name);
        if (!lb?.LoadBalancerArn) continue;
        const listeners =
          (await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners ?? [];
        const groups =
          (await elb.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).TargetGroups ?? [];
        for (const l of listeners) await elb.send(new DeleteListenerCommand({ ListenerArn: l.ListenerArn }));
        await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb.LoadBalancerArn }));
        for (const g of groups) await elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: g.TargetGroupArn }));
      }
      lbRegion.delete(name);
    },
  };
}

async function describeLb(elb: ElasticLoadBalancingV2Client, name: string) {
  try {
    return (await elb.send(new DescribeLoadBalancersCommand({ Names: [name] }))).LoadBalancers?.[0];
  } catch (err) {
    if (
      err instanceof LoadBalancerNotFoundException ||
      (err as { name?: string }).name === 'LoadBalancerNotFoundException'
    )
      return undefined;
    throw err;
  }
}
