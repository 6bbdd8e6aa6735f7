import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { InfrastructureError, InterruptedError } from '../errors.ts';
import type { ClusterConnection } from './kube-cluster.ts';

/**
 * What the pods of a system under test say about themselves: a workload's output (its container
 * log, read through the Kubernetes API the same way `kubectl logs` does) and a pod's own JSON
 * endpoint (through the API server's pod proxy, or, on the local cloud, the agent that stands in
 * for the pod network: kube-apiserver refuses to proxy to loopback pod IPs).
 */
export interface PodData {
  /** Names of the pods matching a selector (terminating ones included: their logs still count). */
  listPods(namespace: string, selector: Record<string, string>, signal?: AbortSignal): Promise<string[]>;
  /** A container's whole log. */
  readLog(namespace: string, pod: string, container: string, signal?: AbortSignal): Promise<string>;
  /** GET a path of a pod's port, parsed as JSON. */
  readJson(namespace: string, pod: string, port: number, path: string, signal?: AbortSignal): Promise<unknown>;
}

export interface PodDataOptions {
  /**
   * Read pods' JSON from `<base>/pods/<namespace>/<pod><path>` instead of the API server's pod proxy
   * (the local cloud's agent).
   */
  podEndpointBase?: string;
  /** Per request (default 60 s: a long run's log is large). */
  timeoutMs?: number;
}

/** The real client: the cluster's API server (credentials from the connection, refreshed). */
export function createPodData(connection: ClusterConnection, options: PodDataOptions = {}): PodData {
  const timeoutMs = options.timeoutMs ?? 60_000;

  async function apiGet(path: string, what: string, signal?: AbortSignal): Promise<string> {
    const kc = await connection.kubeConfig();
    const server = kc.getCurrentCluster()?.server;
    if (!server) throw new Error('the kubeconfig has no current cluster');
    // CA, client certificate and bearer token, exactly as the client library would send them.
    const opts: RequestOptions & { headers: Record<string, string> } = { headers: {} };
    await kc.applyToHTTPSOptions(opts);
    return get(new URL(server.replace(/\/+$/, '') + path), opts, what, timeoutMs, signal);
  }

  return {
    async listPods(namespace, selector, signal) {
      const labelSelector = Object.entries(selector)
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      const body = await apiGet(
        `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods?labelSelector=${encodeURIComponent(labelSelector)}`,
        `pods ${labelSelector} in ${namespace}`,
        signal,
      );
      const list = JSON.parse(body) as { items?: { metadata?: { name?: string } }[] };
      return (list.items ?? []).map((p) => p.metadata?.name ?? '').filter(Boolean);
    },
    async readLog(namespace, pod, container, signal) {
      return apiGet(
        `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log?container=${encodeURIComponent(container)}`,
        `the log of ${namespace}/${pod} (${container})`,
        signal,
      );
    },
    async readJson(namespace, pod, port, path, signal) {
      const what = `${path} of pod ${namespace}/${pod}:${port}`;
      const body = options.podEndpointBase
        ? await get(
            new URL(
              `${options.podEndpointBase.replace(/\/+$/, '')}/pods/${encodeURIComponent(namespace)}/${encodeURIComponent(pod)}${path}`,
            ),
            { headers: {} },
            what,
            timeoutMs,
            signal,
          )
        : await apiGet(
            `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}:${port}/proxy${path}`,
            what,
            signal,
          );
      try {
        return JSON.parse(body) as unknown;
      } catch {
        throw new InfrastructureError('E_POD_DATA', `${what} is not JSON`, {
          fix: `check that the pod serves JSON at ${path} on port ${port}`,
        });
      }
    },
  };
}

function get(
  url: URL,
  options: RequestOptions,
  what: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<string> {
  if (signal?.aborted) return Promise.reject(new InterruptedError('interrupted'));
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { ...options, method: 'GET', timeout: timeoutMs, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          resolve(body);
          return;
        }
        // A Kubernetes Status explains itself; anything else is cut short.
        let message = body.slice(0, 300);
        try {
          message = (JSON.parse(body) as { message?: string }).message ?? message;
        } catch {
          // not JSON
        }
        reject(
          new InfrastructureError('E_POD_DATA', `reading ${what} failed: HTTP ${status}: ${message}`, {
            fix: 'check that the pod exists and runs, and that your credentials may read pods/log and pods/proxy',
          }),
        );
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000}s`)));
    req.on('error', (err) => {
      if (signal?.aborted) reject(new InterruptedError('interrupted'));
      else
        reject(
          new InfrastructureError('E_POD_DATA', `reading ${what} failed: ${err.message}`, {
            fix: 'check that the cluster is reachable',
          }),
        );
    });
    req.end();
  });
}
