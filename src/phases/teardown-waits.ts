/**
 * The waits of teardown's cloud side (DESIGN.md, Teardown order) and the ownership rules they go
 * by: which load balancers and target groups belong to a run or its cluster (by their tags), and
 * polling until ELBv2 shows none of them, then until EC2 shows none of their network interfaces.
 * Built on the narrow AWS adapter, which only lists and deletes.
 */
import type { AwsResources, CloudResource, NetworkInterfaceFilter } from '../adapters/aws-resources.ts';
import { BenchError, InfrastructureError, InterruptedError } from '../errors.ts';
import { OWNER_TAG } from '../suite/render.ts';
import { pollUntil } from '../util/poll-until.ts';

/** Which resources belong to a run or a cluster. At least one of the two is set. */
export interface OwnershipFilter {
  runId?: string;
  clusterName?: string;
}

/** How long and how often {@link waitForLoadBalancersGone} and {@link waitForNetworkInterfacesGone} polls. */
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

/**
 * Load balancers that belong to the run or cluster: tagged bench.dev/run-id=<runId>, or
 * kubernetes.io/cluster/<clusterName> (any value), or elbv2.k8s.aws/cluster=<clusterName>.
 * Rejects (E_INTERNAL) on an empty filter.
 */
export async function listOwnedLoadBalancers(
  aws: AwsResources,
  filter: OwnershipFilter,
  signal?: AbortSignal,
): Promise<CloudResource[]> {
  const match = ownershipMatcher(filter);
  return (await aws.listLoadBalancers(signal)).filter((r) => match(r.tags));
}

/** Target groups with the same ownership rules as {@link listOwnedLoadBalancers}. */
export async function listOwnedTargetGroups(
  aws: AwsResources,
  filter: OwnershipFilter,
  signal?: AbortSignal,
): Promise<CloudResource[]> {
  const match = ownershipMatcher(filter);
  return (await aws.listTargetGroups(signal)).filter((r) => match(r.tags));
}

/**
 * Polls (first poll at once, then every pollMs) until no load balancer and no target group of
 * the filter remains. Rejects with InfrastructureError 'E_LB_WAIT_DEADLINE' listing what is left
 * at the deadline, and with InterruptedError when the signal aborts.
 */
export async function waitForLoadBalancersGone(
  aws: AwsResources,
  filter: OwnershipFilter,
  options: WaitOptions,
): Promise<{ waitedMs: number; polls: number }> {
  const match = ownershipMatcher(filter);
  const owned = (all: CloudResource[]) => all.filter((r) => match(r.tags));
  return pollUntilNone(
    options,
    async (pollSignal) => {
      const [lbs, tgs] = await Promise.all([aws.listLoadBalancers(pollSignal), aws.listTargetGroups(pollSignal)]);
      return [...owned(lbs), ...owned(tgs)];
    },
    {
      interrupted: (remaining) =>
        new InterruptedError('interrupted while waiting for load balancers to be deleted', {
          data: { remaining: remaining?.map(describeResource) },
        }),
      pastDeadline: (remaining) => lbWaitDeadlineError(aws.region, options.deadlineMs, remaining),
    },
  );
}

/**
 * Polls (first poll at once) until no network interface of the named load balancers
 * (`ELB net/<name>/*`, `ELB app/<name>/*`) and none of any load balancer in the VPC (the
 * cluster's, when clusterName is given and vpcId is not) remains: AWS keeps them for minutes after
 * the load balancer and nobody may delete them, and they block the subnets' and VPC's deletion.
 * `goneAt` is the time of the poll that first saw none. E_ENI_WAIT_DEADLINE at the deadline.
 */
export async function waitForNetworkInterfacesGone(
  aws: AwsResources,
  filter: NetworkInterfaceFilter & { clusterName?: string },
  options: WaitOptions,
): Promise<{ waitedMs: number; polls: number; goneAt: Date; seen: string[]; vpcId: string | undefined }> {
  const seen = new Set<string>();
  // The cluster's VPC, asked once (at the first poll): the interfaces that outlive the load
  // balancers are there.
  let vpc: { id: string | undefined } | undefined;
  const waited = await pollUntilNone(
    options,
    async (pollSignal) => {
      vpc ??= {
        id: filter.vpcId ?? (filter.clusterName ? await aws.clusterVpc(filter.clusterName, pollSignal) : undefined),
      };
      const remaining = await aws.listLoadBalancerInterfaces(
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
      pastDeadline: (remaining) => eniWaitDeadlineError(aws.region, options.deadlineMs, remaining),
    },
  );
  return { ...waited, goneAt: new Date(), seen: [...seen], vpcId: vpc?.id };
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
export function ownershipMatcher(filter: OwnershipFilter): (tags: Record<string, string>) => boolean {
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
