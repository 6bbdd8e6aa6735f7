/**
 * The AWS side of teardown and cleanup as one facade over the per-service clients in ./aws/: the
 * region's load balancers and target groups with their tags, the interfaces ELB leaves behind
 * them, the load-balancer controllers' leftover security groups, everything tagged with a run id
 * in every service the modules create (aws-owned.ts), and deleting it. Which of them belong to a
 * run, and the waits until they are gone, are teardown's (src/phases/teardown-waits.ts).
 *
 * The SDK clients are imported on first use, so loading this module (e.g. for `bench --help`)
 * loads no AWS SDK. Every call's failure other than "not found" becomes an InfrastructureError
 * 'E_AWS' naming the call and the region (aws-calls.ts); nothing here returns or logs a credential.
 */
import { deleteOwned, findOwnedResources, type DeleteOwnedOptions, type DeleteOwnedResult } from './aws-owned.ts';
import { createClientCache, type RegionContext, type RequestRecorder } from './aws/clients.ts';
import { listControllerSecurityGroups, listLoadBalancerInterfaces, type NetworkInterfaceFilter } from './aws/ec2.ts';
import { deleteImages } from './aws/ecr.ts';
import { clusterVpc } from './aws/eks.ts';
import { deleteLoadBalancer, deleteTargetGroup, listElbv2WithTags, regionOfArn } from './aws/elbv2.ts';
import type { CloudResource } from './aws/resource.ts';

export type { DeleteOwnedOptions, DeleteOwnedResult } from './aws-owned.ts';
export { DELETION_ORDER, sortForDeletion } from './aws-owned.ts';
export type { AwsRequestRecord } from './aws/clients.ts';
export type { NetworkInterfaceFilter } from './aws/ec2.ts';
export { GLOBAL_REGION, type CloudResource, type OwnedKind } from './aws/resource.ts';

/** The AWS calls teardown and cleanup make, with our own types. */
export interface AwsResources {
  /** The region it asks (where the run's cluster, and so its load balancers, live). */
  readonly region: string;
  /** Every load balancer of the region, with its tags (one deleted meanwhile is left out). */
  listLoadBalancers(signal?: AbortSignal): Promise<CloudResource[]>;
  /** Every target group of the region, with its tags. */
  listTargetGroups(signal?: AbortSignal): Promise<CloudResource[]>;
  /** Deletes a load balancer, its listeners first (cleanup --orphans, for NLBs whose Service is gone). A missing one is no error. */
  deleteLoadBalancer(arn: string): Promise<void>;
  /** Deletes a target group. A missing one is no error. */
  deleteTargetGroup(arn: string): Promise<void>;
  /** Deletes every image of a repository and returns how many; a missing repository is 0. */
  deleteEcrImages(repositoryName: string, signal?: AbortSignal): Promise<number>;
  /**
   * Everything carrying the tool's ownership tag (bench.dev/run-id; with runId: that value; without:
   * any value) in every service the modules create: EC2 VPCs, subnets, route tables, internet and
   * NAT gateways (not `deleted` ones), Elastic IPs, security groups, network interfaces; IAM roles
   * (region `global`); KMS keys (not pending deletion); EKS clusters and node groups; ECR
   * repositories; ELBv2 load balancers and target groups. Sorted in deletion order.
   */
  findOwned(
    runId: string | undefined,
    options?: { signal?: AbortSignal; includeGlobal?: boolean },
  ): Promise<CloudResource[]>;
  /**
   * Deletes what the OpenTofu state lost, in dependency order (see aws-owned.ts); each resource's
   * failure is reported and the others still tried. Rejects only on abort (InterruptedError).
   */
  deleteOwned(resources: CloudResource[], options?: DeleteOwnedOptions): Promise<DeleteOwnedResult>;
  /**
   * The network interfaces ELB made for the named load balancers (`ELB net/<name>/*`,
   * `ELB app/<name>/*`) and for any load balancer in the VPC, when one is given.
   */
  listLoadBalancerInterfaces(filter: NetworkInterfaceFilter, signal?: AbortSignal): Promise<CloudResource[]>;
  /** The VPC of an EKS cluster; undefined when the cluster does not exist (any more). */
  clusterVpc(clusterName: string, signal?: AbortSignal): Promise<string | undefined>;
  /**
   * Security groups the load-balancer controllers made for the cluster (AWS Load Balancer
   * Controller: elbv2.k8s.aws/cluster=<cluster> with service.k8s.aws/resource or
   * ingress.k8s.aws/resource; in-tree: k8s-elb-* tagged kubernetes.io/cluster/<cluster>); never
   * EKS's cluster group nor a module's.
   */
  listControllerSecurityGroups(clusterName: string, signal?: AbortSignal): Promise<CloudResource[]>;
}

/** Knobs for tests: a recorder of the requests made, and smaller pages to exercise pagination. */
export interface AwsResourcesTestOptions {
  onRequest?: RequestRecorder;
  /** ELBv2 DescribeLoadBalancers / DescribeTargetGroups page size (AWS allows up to 400). */
  elbPageSize?: number;
}

/** Built for one region from an environment (AWS_ENDPOINT_URL and static keys via awsClientConfig). */
export function createAwsResources(
  region: string,
  env: NodeJS.ProcessEnv = process.env,
  testOptions: AwsResourcesTestOptions = {},
): AwsResources {
  const ctx: RegionContext = { region, clients: createClientCache(env, testOptions.onRequest) };
  const listElbv2 = async (kind: 'elbv2-load-balancer' | 'elbv2-target-group', signal?: AbortSignal) => {
    const entries = await listElbv2WithTags(ctx, kind === 'elbv2-load-balancer' ? 'load-balancers' : 'target-groups', {
      pageSize: testOptions.elbPageSize,
      signal,
    });
    return entries.map(({ arn, name, tags }): CloudResource => ({ kind, id: arn, name, region, tags }));
  };

  return {
    region,
    listLoadBalancers: (signal) => listElbv2('elbv2-load-balancer', signal),
    listTargetGroups: (signal) => listElbv2('elbv2-target-group', signal),

    async deleteLoadBalancer(arn) {
      await deleteLoadBalancer(ctx, regionOfArn(arn) ?? region, arn);
    },

    async deleteTargetGroup(arn) {
      await deleteTargetGroup(ctx, regionOfArn(arn) ?? region, arn);
    },

    deleteEcrImages(repositoryName, signal) {
      return deleteImages(ctx, repositoryName, signal);
    },

    findOwned(runId, options = {}) {
      return findOwnedResources(ctx, runId, { signal: options.signal, global: options.includeGlobal ?? true });
    },

    deleteOwned(resources, options = {}) {
      return deleteOwned(ctx, resources, options);
    },

    listLoadBalancerInterfaces(filter, signal) {
      return listLoadBalancerInterfaces(ctx, filter, signal);
    },

    clusterVpc(clusterName, signal) {
      return clusterVpc(ctx, clusterName, signal);
    },

    listControllerSecurityGroups(clusterName, signal) {
      return listControllerSecurityGroups(ctx, clusterName, signal);
    },
  };
}

/**
 * findOwned over several regions (cleanup --orphans scans the regions the suites use). IAM roles
 * are global: asked once (from the first region) and reported with region `global`.
 */
export async function findOwnedInRegions(
  regions: string[],
  runId: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CloudResource[]> {
  const perRegion = await Promise.all(
    [...new Set(regions)].map((r, i) => createAwsResources(r, env).findOwned(runId, { includeGlobal: i === 0 })),
  );
  return perRegion.flat();
}
