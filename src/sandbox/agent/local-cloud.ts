import { createHash } from 'node:crypto';
import {
  CreateNetworkInterfaceCommand,
  CreateSecurityGroupCommand,
  DeleteNetworkInterfaceCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRegionsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
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

/** The run-id tag (and label) bench puts on a run's Services and cloud resources. */
const OWNER_TAG = 'bench.dev/run-id';

/** A Service's load balancer as the controllers make it: the NLB, its interfaces, its security group. */
export interface LoadBalancerSpec {
  name: string;
  cluster: ClusterInfo;
  /** Tags of the NLB and its target groups. */
  tags: Record<string, string>;
  ports: { port: number; nodePort: number }[];
  /** Tags of the security group the AWS Load Balancer Controller makes for the Service. */
  securityGroupTags: Record<string, string>;
  /** `<namespace>/<name>` of the Service (the security group's name derives from it). */
  stack: string;
}

/** Network interfaces that stay after their NLB is deleted (AWS removes them minutes later). */
export interface LingeringInterfaces {
  region: string;
  ids: string[];
}

/** The agent's view of the local cloud's AWS side (moto). */
export interface LocalCloud {
  /**
   * The EKS cluster (in moto) tagged with the run id, in any region; without a run id, or when
   * no cluster carries it (e.g. --target kube on the local cloud), moto's default VPC.
   */
  findCluster(runId: string | undefined): Promise<ClusterInfo>;
  /** Creates what is missing (NLB, target groups, listeners, interfaces, security group); returns the DNS name. */
  ensureLoadBalancer(spec: LoadBalancerSpec): Promise<string>;
  /** Deletes the NLB, its listeners and target groups; returns its interfaces, which linger. */
  deleteLoadBalancer(name: string): Promise<LingeringInterfaces[]>;
  /** Deletes interfaces whose linger is over (missing ones are no error). */
  deleteInterfaces(lingering: LingeringInterfaces): Promise<void>;
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
    async findCluster(runId) {
      // The cluster of the Service's own run, never "the newest cluster in moto": two runs on the
      // local cloud at once must each get their NLBs in their own cluster's VPC.
      let newest: { name: string; region: string; created: number; subnets: string[]; vpcId: string } | undefined;
      const found =
        runId === undefined
          ? []
          : await Promise.all(
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
        if (!c || c.status === 'DELETING' || c.tags?.[OWNER_TAG] !== runId) continue;
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

    async ensureLoadBalancer({ name, cluster, tags, ports, securityGroupTags, stack }) {
      const { elb, ec2 } = clientsFor(cluster.region);
      lbRegion.set(name, cluster.region);
      let lb = await describeLb(elb, name);
      if (!lb) {
        const Tags = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
        lb = (
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
      }
      const arn = lb.LoadBalancerArn as string;
      // As ELB does: one interface per subnet of the NLB, described `ELB net/<name>/<id>` (the
      // last part of its ARN), untagged, owned by ELB. moto takes the interface type and answers
      // `interface`; the description is what AWS users and bench find them by.
      const description = eniDescription(arn);
      const existing = await interfacesOf(ec2, description);
      const have = new Set(existing.map((e) => e.SubnetId));
      for (const SubnetId of cluster.subnetIds)
        if (!have.has(SubnetId))
          await ec2.send(
            new CreateNetworkInterfaceCommand({
              SubnetId,
              Description: description,
              InterfaceType: 'network_load_balancer' as never,
            }),
          );
      // The AWS Load Balancer Controller's managed security group for the Service. It is the
      // controller's to delete when the Service goes, and often it does not (a controller gone
      // with its cluster, a crash): this one is left for the teardown to delete, so that path is
      // the one the local cloud exercises.
      if (cluster.vpcId) {
        const groups =
          (
            await ec2.send(
              new DescribeSecurityGroupsCommand({
                Filters: [
                  { Name: 'vpc-id', Values: [cluster.vpcId] },
                  { Name: 'tag:service.k8s.aws/stack', Values: [stack] },
                ],
              }),
            )
          ).SecurityGroups ?? [];
        if (groups.length === 0)
          await ec2.send(
            new CreateSecurityGroupCommand({
              GroupName: securityGroupName(cluster.name, stack),
              Description: '[k8s] Managed SecurityGroup for LoadBalancer',
              VpcId: cluster.vpcId,
              TagSpecifications: [
                {
                  ResourceType: 'security-group',
                  Tags: Object.entries(securityGroupTags).map(([Key, Value]) => ({ Key, Value })),
                },
              ],
            }),
          );
      }
      return lb.DNSName as string;
    },

    async deleteLoadBalancer(name) {
      const region = lbRegion.get(name);
      const lingering: LingeringInterfaces[] = [];
      for (const r of region ? [region] : await allRegions()) {
        const { elb, ec2 } = clientsFor(r);
        const lb = await describeLb(elb, name);
        if (!lb?.LoadBalancerArn) continue;
        const listeners =
          (await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners ?? [];
        const groups =
          (await elb.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).TargetGroups ?? [];
        const enis = await interfacesOf(ec2, eniDescription(lb.LoadBalancerArn));
        for (const l of listeners) await elb.send(new DeleteListenerCommand({ ListenerArn: l.ListenerArn }));
        await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb.LoadBalancerArn }));
        for (const g of groups) await elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: g.TargetGroupArn }));
        lingering.push({ region: r, ids: enis.flatMap((e) => (e.NetworkInterfaceId ? [e.NetworkInterfaceId] : [])) });
      }
      lbRegion.delete(name);
      return lingering;
    },

    async deleteInterfaces({ region, ids }) {
      const { ec2 } = clientsFor(region);
      for (const NetworkInterfaceId of ids) {
        try {
          await ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId }));
        } catch (err) {
          if ((err as { name?: string }).name !== 'InvalidNetworkInterfaceID.NotFound') throw err;
        }
      }
    },
  };
}

/** `ELB net/<name>/<id>`, as AWS describes an NLB's interfaces (from its ARN `.../net/<name>/<id>`). */
export function eniDescription(arn: string): string {
  const [, , name = '', id = ''] = (arn.split(':')[5] ?? '').split('/');
  return `ELB net/${name}/${id}`;
}

/**
 * The name the AWS Load Balancer Controller gives a Service's managed security group:
 * `k8s-<namespace>-<name>-<10 hex>` (at most 255 characters; the hash keeps it unique).
 */
export function securityGroupName(cluster: string, stack: string): string {
  const [ns = '', svc = ''] = stack.split('/');
  const hash = createHash('sha256').update(`${cluster}/${stack}`).digest('hex').slice(0, 10);
  const clean = (s: string) => s.replace(/[^A-Za-z0-9]/g, '').slice(0, 8);
  return `k8s-${clean(ns)}-${clean(svc)}-${hash}`;
}

async function interfacesOf(ec2: EC2Client, description: string) {
  return (
    (
      await ec2.send(
        new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'description', Values: [description] }] }),
      )
    ).NetworkInterfaces ?? []
  );
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
