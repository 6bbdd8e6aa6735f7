/**
 * IAM as cleanup needs it: the account's roles with their tags (IAM is global: they are reported
 * with region `global`). The SDK's paginators; our own types.
 */
import { callAws, collectPages, mapConcurrent } from '../aws-calls.ts';
import type { RegionContext } from './clients.ts';
import { GLOBAL_REGION, tagMap, type CloudResource } from './resource.ts';

const LOOKUP_CONCURRENCY = 8;

/** IAM roles (not in moto's tagging backend; ListRoles does not return tags on AWS either). */
export async function listRoles(ctx: RegionContext, signal?: AbortSignal): Promise<CloudResource[]> {
  const { region } = ctx;
  const { iam, iamSdk } = await ctx.clients(region);
  const names = await callAws({ call: 'iam:ListRoles', region: GLOBAL_REGION, signal }, () =>
    collectPages(iamSdk.paginateListRoles({ client: iam, pageSize: 1000 }, {}, { abortSignal: signal }), (p) =>
      (p.Roles ?? []).flatMap((r) =>
        // Service-linked roles are AWS's, never a module's.
        r.RoleName && !r.Path?.startsWith('/aws-service-role/') ? [r.RoleName] : [],
      ),
    ),
  );
  const roles = await mapConcurrent(names, LOOKUP_CONCURRENCY, (RoleName) =>
    callAws(
      { call: 'iam:ListRoleTags', region: GLOBAL_REGION, signal },
      async (): Promise<CloudResource> => {
        const tags = await collectPages(
          iamSdk.paginateListRoleTags({ client: iam }, { RoleName }, { abortSignal: signal }),
          (p) => p.Tags ?? [],
        );
        return { kind: 'iam-role', id: RoleName, name: RoleName, region: GLOBAL_REGION, tags: tagMap(tags) };
      },
      () => undefined,
    ),
  );
  return roles.filter((r) => r !== undefined);
}
