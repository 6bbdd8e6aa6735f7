/**
 * The AWS side of teardown and cleanup (DESIGN.md, Teardown order): which load balancers and
 * target groups belong to a run or a cluster, waiting until AWS says they and their network
 * interfaces are gone, the load-balancer controllers' leftover security groups, everything tagged
 * with a run id in every service the modules create (aws-owned.ts), and deleting it.
 *
 * The SDK clients are imported inside the functions that use them, so loading this module (e.g.
 * for `bench --help`) loads no AWS SDK. Every call's failure other than "not found" becomes an
 * InfrastructureError 'E_AWS' naming the call and the region; nothing here returns or logs a
 * credential.
 */
import { BenchError, InfrastructureError, InterruptedError } from '../errors.ts';
import { OWNER_TAG } from '../suite/render.ts';
import { pollUntil } from '../util/poll-until.ts';
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

/** Which resources belong to a run or a cluster. At least one of the two is set. */
export interface OwnershipFilter {
  runId?: string;
  clusterName?: string;
}

/** How long and how often {@link AwsResources.waitForLoadBalancersGone} polls. */
export interface WaitOptions {
  /** Give up (E_LB_WAIT_DEADLINE) this many milliseconds after the wait started. */
  deadlineMs: number;
  /** Time between polls; default 5000. */
  pollMs?: number;
  /** Aborting it ends the wait with an InterruptedError. */
  signal?: AbortSignal;
  /** Called after every poll with what is still there, for progress events. */
  onPoll?: (remaining: CloudResource[], elapsedMs: number) => void;
}

/** The AWS calls teardown and cleanup make, with our own types; paginators and waiters folded in. */
export interface AwsResources {
  /** The region it asks (where the run's cluster, and so its load balancers, live). */
  readonly region: string;
  /**
   * Load balancers that belong to the run or cluster: tagged bench.dev/run-id=<runId>, or
   * kubernetes.io/cluster/<clusterName> (any value), or elbv2.k8s.aws/cluster=<clusterName>.
   */
  listLoadBalancers(filter: OwnershipFilter): Promise<CloudResource[]>;
  /** Target groups with the same ownership rules as {@link AwsResources.listLoadBalancers}. */
  listTargetGroups(filter: OwnershipFilter): Promise<CloudResource[]>;
  /**
   * Polls (first poll at once, then every pollMs) until no load balancer and no target group of
   * the filter remains. Rejects with InfrastructureError 'E_LB_WAIT_DEADLINE' listing what is left
   * at the deadline, and with InterruptedError when the signal aborts.
   */
  waitForLoadBalancersGone(filter: OwnershipFilter, options: WaitOptions): Promise<{ waitedMs: number; polls: number }>;
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
   * Polls (first poll at once) until no network interface of the named load balancers
   * (`ELB net/<name>/*`, `ELB app/<name>/*`) and none of any load balancer in the VPC (the
   * cluster's, when clusterName is given and vpcId is not) remains: AWS keeps them for minutes after
   * the load balancer and nobody may delete them, and they block the subnets' and VPC's deletion.
   * `goneAt` is the time of the poll that first saw none. E_ENI_WAIT_DEADLINE at the deadline.
   */
  waitForNetworkInterfacesGone(
    filter: NetworkInterfaceFilter & { clusterName?: string },
    options: WaitOptions,
  ): Promise<{ waitedMs: number; polls: number; goneAt: Date; seen: string[]; vpcId: string | undefined }>;
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
  const listElbv2 = async (
    kind: 'elbv2-load-balancer' | 'elbv2-target-group',
    match: (tags: Record<string, string>) => boolean,
    signal?: AbortSignal,
  ): Promise<CloudResource[]> => {
    const entries = await listElbv2WithTags(ctx, kind === 'elbv2-load-balancer' ? 'load-balancers' : 'target-groups', {
      pageSize: testOptions.elbPageSize,
      signal,
    });
    return entries.flatMap(({ arn, name, tags }) => (match(tags) ? [{ kind, id: arn, name, region, tags }] : []));
  };

  return {
    region,
    // async, so that a bad filter rejects like every other failure instead of throwing.
    async listLoadBalancers(filter) {
      const match = ownershipMatcher(filter);
      return listElbv2('elbv2-load-balancer', match);
    },

    async listTargetGroups(filter) {
      const match = ownershipMatcher(filter);
      return listElbv2('elbv2-target-group', match);
    },

    async waitForLoadBalancersGone(filter, options) {
      const match = ownershipMatcher(filter);
      return pollUntilNone(
        options,
        async (pollSignal) => {
          const [lbs, tgs] = await Promise.all([
            listElbv2('elbv2-load-balancer', match, pollSignal),
            listElbv2('elbv2-target-group', match, pollSignal),
          ]);
          return [...lbs, ...tgs];
        },
        {
          interrupted: (remaining) =>
            new InterruptedError('interrupted while waiting for load balancers to be deleted', {
              data: { remaining: remaining?.map(describeResource) },
            }),
          pastDeadline: (remaining) => lbWaitDeadlineError(region, options.deadlineMs, remaining),
        },
      );
    },

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

    async waitForNetworkInterfacesGone(filter, options) {
      const seen = new Set<string>();
      // The cluster's VPC, asked once (at the first poll): the interfaces that outlive the load
      // balancers are there.
      let vpc: { id: string | undefined } | undefined;
      const waited = await pollUntilNone(
        options,
        async (pollSignal) => {
          vpc ??= {
            id:
              filter.vpcId ?? (filter.clusterName ? await clusterVpc(ctx, filter.clusterName, pollSignal) : undefined),
          };
          const remaining = await listLoadBalancerInterfaces(
            ctx,
            { loadBalancerNames: filter.loadBalancerNames, vpcId: vpc.id },
            pollSignal,
          );
          for (const r of remaining) seen.add(r.id);
          return remaining;
        },
        {
          interrupted: (remaining) =>
            new InterruptedError("interrupted while waiting for the load balancers' network interfaces to go", {
              data: { remaining: remaining?.map(describeResource) },
            }),
          pastDeadline: (remaining) => eniWaitDeadlineError(region, options.deadlineMs, remaining),
        },
      );
      return { ...waited, goneAt: new Date(), seen: [...seen], vpcId: vpc?.id };
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

/**
 * The one wait of teardown's cloud side: polls (first at once, then every pollMs, default 5 s)
 * until `poll` finds nothing, and returns how long that took. A poll still running at the
 * deadline is cut off, so the deadline holds even if AWS hangs; what remained then is the
 * deadline's error. The signal ends the wait with the interrupted error.
 */
async function pollUntilNone(
  options: WaitOptions,
  poll: (signal: AbortSignal) => Promise<CloudResource[]>,
  errors: {
    interrupted: (remaining: CloudResource[] | undefined) => Error;
    pastDeadline: (remaining: CloudResource[] | undefined) => Error;
  },
): Promise<{ waitedMs: number; polls: number }> {
  const { waitedMs, polls } = await pollUntil({
    check: poll,
    isDone: (remaining) => remaining.length === 0,
    intervalMs: options.pollMs ?? 5000,
    deadlineMs: options.deadlineMs,
    signal: options.signal,
    what: 'cloud resources to go',
    onPoll: options.onPoll,
    ...errors,
  });
  return { waitedMs, polls };
}

function lbWaitDeadlineError(region: string, deadlineMs: number, remaining: CloudResource[] | undefined) {
  const what = remaining
    ? remaining.map((r) => `${r.kind} ${r.id}`).join(', ')
    : 'unknown (no poll finished before the deadline)';
  return new InfrastructureError(
    'E_LB_WAIT_DEADLINE',
    `load balancers of the run were still present in ${region} after ${Math.round(deadlineMs / 1000)}s: ${what}`,
    {
      fix:
        'check that their Kubernetes Services are deleted and the load-balancer controller is running; ' +
        '`bench cleanup --orphans` deletes what is left',
      data: { region, deadlineMs, remaining: remaining?.map(describeResource) },
    },
  );
}

function eniWaitDeadlineError(region: string, deadlineMs: number, remaining: CloudResource[] | undefined) {
  const what = remaining
    ? remaining.map((r) => `${r.id} (${r.name})`).join(', ')
    : 'unknown (no poll finished before the deadline)';
  return new InfrastructureError(
    'E_ENI_WAIT_DEADLINE',
    `network interfaces of the run's load balancers were still present in ${region} after ${Math.round(deadlineMs / 1000)}s: ${what}`,
    {
      fix:
        'AWS removes them some minutes after their load balancer (nobody can delete them); ' +
        'run `bench cleanup <run-id>` again in a few minutes',
      data: { region, deadlineMs, remaining: remaining?.map(describeResource) },
    },
  );
}

function describeResource(r: CloudResource) {
  return { kind: r.kind, id: r.id, name: r.name, region: r.region };
}

/**
 * The ownership rules of teardown: tagged with the run id, or with the cluster's name in either
 * of the tags the in-tree controller (kubernetes.io/cluster/<name>, value owned or shared) and the
 * AWS Load Balancer Controller (elbv2.k8s.aws/cluster=<name>) set.
 */
function ownershipMatcher(filter: OwnershipFilter): (tags: Record<string, string>) => boolean {
  const { runId, clusterName } = filter;
  // An empty filter would match everything, and teardown would wait for (or delete) other
  // people's load balancers: refuse it.
  if (!runId && !clusterName)
    throw new BenchError('internal', 'E_INTERNAL', 'internal error: an ownership filter needs a run id or a cluster', {
      fix: 'this is a bug in bench; please report it with the run journal attached',
    });
  return (tags) =>
    (!!runId && tags[OWNER_TAG] === runId) ||
    (!!clusterName &&
      (Object.hasOwn(tags, `kubernetes.io/cluster/${clusterName}`) || tags['elbv2.k8s.aws/cluster'] === clusterName));
}
