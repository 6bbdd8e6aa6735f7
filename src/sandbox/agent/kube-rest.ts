import { request } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/** A minimal JSON REST client on the kubeconfig's credentials (the agent plays a cloud component). */
export interface KubeRest {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body: unknown): Promise<T>;
  patch<T>(path: string, body: unknown, contentType?: string): Promise<T>;
}

export class KubeRestError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export function createKubeRest(kc: KubeConfig): KubeRest {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('kubeconfig has no current cluster');
  const call = async <T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> => {
    const opts: { headers: Record<string, string>; [k: string]: unknown } = { headers: {} };
    await kc.applyToHTTPSOptions(opts);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = request(
        new URL(path, server),
        {
          ...opts,
          method,
          timeout: 10_000,
          headers: {
            ...opts.headers,
            Accept: 'application/json',
            ...(payload ? { 'Content-Type': contentType ?? 'application/json' } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if ((res.statusCode ?? 0) >= 400)
              reject(
                new KubeRestError(res.statusCode ?? 0, `${method} ${path}: ${res.statusCode} ${text.slice(0, 300)}`),
              );
            else resolve((text ? JSON.parse(text) : {}) as T);
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  };
  return {
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body),
    patch: (path, body, contentType = 'application/merge-patch+json') => call('PATCH', path, body, contentType),
  };
}

/** The parts of a Kubernetes object the agent reads. */
export interface KubeMeta {
  name: string;
  namespace?: string;
  uid: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  deletionTimestamp?: string;
}
