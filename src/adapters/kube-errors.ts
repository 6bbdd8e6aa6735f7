/**
 * Kubernetes API failures in the tool's words. @kubernetes/client-node throws an ApiException
 * whose message is a raw dump (code, body, headers), and a dead API server surfaces as a bare
 * `fetch failed` TypeError whose cause holds the real reason; neither tells a user what was being
 * done to which object on which server. Every API call of the kube adapters goes through
 * {@link kubeCall}: a failure becomes an InfrastructureError 'E_KUBE_API' (exit 3) naming the
 * operation, the object, the endpoint (the server URL, never credentials), the HTTP status and
 * the API server's own Status.message. 429 and 5xx are retried a few times first (Retry-After
 * honoured). A 404 is passed through unchanged: callers treat "not found" as an answer.
 */
import type { BenchError } from '../errors.ts';
import { InfrastructureError, InterruptedError, isBenchError } from '../errors.ts';
import { sleep } from '../util/sleep.ts';

/** What a call was doing, for the message. */
export interface KubeCallContext {
  /** e.g. `apply`, `list`, `delete`, `create Lease`. */
  operation: string;
  /** e.g. `Deployment thyme/collector`; omitted for calls that name none. */
  object?: string;
  /** The API server's URL. */
  server: string;
}

/** How often and how long 429 / 5xx are retried. */
export interface KubeRetryOptions {
  /** Attempts in all (default 4). */
  attempts?: number;
  /** First backoff in ms, doubled each time (default 500). */
  baseDelayMs?: number;
  /** Largest single wait, also caps Retry-After (default 10 s). */
  maxDelayMs?: number;
  signal?: AbortSignal;
  /** HTTP statuses thrown as the client threw them, for callers that treat them as answers (default [404]). */
  passThrough?: number[];
}

/** The HTTP status of a client-node failure, when it has one. */
export function kubeStatus(err: unknown): number | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

/** True for a 404 from the API server. */
export function isKubeNotFound(err: unknown): boolean {
  return kubeStatus(err) === 404;
}

/** True for a 409 (an object that already exists, or a stale resourceVersion). */
export function isKubeConflict(err: unknown): boolean {
  return kubeStatus(err) === 409;
}

/** The API server's Status.message (or reason) from an ApiException's body. */
function statusMessage(body: unknown): string | undefined {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body.trim().split('\n')[0]?.slice(0, 300) || undefined;
    }
  }
  if (parsed && typeof parsed === 'object') {
    const s = parsed as { message?: unknown; reason?: unknown };
    if (typeof s.message === 'string' && s.message) return s.message;
    if (typeof s.reason === 'string' && s.reason) return s.reason;
  }
  return undefined;
}

/** The network-level reason behind a `fetch failed` (ECONNREFUSED, ENOTFOUND, a certificate error, a timeout). */
function networkReason(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    const x = e as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown; errors?: unknown[] };
    if (typeof x.code === 'string' && x.code) return x.code;
    if (x.name === 'TimeoutError' || x.name === 'AbortError') return 'timed out';
    // An AggregateError (happy eyeballs: one per address) carries the codes in errors[].
    const inner = Array.isArray(x.errors)
      ? x.errors.find((y) => typeof (y as { code?: unknown })?.code === 'string')
      : undefined;
    if (inner) return String((inner as { code: string }).code);
    e = x.cause;
  }
  const message = (err as Error)?.message ?? '';
  return /fetch failed|ECONN|ENOTFOUND|socket|certificate|timed? ?out/i.test(message) ? message : undefined;
}

/** Whether a failure is worth trying again: 429, 5xx, or the connection dropped mid-call. */
function retryable(err: unknown): boolean {
  const status = kubeStatus(err);
  if (status !== undefined) return status === 429 || status >= 500;
  const reason = networkReason(err);
  return reason === 'ECONNRESET' || reason === 'EPIPE' || reason === 'UND_ERR_SOCKET';
}

/** Retry-After (seconds, or an HTTP date) of an ApiException, in ms. */
function retryAfterMs(err: unknown): number | undefined {
  const headers = (err as { headers?: Record<string, string> | undefined })?.headers;
  const value = headers?.['retry-after'] ?? headers?.['Retry-After'];
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** Maps any client-node failure to our error; a BenchError passes through. */
export function toKubeError(err: unknown, context: KubeCallContext): BenchError {
  if (isBenchError(err)) return err;
  const what = `${context.operation}${context.object ? ` ${context.object}` : ''}`;
  const status = kubeStatus(err);
  if (status !== undefined) {
    const said = statusMessage((err as { body?: unknown }).body);
    const fix =
      status === 401 || status === 403
        ? "the cluster refused this identity: check the kubeconfig's credentials and the identity's RBAC (the run needs cluster-admin)"
        : status === 429 || status >= 500
          ? 'the API server is overloaded or failing; wait and try again (`bench cleanup <run-id>` removes what a failed run left)'
          : 'see the API server message; a rejected object is a problem of the suite or of its parameters';
    return new InfrastructureError(
      'E_KUBE_API',
      `${what} failed at ${context.server}: HTTP ${status}${said ? `: ${said}` : ''}`,
      {
        fix,
        data: { operation: context.operation, object: context.object, server: context.server, status, message: said },
      },
    );
  }
  const reason = networkReason(err) ?? ((err as Error)?.message || String(err)).split('\n')[0];
  return new InfrastructureError('E_KUBE_API', `${what} failed: ${reason} ${context.server}`, {
    fix: 'check that the cluster is up and reachable from this machine (its address, port and certificate)',
    data: { operation: context.operation, object: context.object, server: context.server, reason },
    cause: err,
  });
}

/**
 * Runs one API call: 429 / 5xx (and a connection reset) are retried with exponential backoff,
 * honouring Retry-After; then any failure but a 404 becomes {@link toKubeError}. A 404 is thrown
 * (and any status in `passThrough`) is thrown as the client threw it, so `isKubeNotFound` callers keep working.
 */
export async function kubeCall<T>(
  context: KubeCallContext,
  call: () => Promise<T>,
  options: KubeRetryOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 4;
  const base = options.baseDelayMs ?? 500;
  const max = options.maxDelayMs ?? 10_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const status = kubeStatus(err);
      if (status !== undefined && (options.passThrough ?? [404]).includes(status)) throw err;
      if (attempt >= attempts || !retryable(err) || options.signal?.aborted) throw toKubeError(err, context);
      const wait = Math.min(max, retryAfterMs(err) ?? base * 2 ** (attempt - 1));
      await sleep(wait, options.signal, () => new InterruptedError(`interrupted while retrying: ${context.operation}`));
    }
  }
}
