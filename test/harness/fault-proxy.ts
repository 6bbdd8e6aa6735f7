import {
  createServer as createHttpServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/** A request as a fault rule sees it: method, path with query, headers and the whole body. */
export interface ProxiedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** What a rule does to a request it matches. */
export type FaultAction =
  /** Answer at once with this response; the upstream never sees the request. */
  | { respond: { status: number; headers?: Record<string, string>; body?: string } }
  /** Close the connection without an answer (a server that went away mid-request). */
  | { reset: true }
  /** Forward it, then cut the response off this many milliseconds after its headers (a dropped watch). */
  | { cutAfterMs: number };

/** One fault: which requests, what happens to them, how many times (then the rule is spent). */
export interface FaultRule {
  name: string;
  when: (request: ProxiedRequest) => boolean;
  action: FaultAction;
  /** How many matching requests it applies to; Infinity for "until removed". */
  times: number;
}

/** A reverse proxy in front of a real server (moto, kube-apiserver, Prometheus) that injects faults. */
export interface FaultProxy {
  url: string;
  /** Adds a rule; rules are tried in the order added. */
  add(rule: FaultRule): void;
  remove(name: string): void;
  /** How many requests each rule has changed so far, by name (a test asserts the fault happened). */
  hits(): Record<string, number>;
  /** Every request seen, in order, as `METHOD url` (for failure messages). */
  seen(): string[];
  close(): Promise<void>;
}

/** Upstream TLS: the CA to trust and the client certificate to present (the API server wants one). */
export interface UpstreamTls {
  ca: string;
  cert?: string;
  key?: string;
}

/**
 * Starts a proxy on 127.0.0.1 that forwards to `upstream` and applies the fault rules. With
 * `serve` it terminates TLS itself (e.g. with the API server's own serving certificate, valid for
 * 127.0.0.1 on any port) and with `upstreamTls` it speaks TLS to the upstream; responses stream
 * through, so watches work until a rule cuts them.
 */
export async function startFaultProxy(options: {
  upstream: string;
  serve?: { cert: string; key: string };
  upstreamTls?: UpstreamTls;
}): Promise<FaultProxy> {
  const upstream = new URL(options.upstream);
  const rules: (FaultRule & { used: number })[] = [];
  const hits: Record<string, number> = {};
  const seen: string[] = [];
  const sockets = new Set<Socket>();

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const request: ProxiedRequest = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body: body.toString('utf8'),
      };
      seen.push(`${request.method} ${request.url}`);
      const rule = rules.find((r) => r.used < r.times && r.when(request));
      if (rule) {
        rule.used++;
        hits[rule.name] = (hits[rule.name] ?? 0) + 1;
      }
      const action = rule?.action;
      if (action && 'respond' in action) {
        res.writeHead(action.respond.status, { 'content-type': 'text/plain', ...action.respond.headers });
        res.end(action.respond.body ?? '');
        return;
      }
      if (action && 'reset' in action) {
        req.socket.destroy();
        return;
      }
      const send = upstream.protocol === 'https:' ? httpsRequest : httpRequest;
      const headers = { ...req.headers, host: upstream.host };
      const out = send(
        {
          protocol: upstream.protocol,
          hostname: upstream.hostname,
          port: upstream.port,
          method: request.method,
          path: request.url,
          headers,
          ...(options.upstreamTls ?? {}),
        },
        (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
          if (action && 'cutAfterMs' in action) {
            setTimeout(() => {
              upstreamRes.destroy();
              req.socket.destroy();
            }, action.cutAfterMs).unref();
          }
        },
      );
      out.on('error', () => req.socket.destroy());
      res.on('close', () => out.destroy());
      out.end(body);
    });
  };

  const server: Server = options.serve
    ? createHttpsServer({ cert: options.serve.cert, key: options.serve.key }, handler)
    : createHttpServer(handler);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.serve ? 'https' : 'http'}://127.0.0.1:${port}`,
    add: (rule) => rules.push({ ...rule, used: 0 }),
    remove: (name) => {
      const i = rules.findIndex((r) => r.name === name);
      if (i >= 0) rules.splice(i, 1);
    },
    hits: () => ({ ...hits }),
    seen: () => [...seen],
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The AWS API action of a request: the query protocol's `Action=` (EC2, ELBv2, IAM), the JSON protocols' X-Amz-Target. */
export function awsAction(request: ProxiedRequest): string {
  const target = request.headers['x-amz-target'];
  if (typeof target === 'string') return target.split('.').at(-1) ?? target;
  const form = new URLSearchParams(request.body);
  return (
    form.get('Action') ??
    new URL(request.url, 'http://x').searchParams.get('Action') ??
    `${request.method} ${request.url}`
  );
}

/** AWS's throttling answer in the query protocol's XML (what ELBv2 and IAM send). */
export function awsThrottling(): FaultAction {
  return {
    respond: {
      status: 400,
      headers: { 'content-type': 'text/xml' },
      body: '<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>',
    },
  };
}

/** EC2's throttling answer (its own XML shape). */
export function ec2RequestLimitExceeded(): FaultAction {
  return {
    respond: {
      status: 503,
      headers: { 'content-type': 'text/xml' },
      body: '<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>fault-proxy</RequestID></Response>',
    },
  };
}

/** A server error in the query protocol's XML. */
export function awsInternalError(): FaultAction {
  return {
    respond: {
      status: 500,
      headers: { 'content-type': 'text/xml' },
      body: '<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>We encountered an internal error. Please try again.</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>',
    },
  };
}

/** The API server's answer under load (API Priority and Fairness): 429 with Retry-After and a Status body. */
export function kubeTooManyRequests(retryAfterSeconds = 1): FaultAction {
  return {
    respond: {
      status: 429,
      headers: { 'content-type': 'application/json', 'retry-after': String(retryAfterSeconds) },
      body: JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        message: 'Too many requests, please try again later.',
        reason: 'TooManyRequests',
        details: { retryAfterSeconds },
        code: 429,
      }),
    },
  };
}

/** The API server's 503 (etcd briefly unavailable, say) with a Status body. */
export function kubeServiceUnavailable(): FaultAction {
  return {
    respond: {
      status: 503,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        message: 'the server is currently unable to handle the request',
        reason: 'ServiceUnavailable',
        code: 503,
      }),
    },
  };
}
