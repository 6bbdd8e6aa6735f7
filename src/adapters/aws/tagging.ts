/**
 * The Resource Groups Tagging API: the ARNs of a region carrying a tag, with their tags, across
 * services (those the API indexes). The SDK's paginator; our own types.
 */
import { callAws, collectPages } from '../aws-calls.ts';
import type { RegionContext } from './clients.ts';
import { tagMap, type Tags } from './resource.ts';

/** A resource the tagging API knows: its ARN and tags. */
export interface TaggedArn {
  arn: string;
  tags: Tags;
}

/**
 * Every resource of `resourceTypes` (`ec2:vpc`, `kms:key`, ...) in the context's region tagged
 * `key` (=value when given; any value when undefined). The index lags behind deletions on AWS:
 * the caller confirms what it found with the resource's own service.
 */
export async function taggedWith(
  ctx: RegionContext,
  key: string,
  value: string | undefined,
  resourceTypes: string[],
  signal?: AbortSignal,
): Promise<TaggedArn[]> {
  const { region } = ctx;
  const { tagging, taggingSdk } = await ctx.clients(region);
  return callAws({ call: 'tag:GetResources', region, signal }, () =>
    collectPages(
      taggingSdk.paginateGetResources(
        { client: tagging, pageSize: 100 },
        {
          TagFilters: [{ Key: key, ...(value === undefined ? {} : { Values: [value] }) }],
          ResourceTypeFilters: resourceTypes,
        },
        { abortSignal: signal },
      ),
      (p) => (p.ResourceTagMappingList ?? []).map((m) => ({ arn: m.ResourceARN ?? '', tags: tagMap(m.Tags) })),
    ),
  );
}
