/**
 * ELBv2 as teardown and cleanup need it: every load balancer and target group of the region with
 * its tags (the SDK's paginators; DescribeTags in batches), and their deletion. Returns our own
 * types; which of them belong to a run is decided by the caller.
 */
import { callAws, chunk, collectPages, isNotFoundBenchError, skipNotFound } from '../aws-calls.ts';
import { tagMap, type Tags } from './resource.ts';
import type { RegionContext } from './clients.ts';

/** A load balancer or target group with its tags. */
export interface Elbv2Entry {
  arn: string;
  name: string;
  tags: Tags;
}

/** AWS takes at most 20 ARNs per DescribeTags. */
const DESCRIBE_TAGS_MAX_ARNS = 20;
/** AWS's largest ELBv2 describe page. */
export const ELB_MAX_PAGE_SIZE = 400;

/** What to list: the region's load balancers or its target groups. */
export type Elbv2Kind = 'load-balancers' | 'target-groups';

/**
 * Every load balancer (or target group) of the context's region with its tags. One deleted
 * between the listing and DescribeTags is left out: it is not there any more.
 */
export async function listElbv2WithTags(
  ctx: RegionContext,
  kind: Elbv2Kind,
  options: { pageSize?: number | undefined; signal?: AbortSignal | undefined } = {},
): Promise<Elbv2Entry[]> {
  const { region } = ctx;
  const { signal } = options;
  const { elb, elbSdk } = await ctx.clients(region);
  // ELBv2's paginators do not set PageSize themselves: it goes in the input.
  const PageSize = options.pageSize ?? ELB_MAX_PAGE_SIZE;
  const found =
    kind === 'load-balancers'
      ? await callAws({ call: 'elbv2:DescribeLoadBalancers', region, signal }, () =>
          collectPages(
            elbSdk.paginateDescribeLoadBalancers({ client: elb }, { PageSize }, { abortSignal: signal }),
            (p) =>
              (p.LoadBalancers ?? []).flatMap((lb) =>
                lb.LoadBalancerArn ? [{ arn: lb.LoadBalancerArn, name: lb.LoadBalancerName ?? '' }] : [],
              ),
          ),
        )
      : await callAws({ call: 'elbv2:DescribeTargetGroups', region, signal }, () =>
          collectPages(
            elbSdk.paginateDescribeTargetGroups({ client: elb }, { PageSize }, { abortSignal: signal }),
            (p) =>
              (p.TargetGroups ?? []).flatMap((tg) =>
                tg.TargetGroupArn ? [{ arn: tg.TargetGroupArn, name: tg.TargetGroupName ?? '' }] : [],
              ),
          ),
        );
  const tags = await describeTags(
    ctx,
    found.map((f) => f.arn),
    signal,
  );
  return found.flatMap(({ arn, name }) => {
    const t = tags.get(arn);
    // No tags entry: it was deleted between the two calls.
    return t ? [{ arn, name, tags: t }] : [];
  });
}

/** DescribeTags in batches of 20 ARNs; ARNs deleted meanwhile are left out. */
async function describeTags(ctx: RegionContext, arns: string[], signal?: AbortSignal): Promise<Map<string, Tags>> {
  const { region } = ctx;
  const { elb, elbSdk } = await ctx.clients(region);
  const tags = new Map<string, Tags>();
  const describe = (batch: string[]) =>
    callAws({ call: 'elbv2:DescribeTags', region, signal }, async () => {
      const out = await elb.send(new elbSdk.DescribeTagsCommand({ ResourceArns: batch }), { abortSignal: signal });
      return out.TagDescriptions ?? [];
    });
  for (const batch of chunk(arns, DESCRIBE_TAGS_MAX_ARNS)) {
    // One ARN deleted since the listing fails the whole batch with "not found" (a teardown in
    // progress does exactly that); then ask one by one and skip the ones that are gone.
    const descriptions = await describe(batch).catch(async (err: unknown) => {
      if (!isNotFoundBenchError(err)) throw err;
      const one = await Promise.all(batch.map((arn) => describe([arn]).catch(skipNotFound)));
      return one.flat();
    });
    for (const d of descriptions) if (d.ResourceArn) tags.set(d.ResourceArn, tagMap(d.Tags));
  }
  return tags;
}

/**
 * Deletes a load balancer in `region`, its listeners first (they hold the target groups, which
 * are deleted next). A missing one is no error.
 */
export async function deleteLoadBalancer(
  ctx: RegionContext,
  region: string,
  arn: string,
  signal?: AbortSignal,
): Promise<void> {
  const { elb, elbSdk } = await ctx.clients(region);
  const opts = { abortSignal: signal };
  const call = <T>(name: string, run: () => Promise<T>) =>
    callAws({ call: name, region, signal }, run, () => undefined);
  const listeners = await call('elbv2:DescribeListeners', () =>
    collectPages(elbSdk.paginateDescribeListeners({ client: elb }, { LoadBalancerArn: arn }, opts), (p) =>
      (p.Listeners ?? []).flatMap((l) => (l.ListenerArn ? [l.ListenerArn] : [])),
    ),
  );
  if (!listeners) return; // the load balancer is already gone
  for (const ListenerArn of listeners)
    await call('elbv2:DeleteListener', () => elb.send(new elbSdk.DeleteListenerCommand({ ListenerArn }), opts));
  await call('elbv2:DeleteLoadBalancer', () =>
    elb.send(new elbSdk.DeleteLoadBalancerCommand({ LoadBalancerArn: arn }), opts),
  );
}

/** Deletes a target group in `region`. A missing one is no error; one still in use fails (ResourceInUse). */
export async function deleteTargetGroup(
  ctx: RegionContext,
  region: string,
  arn: string,
  signal?: AbortSignal,
): Promise<void> {
  const { elb, elbSdk } = await ctx.clients(region);
  await callAws(
    { call: 'elbv2:DeleteTargetGroup', region, signal },
    () => elb.send(new elbSdk.DeleteTargetGroupCommand({ TargetGroupArn: arn }), { abortSignal: signal }),
    () => undefined,
  );
}

/** The region in an ARN (`arn:aws:elasticloadbalancing:<region>:...`); undefined when it has none. */
export function regionOfArn(arn: string): string | undefined {
  const region = arn.split(':')[3];
  return region ? region : undefined;
}
