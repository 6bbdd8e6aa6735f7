/**
 * ECR as teardown and cleanup need it: a repository's images emptied (teardown, before OpenTofu
 * deletes the repository) and the region's repositories with their tags (cleanup). The SDK's
 * paginators; our own types.
 */
import { InfrastructureError } from '../../errors.ts';
import { callAws, chunk, collectPages, mapConcurrent } from '../aws-calls.ts';
import type { RegionContext } from './clients.ts';
import { tagMap, type CloudResource } from './resource.ts';

/** AWS takes at most 100 image ids per BatchDeleteImage. */
const BATCH_DELETE_IMAGE_MAX_IDS = 100;
const LOOKUP_CONCURRENCY = 8;

/** Deletes every image of a repository and returns how many; a missing repository is 0. */
export async function deleteImages(ctx: RegionContext, repositoryName: string, signal?: AbortSignal): Promise<number> {
  const { region } = ctx;
  const { ecr, ecrSdk } = await ctx.clients(region);
  // List everything first: deleting while paging could invalidate the next token.
  const listed = await callAws(
    { call: 'ecr:ListImages', region, signal },
    () =>
      collectPages(
        ecrSdk.paginateListImages({ client: ecr, pageSize: 1000 }, { repositoryName }, { abortSignal: signal }),
        // By digest: one id per image, however many tags it has.
        (p) => (p.imageIds ?? []).flatMap((id) => (id.imageDigest ? [id.imageDigest] : [])),
      ),
    () => undefined,
  );
  if (!listed) return 0; // no repository, nothing to delete
  const digests = new Set(listed);
  const deleted = new Set<string>();
  for (const batch of chunk([...digests], BATCH_DELETE_IMAGE_MAX_IDS)) {
    const out = await callAws(
      { call: 'ecr:BatchDeleteImage', region, signal },
      () =>
        ecr.send(
          new ecrSdk.BatchDeleteImageCommand({
            repositoryName,
            imageIds: batch.map((imageDigest) => ({ imageDigest })),
          }),
          { abortSignal: signal },
        ),
      () => undefined,
    );
    if (!out) break; // the repository went away meanwhile
    for (const id of out.imageIds ?? []) if (id.imageDigest) deleted.add(id.imageDigest);
    // An image someone else deleted meanwhile is fine; any other failure is not.
    const failures = (out.failures ?? []).filter((f) => f.failureCode !== 'ImageNotFound');
    if (failures.length > 0)
      // A call that answered but did part of its work: not an SDK error, so callAws cannot map it.
      throw new InfrastructureError(
        'E_AWS',
        `ecr:BatchDeleteImage in ${region} could not delete ${failures.length} image(s) of ${repositoryName}: ` +
          failures.map((f) => `${f.imageId?.imageDigest ?? f.imageId?.imageTag}: ${f.failureCode}`).join(', '),
        {
          fix: 'check the ecr:BatchDeleteImage permission and the repository policy, then run `bench cleanup` again',
          data: { call: 'ecr:BatchDeleteImage', region, repositoryName, failures: failures.length },
        },
      );
  }
  return deleted.size;
}

/** The region's repositories with their tags; one deleted meanwhile is left out. */
export async function listRepositories(ctx: RegionContext, signal?: AbortSignal): Promise<CloudResource[]> {
  const { region } = ctx;
  const { ecr, ecrSdk } = await ctx.clients(region);
  const repos = await callAws({ call: 'ecr:DescribeRepositories', region, signal }, () =>
    collectPages(
      ecrSdk.paginateDescribeRepositories({ client: ecr, pageSize: 1000 }, {}, { abortSignal: signal }),
      (p) =>
        (p.repositories ?? []).flatMap((r) =>
          r.repositoryName && r.repositoryArn ? [{ name: r.repositoryName, arn: r.repositoryArn }] : [],
        ),
    ),
  );
  const tagged = await mapConcurrent(repos, LOOKUP_CONCURRENCY, async (repo) => {
    const tags = await callAws(
      { call: 'ecr:ListTagsForResource', region, signal },
      async () => {
        const out = await ecr.send(new ecrSdk.ListTagsForResourceCommand({ resourceArn: repo.arn }), {
          abortSignal: signal,
        });
        return tagMap(out.tags);
      },
      () => undefined,
    );
    return tags && ({ kind: 'ecr-repository', id: repo.name, name: repo.name, region, tags } as const);
  });
  return tagged.filter((r) => r !== undefined);
}
