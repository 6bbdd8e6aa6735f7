/**
 * How bench makes one AWS call: "not found" told apart, an abort turned into InterruptedError,
 * anything else an InfrastructureError 'E_AWS' naming the call (as IAM names the permission), the
 * region and the HTTP status. Shared by the adapters that talk to AWS; holds no SDK import.
 */
import { BenchError, InfrastructureError, InterruptedError } from '../errors.ts';

/** Error names that mean "it is not there" (the EC2 ones end in .NotFound and are matched apart). */
const NOT_FOUND = new Set([
  'LoadBalancerNotFoundException',
  'LoadBalancerNotFound',
  'TargetGroupNotFoundException',
  'TargetGroupNotFound',
  'ListenerNotFoundException',
  'ListenerNotFound',
  'RepositoryNotFoundException',
  'ResourceNotFoundException',
  'NoSuchEntity',
  'NoSuchEntityException',
  'NotFoundException',
  'NatGatewayNotFound',
]);

export interface AwsCall {
  /** `service:Action`, as IAM names it (so the fix can name the permission). */
  call: string;
  region: string;
  signal?: AbortSignal | undefined;
}

/**
 * Runs one SDK call. "Not found" becomes `onNotFound()` when given; an aborted signal becomes an
 * InterruptedError; anything else an InfrastructureError 'E_AWS' naming the call and the region.
 */
export async function callAws<T, F = never>(
  call: AwsCall,
  run: () => Promise<T>,
  onNotFound?: () => F,
): Promise<T | F> {
  try {
    return await run();
  } catch (err) {
    if (call.signal?.aborted) throw new InterruptedError(`interrupted during ${call.call} in ${call.region}`);
    if (onNotFound && isNotFound(err)) return onNotFound();
    throw awsError(call, err);
  }
}

export function isNotFound(err: unknown): boolean {
  const e = err as { name?: unknown; Code?: unknown } | null;
  const names = [String(e?.name), String(e?.Code)];
  // EC2 says InvalidVpcID.NotFound, InvalidGroup.NotFound, InvalidAllocationID.NotFound, ...
  return names.some((n) => NOT_FOUND.has(n) || n.endsWith('.NotFound'));
}

export function isNotFoundBenchError(err: unknown): boolean {
  return err instanceof BenchError && err.code === 'E_AWS' && err.data?.notFound === true;
}

export function skipNotFound(err: unknown): never[] {
  if (isNotFoundBenchError(err)) return [];
  throw err;
}

/** An AWS failure in our words; the SDK's message names the problem and holds no secret. */
export function awsError(call: AwsCall, err: unknown): InfrastructureError {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } } | null;
  const name = e?.name ?? 'Error';
  const message = e?.message ?? String(err);
  const status = e?.$metadata?.httpStatusCode;
  return new InfrastructureError('E_AWS', `${call.call} in ${call.region} failed: ${name}: ${message}`, {
    fix: fixFor(name, call),
    data: {
      call: call.call,
      region: call.region,
      awsError: name,
      ...(status === undefined ? {} : { httpStatus: status }),
      ...(isNotFound(err) ? { notFound: true } : {}),
    },
    cause: err,
  });
}

function fixFor(name: string, call: AwsCall): string {
  if (/credential|token|signature|UnrecognizedClient|InvalidClientTokenId|ExpiredToken/i.test(name))
    return 'check the AWS credentials (`bench doctor` shows who they belong to), then run the command again';
  if (/AccessDenied|UnauthorizedOperation|NotAuthorized/i.test(name))
    return `grant ${call.call} in ${call.region} to the identity \`bench doctor\` shows, then run the command again`;
  if (/Throttl|TooManyRequests|RequestLimitExceeded/i.test(name))
    return 'AWS is throttling this account; wait a minute and run the command again';
  if (/ResourceInUse|DependencyViolation/i.test(name))
    return 'something still uses it (e.g. a listener or load balancer); delete that first, or run `bench cleanup` again in a minute';
  return `check that ${call.region} is reachable with these credentials (\`bench doctor\`), then run the command again`;
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size));
  return batches;
}

/** Maps with at most `limit` calls in flight, keeping the order of the input. */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The AWS error name of a failure (its `name`, or `Code` for older shapes). */
export function awsErrorName(err: unknown): string {
  if (err instanceof BenchError) return String(err.data?.awsError ?? err.code);
  const e = err as { name?: unknown; Code?: unknown } | null;
  return String(e?.name ?? e?.Code ?? 'Error');
}

/**
 * Every item of every page an SDK paginator yields. Run it inside {@link callAws}, so that a
 * failure of any page is mapped like a single call's.
 */
export async function collectPages<P, T>(pages: AsyncIterable<P>, pick: (page: P) => Iterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const page of pages) for (const item of pick(page)) items.push(item);
  return items;
}
