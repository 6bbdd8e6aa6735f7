import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';

/** TLS material for a request: a CA to trust and an optional client certificate. */
export interface TlsOptions {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Accept any server certificate (self-signed health endpoints on loopback only). */
  insecure?: boolean;
}

export interface HttpResponse {
  status: number;
  body: string;
}

/** One GET with a deadline; rejects on network errors, resolves with any HTTP status. */
export function httpGet(
  url: string,
  options: TlsOptions & { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<HttpResponse> {
  const u = new URL(url);
  const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      u,
      {
        method: 'GET',
        ca: options.ca,
        cert: options.cert,
        key: options.key,
        rejectUnauthorized: !options.insecure,
        timeout: options.timeoutMs ?? 5000,
        signal: options.signal,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timed out after ${options.timeoutMs ?? 5000} ms`)));
    req.on('error', reject);
    req.end();
  });
}
