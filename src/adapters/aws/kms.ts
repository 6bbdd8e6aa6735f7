/**
 * KMS as teardown and cleanup need it: which keys are still live, and a key's deletion (the only
 * one AWS offers: scheduled, 7 days, the shortest it allows). Our own types.
 */
import { awsErrorName, callAws, mapConcurrent } from '../aws-calls.ts';
import type { RegionContext } from './clients.ts';
import type { CloudResource } from './resource.ts';

const LOOKUP_CONCURRENCY = 8;

/** The keys among `items` that are still live: a key pending deletion is gone for our purposes. */
export async function liveKeys(ctx: RegionContext, items: CloudResource[], signal?: AbortSignal) {
  const { region } = ctx;
  const { kms, kmsSdk } = await ctx.clients(region);
  const states = await mapConcurrent(items, LOOKUP_CONCURRENCY, (r) =>
    callAws(
      { call: 'kms:DescribeKey', region, signal },
      async () => (await kms.send(new kmsSdk.DescribeKeyCommand({ KeyId: r.id }), { abortSignal: signal })).KeyMetadata,
      () => undefined,
    ),
  );
  // ScheduleKeyDeletion is the only deletion AWS offers (7 to 30 days later); once scheduled the
  // key can no longer be used and costs nothing, so a key PendingDeletion counts as gone, and the
  // teardown of a run whose module scheduled it is clean.
  return items.filter((_, i) => {
    const meta = states[i];
    return (
      meta !== undefined &&
      meta.KeyManager !== 'AWS' &&
      meta.KeyState !== 'PendingDeletion' &&
      meta.KeyState !== 'PendingReplicaDeletion'
    );
  });
}

/** Schedules a key's deletion in 7 days; a missing key, or one already pending deletion, is no error. */
export async function scheduleKeyDeletion(
  ctx: RegionContext,
  region: string,
  keyId: string,
  signal?: AbortSignal,
): Promise<void> {
  const { kms, kmsSdk } = await ctx.clients(region);
  try {
    // The key id, not its ARN: moto 5.2 answers 500 to an ARN here.
    await callAws(
      { call: 'kms:ScheduleKeyDeletion', region, signal },
      () =>
        kms.send(new kmsSdk.ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }), {
          abortSignal: signal,
        }),
      () => undefined,
    );
  } catch (err) {
    // Already pending deletion: what was asked is done.
    if (awsErrorName(err) !== 'KMSInvalidStateException') throw err;
  }
}
