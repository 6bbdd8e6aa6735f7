/**
 * EKS as teardown and cleanup need it: the region's clusters and node groups with their tags, and
 * a cluster's VPC. The SDK's paginators; our own types.
 */
import { awsErrorName, callAws, collectPages, mapConcurrent } from '../aws-calls.ts';
import type { RegionContext } from './clients.ts';
import type { CloudResource } from './resource.ts';

const LOOKUP_CONCURRENCY = 8;

/** EKS clusters and their node groups, with their tags. */
export async function listClusters(ctx: RegionContext, signal?: AbortSignal): Promise<CloudResource[]> {
  const { region } = ctx;
  const { eks, eksSdk } = await ctx.clients(region);
  const names = await callAws({ call: 'eks:ListClusters', region, signal }, () =>
    collectPages(
      eksSdk.paginateListClusters({ client: eks, pageSize: 100 }, {}, { abortSignal: signal }),
      (p) => p.clusters ?? [],
    ),
  );
  const described = await mapConcurrent(names, LOOKUP_CONCURRENCY, (name) =>
    callAws(
      { call: 'eks:DescribeCluster', region, signal },
      async (): Promise<CloudResource[]> => {
        const out = await eks.send(new eksSdk.DescribeClusterCommand({ name }), { abortSignal: signal });
        const cluster: CloudResource = {
          kind: 'eks-cluster',
          id: name,
          name,
          region,
          tags: { ...out.cluster?.tags },
          ...(out.cluster?.resourcesVpcConfig?.vpcId ? { vpcId: out.cluster.resourcesVpcConfig.vpcId } : {}),
        };
        const groups = await collectPages(
          eksSdk.paginateListNodegroups({ client: eks }, { clusterName: name }, { abortSignal: signal }),
          (p) => p.nodegroups ?? [],
        );
        const nodegroups = await mapConcurrent(groups, LOOKUP_CONCURRENCY, async (ng) => {
          const d = await eks
            .send(new eksSdk.DescribeNodegroupCommand({ clusterName: name, nodegroupName: ng }), {
              abortSignal: signal,
            })
            .catch((err: unknown) => {
              if (awsErrorName(err) === 'ResourceNotFoundException') return undefined;
              throw err;
            });
          return d?.nodegroup
            ? ({ kind: 'eks-nodegroup', id: `${name}/${ng}`, name: ng, region, tags: { ...d.nodegroup.tags } } as const)
            : undefined;
        });
        return [cluster, ...nodegroups.filter((n) => n !== undefined)];
      },
      // Deleted between the listing and the look-up.
      () => [],
    ),
  );
  return described.flat();
}

/** The VPC of an EKS cluster, if the cluster still exists. */
export async function clusterVpc(
  ctx: RegionContext,
  clusterName: string,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const { region } = ctx;
  const { eks, eksSdk } = await ctx.clients(region);
  const out = await callAws(
    { call: 'eks:DescribeCluster', region, signal },
    () => eks.send(new eksSdk.DescribeClusterCommand({ name: clusterName }), { abortSignal: signal }),
    () => undefined,
  );
  return out?.cluster?.resourcesVpcConfig?.vpcId || undefined;
}
