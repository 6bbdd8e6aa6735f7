/**
 * IAM as cleanup needs it: the account's roles with their tags (IAM is global: they are reported
 * with region `global`), and a role's deletion. The SDK's paginators; our own types.
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

/**
 * Deletes a role (asked through `region`'s client; IAM is global), after what AWS refuses to
 * delete a role with: its managed policies detached, its inline policies deleted, and it removed
 * from its instance profiles. A missing role is no error.
 */
export async function deleteRole(
  ctx: RegionContext,
  region: string,
  RoleName: string,
  signal?: AbortSignal,
): Promise<void> {
  const { iam, iamSdk } = await ctx.clients(region);
  const opts = { abortSignal: signal };
  // Errors name the region `global`, where the role is reported.
  const call = <T>(name: string, run: () => Promise<T>) =>
    callAws({ call: name, region: GLOBAL_REGION, signal }, run, () => undefined);
  const attached = await call('iam:ListAttachedRolePolicies', () =>
    collectPages(iamSdk.paginateListAttachedRolePolicies({ client: iam }, { RoleName }, opts), (p) =>
      (p.AttachedPolicies ?? []).flatMap((a) => (a.PolicyArn ? [a.PolicyArn] : [])),
    ),
  );
  if (attached === undefined) return; // the role is gone
  for (const PolicyArn of attached)
    await call('iam:DetachRolePolicy', () =>
      iam.send(new iamSdk.DetachRolePolicyCommand({ RoleName, PolicyArn }), opts),
    );
  const inline = await call('iam:ListRolePolicies', () =>
    collectPages(iamSdk.paginateListRolePolicies({ client: iam }, { RoleName }, opts), (p) => p.PolicyNames ?? []),
  );
  for (const PolicyName of inline ?? [])
    await call('iam:DeleteRolePolicy', () =>
      iam.send(new iamSdk.DeleteRolePolicyCommand({ RoleName, PolicyName }), opts),
    );
  const profiles = await call('iam:ListInstanceProfilesForRole', () =>
    collectPages(iamSdk.paginateListInstanceProfilesForRole({ client: iam }, { RoleName }, opts), (p) =>
      (p.InstanceProfiles ?? []).flatMap((i) => (i.InstanceProfileName ? [i.InstanceProfileName] : [])),
    ),
  );
  for (const InstanceProfileName of profiles ?? [])
    await call('iam:RemoveRoleFromInstanceProfile', () =>
      iam.send(new iamSdk.RemoveRoleFromInstanceProfileCommand({ InstanceProfileName, RoleName }), opts),
    );
  await call('iam:DeleteRole', () => iam.send(new iamSdk.DeleteRoleCommand({ RoleName }), opts));
}
