import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';
import type { ClusterConnection } from './kube-cluster.ts';
import { InfrastructureError, InterruptedError, SuiteError } from '../errors.ts';
import { sleep } from '../util/sleep.ts';

/**
 * The Prometheus HTTP API (instant and range queries), on any Prometheus-compatible endpoint:
 * Prometheus itself reached through the Kubernetes API server's service proxy (the default: no
 * public endpoint needed), or a URL (`--prometheus-url`: Prometheus, a Thanos Querier, ...).
 *
 * Queries are POSTed as forms (PromQL can be long) with `partial_response=false`, so a Thanos
 * Querier with a store missing fails instead of answering with part of the data; Prometheus
 * ignores the parameter. Network errors, timeouts, 5xx and 429 are retried with exponential
 * backoff; a rejected expression (400/422) is not, and surfaces Prometheus's own error text.
 */

export interface Sample {
  /** Unix seconds (millisecond precision). */
  t: number;
  /** "NaN", "+Inf" and "-Inf" become NaN, Infinity and -Infinity. */
  v: number;
}

export interface Series {
  labels: Record<string, string>;
  samples: Sample[];
}

export type PrometheusEndpoint =
  | { kind: 'url'; url: string; headers?: Record<string, string> }
  /** Through the API server: /api/v1/namespaces/<ns>/services/<service>:<port>/proxy/api/v1/... */
  | { kind: 'kube-proxy'; connection: ClusterConnection; namespace: string; service: string; port: number | string };

export interface QueryOptions {
  signal?: AbortSignal;
  /** Per attempt (default 30 s for queries, 5 s for ready()). */
  timeoutMs?: number;
}

export interface RangeOptions extends QueryOptions {
  /**
   * Wanted resolution in seconds. Default: the finest whole-second step that keeps the range in
   * one request (`chooseStep(range, 1, maxPoints)`). A step given here is kept; a range that
   * would need more than `maxPoints` steps with it is split into chunks instead.
   */
  stepSeconds?: number;
  /**
   * Steps per series per request (default 11,000: Prometheus refuses `(end - start) / step >
   * 11,000`, so one request returns at most maxPoints + 1 samples per series).
   */
  maxPoints?: number;
}

export interface PrometheusClient {
  /** Instant query at `at` (default: the server's now). */
  query(expr: string, at?: Date, options?: QueryOptions): Promise<Series[]>;
  /**
   * Range query; a range longer than maxPoints * step is split into consecutive chunks on the
   * same evaluation grid, queried one by one, and merged (no duplicate timestamps at chunk
   * borders). Returns the step used and how many requests it took.
   */
  queryRange(
    expr: string,
    start: Date,
    end: Date,
    options?: RangeOptions,
  ): Promise<{ series: Series[]; stepSeconds: number; chunks: number }>;
  /** Whether the endpoint answers (GET /-/ready, else /api/v1/status/buildinfo); one attempt each. */
  ready(options?: QueryOptions): Promise<boolean>;
  /** Where it points, for messages (no credentials). */
  describe(): string;
}

export interface PrometheusClientOptions {
  /** Retries after the first attempt on network errors, timeouts, 5xx and 429 (default 3). */
  retries?: number;
  /** First backoff; doubles on each retry (default 250 ms: 250, 500, 1000 ms). */
  backoffMs?: number;
  /** Send `partial_response=false` (Thanos: fail on a missing store). Default true; Prometheus ignores it. */
  thanos?: boolean;
}

/** Prometheus's limit on steps per series in one range query. */
export const PROMETHEUS_MAX_POINTS = 11_000;

const QUERY_TIMEOUT_MS = 30_000;
const READY_TIMEOUT_MS = 5_000;

/** The step for a range: max(wanted, ceil(range / maxPoints)), in whole seconds (at least 1). */
export function chooseStep(rangeSeconds: number, wantedSeconds: number, maxPoints = PROMETHEUS_MAX_POINTS): number {
  if (!(maxPoints >= 1)) throw new RangeError(`maxPoints must be at least 1, got ${maxPoints}`);
  const wanted = Number.isFinite(wantedSeconds) && wantedSeconds > 0 ? Math.ceil(wantedSeconds) : 1;
  const range = Number.isFinite(rangeSeconds) && rangeSeconds > 0 ? rangeSeconds : 0;
  return Math.max(wanted, Math.ceil(range / Math.floor(maxPoints)), 1);
}

/** Groups series by the `cluster` label (Thanos / multi-cluster); series without it under ''. Keys sorted. */
export function byCluster(series: Series[]): Map<string, Series[]> {
  const groups = new Map<string, Series[]>();
  for (const s of series) {
    const key = s.labels.cluster ?? '';
    const group = groups.get(key);
    if (group) group.push(s);
    else groups.set(key, [s]);
  }
  return new Map([...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

// ---------------------------------------------------------------------------------------------
// Transport: one HTTP exchange, to a URL or through the Kubernetes API server.

interface RawResponse {
  status: number;
  body: string;
}

interface Transport {
  describe: string;
  /** What to check when the endpoint does not answer. */
  fix: string;
  send(
    method: 'GET' | 'POST',
    path: string,
    form: URLSearchParams | undefined,
    signal: AbortSignal,
  ): Promise<RawResponse>;
}

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

async function decode(res: IncomingMessage, raw: Buffer): Promise<string> {
  const encoding = String(res.headers['content-encoding'] ?? '').toLowerCase();
  if (encoding === 'gzip') return (await gunzipAsync(raw)).toString('utf8');
  if (encoding === 'deflate') return (await inflateAsync(raw)).toString('utf8');
  return raw.toString('utf8');
}

function exchange(
  url: URL,
  options: RequestOptions,
  body: string | undefined,
  signal: AbortSignal,
): Promise<RawResponse> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { ...options, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('close', () => {
        if (!res.complete) reject(new Error('the connection closed before the whole response arrived'));
      });
      res.on('end', () => {
        decode(res, Buffer.concat(chunks)).then((text) => resolve({ status: res.statusCode ?? 0, body: text }), reject);
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function requestHeaders(method: 'GET' | 'POST', body: string | undefined): Record<string, string> {
  return {
    Accept: 'application/json',
    'Accept-Encoding': 'gzip',
    'User-Agent': 'bench',
    ...(method === 'POST'
      ? { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(Buffer.byteLength(body ?? '')) }
      : {}),
  };
}

function urlTransport(endpoint: Extract<PrometheusEndpoint, { kind: 'url' }>): Transport {
  let base: URL;
  try {
    base = new URL(endpoint.url);
  } catch {
    throw new InfrastructureError('E_PROMETHEUS_URL', `not a URL: '${endpoint.url}'`, {
      fix: 'give --prometheus-url as http(s)://host:port[/path], e.g. http://thanos-query:9090',
    });
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new InfrastructureError('E_PROMETHEUS_URL', `not an http(s) URL: '${base.protocol}//${base.host}'`, {
      fix: 'give --prometheus-url as http(s)://host:port[/path]',
    });
  }
  const auth =
    base.username || base.password
      ? `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64')}`
      : undefined;
  base.username = '';
  base.password = '';
  const basePath = base.pathname.replace(/\/+$/, '');
  const describe = `${base.origin}${basePath}`;
  return {
    describe,
    fix: `check that Prometheus runs and answers at ${describe}, or point --prometheus-url at a Prometheus-compatible endpoint that does`,
    send(method, path, form, signal) {
      const url = new URL(base);
      url.pathname = basePath + path;
      const body = form?.toString();
      const headers = {
        ...requestHeaders(method, body),
        ...(auth ? { Authorization: auth } : {}),
        ...endpoint.headers,
      };
      return exchange(url, { method, headers }, body, signal);
    },
  };
}

function kubeProxyTransport(endpoint: Extract<PrometheusEndpoint, { kind: 'kube-proxy' }>): Transport {
  const proxyPath = `/api/v1/namespaces/${endpoint.namespace}/services/${endpoint.service}:${endpoint.port}/proxy`;
  const where = `service ${endpoint.namespace}/${endpoint.service}:${endpoint.port}`;
  return {
    describe: `${where} through the Kubernetes API at ${endpoint.connection.server}`,
    fix: `check that ${where} exists and has ready endpoints (kubectl -n ${endpoint.namespace} get endpoints ${endpoint.service}), and that your credentials may create services/proxy; or reach Prometheus another way with --prometheus-url`,
    async send(method, path, form, signal) {
      const kc = await endpoint.connection.kubeConfig();
      const server = kc.getCurrentCluster()?.server;
      if (!server) throw new Error('the kubeconfig has no current cluster');
      // ca, client certificate, bearer token (refreshed by exec plugins), and an agent honouring proxy-url.
      const opts: RequestOptions & { headers: Record<string, string> } = { headers: {} };
      await kc.applyToHTTPSOptions(opts);
      const body = form?.toString();
      const url = new URL(server.replace(/\/+$/, '') + proxyPath + path);
      return exchange(
        url,
        { ...opts, method, headers: { ...opts.headers, ...requestHeaders(method, body) } },
        body,
        signal,
      );
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The API: retries, errors, parsing.

interface ApiBody {
  status?: string;
  data?: unknown;
  errorType?: string;
  error?: string;
  /** A Kubernetes Status (the API server's own errors on the proxy path). */
  message?: string;
}

function parseJson(text: string): ApiBody | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The error a response carries, in one line: Prometheus's errorType and error, a Kubernetes Status message, or the body. */
function errorText(res: RawResponse): string {
  const json = parseJson(res.body);
  if (json?.error !== undefined) return `HTTP ${res.status} ${json.errorType ?? 'error'}: ${json.error}`;
  if (json?.message !== undefined) return `HTTP ${res.status}: ${json.message}`;
  const text = res.body.replace(/\s+/g, ' ').trim();
  return `HTTP ${res.status}${text ? `: ${text.length > 300 ? `${text.slice(0, 300)}...` : text}` : ''}`;
}

function parseValue(v: unknown): number {
  if (typeof v === 'number') return v;
  switch (v) {
    case '+Inf':
    case 'Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    default:
      return Number(v);
  }
}

type RawSample = [number, string];
interface RawSeries {
  metric?: Record<string, string>;
  value?: RawSample;
  values?: RawSample[];
}

const sample = ([t, v]: RawSample): Sample => ({ t: Number(t), v: parseValue(v) });

/** Prometheus's `data` as series: matrix and vector as they are, a scalar or string as one unlabelled series. Native histograms are skipped. */
function toSeries(data: unknown): Series[] {
  const { resultType, result } = (data ?? {}) as { resultType?: string; result?: unknown };
  switch (resultType) {
    case 'matrix':
      return ((result ?? []) as RawSeries[]).map((r) => ({
        labels: r.metric ?? {},
        samples: (r.values ?? []).map(sample),
      }));
    case 'vector':
      return ((result ?? []) as RawSeries[]).map((r) => ({
        labels: r.metric ?? {},
        samples: r.value ? [sample(r.value)] : [],
      }));
    case 'scalar':
    case 'string':
      return Array.isArray(result) ? [{ labels: {}, samples: [sample(result as RawSample)] }] : [];
    default:
      throw new Error(`unexpected resultType '${String(resultType)}'`);
  }
}

const seconds = (ms: number) => String(ms / 1000);

const labelKey = (labels: Record<string, string>) =>
  JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** Concatenates chunked results per label set, in time order, one sample per timestamp. */
function mergeChunks(chunks: Series[][]): Series[] {
  const merged = new Map<string, Series>();
  for (const chunk of chunks) {
    for (const s of chunk) {
      const key = labelKey(s.labels);
      const into = merged.get(key);
      if (into) into.samples.push(...s.samples);
      else merged.set(key, { labels: s.labels, samples: [...s.samples] });
    }
  }
  for (const s of merged.values()) {
    s.samples.sort((a, b) => a.t - b.t);
    s.samples = s.samples.filter((x, i, all) => i === 0 || x.t !== (all[i - 1] as Sample).t);
  }
  return [...merged.values()];
}

export function createPrometheusClient(
  endpoint: PrometheusEndpoint,
  options: PrometheusClientOptions = {},
): PrometheusClient {
  const transport = endpoint.kind === 'url' ? urlTransport(endpoint) : kubeProxyTransport(endpoint);
  const retries = Math.max(0, Math.floor(options.retries ?? 3));
  const backoffMs = options.backoffMs ?? 250;
  const partial: Record<string, string> = options.thanos === false ? {} : { partial_response: 'false' };

  const interrupted = (what: string) =>
    new InterruptedError(`interrupted while ${what} (Prometheus at ${transport.describe})`);

  /** One attempt with its own deadline; the caller's abort becomes an InterruptedError. */
  async function attempt(
    method: 'GET' | 'POST',
    path: string,
    form: URLSearchParams | undefined,
    what: string,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<RawResponse> {
    if (signal?.aborted) throw interrupted(what);
    const deadline = AbortSignal.timeout(timeoutMs);
    try {
      return await transport.send(method, path, form, signal ? AbortSignal.any([signal, deadline]) : deadline);
    } catch (err) {
      if (signal?.aborted) throw interrupted(what);
      if (deadline.aborted) throw new Error(`no answer within ${timeoutMs} ms`, { cause: err });
      throw err;
    }
  }

  /** A POST to the API with retries; returns `data`. */
  async function call(
    path: string,
    params: Record<string, string>,
    expr: string,
    opts: QueryOptions,
  ): Promise<unknown> {
    const form = new URLSearchParams({ ...params, ...partial });
    const what = `querying ${path.replace('/api/v1/', '')}`;
    const timeoutMs = opts.timeoutMs ?? QUERY_TIMEOUT_MS;
    let lastError = '';
    let attempts = 0;
    for (let i = 0; i <= retries; i++) {
      if (i > 0) {
        await sleep(backoffMs * 2 ** (i - 1), opts.signal, () => interrupted(what));
      }
      attempts++;
      let res: RawResponse;
      try {
        res = await attempt('POST', path, form, what, timeoutMs, opts.signal);
      } catch (err) {
        if (err instanceof InterruptedError) throw err;
        const e = err as NodeJS.ErrnoException;
        lastError = `${e.code && !e.message.includes(e.code) ? `${e.code} ` : ''}${e.message}`;
        continue;
      }
      if (res.status === 429 || res.status >= 500) {
        lastError = errorText(res);
        continue;
      }
      const json = parseJson(res.body);
      if (res.status >= 200 && res.status < 300) {
        if (json?.status === 'success') return json.data;
        if (json?.status === 'error') throw promqlError(expr, json);
        throw malformed(res);
      }
      if ((res.status === 400 || res.status === 422) && json?.status === 'error') throw promqlError(expr, json);
      throw new InfrastructureError(
        'E_PROMETHEUS',
        `Prometheus at ${transport.describe} refused the request: ${errorText(res)}`,
        {
          fix:
            res.status === 401 || res.status === 403
              ? endpoint.kind === 'kube-proxy'
                ? 'your Kubernetes credentials need create on services/proxy in that namespace; or use --prometheus-url'
                : 'give the credentials the endpoint wants (user:password in --prometheus-url, or headers)'
              : transport.fix,
          data: { endpoint: transport.describe, status: res.status },
        },
      );
    }
    throw new InfrastructureError(
      'E_PROMETHEUS',
      `Prometheus at ${transport.describe} did not answer after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${lastError}`,
      { fix: transport.fix, data: { endpoint: transport.describe, attempts, lastError } },
    );
  }

  function promqlError(expr: string, json: ApiBody): SuiteError {
    const errorType = json.errorType ?? 'error';
    const error = json.error ?? 'no error text';
    return new SuiteError('E_PROMQL', `Prometheus rejected the query (${errorType}): ${error}\n  query: ${expr}`, {
      fix: 'correct the PromQL expression in the suite; a position like 1:15 is line:column within it',
      data: { expression: expr, errorType, error },
    });
  }

  function malformed(res: RawResponse): InfrastructureError {
    return new InfrastructureError(
      'E_PROMETHEUS',
      `${transport.describe} did not answer like the Prometheus API: ${errorText(res)}`,
      { fix: transport.fix, data: { endpoint: transport.describe, status: res.status } },
    );
  }

  function parsed(data: unknown): Series[] {
    try {
      return toSeries(data);
    } catch (err) {
      throw new InfrastructureError(
        'E_PROMETHEUS',
        `${transport.describe} answered with data this client does not read: ${(err as Error).message}`,
        { fix: transport.fix, data: { endpoint: transport.describe }, cause: err },
      );
    }
  }

  return {
    describe: () => transport.describe,

    async query(expr, at, opts = {}) {
      const params: Record<string, string> = { query: expr };
      if (at) params.time = seconds(at.getTime());
      return parsed(await call('/api/v1/query', params, expr, opts));
    },

    async queryRange(expr, start, end, opts = {}) {
      const startMs = start.getTime();
      const endMs = end.getTime();
      if (!(endMs >= startMs)) {
        throw new RangeError(`queryRange: end (${end.toISOString()}) is before start (${start.toISOString()})`);
      }
      const maxPoints = Math.floor(opts.maxPoints ?? PROMETHEUS_MAX_POINTS);
      if (!(maxPoints >= 1)) throw new RangeError(`queryRange: maxPoints must be at least 1, got ${opts.maxPoints}`);
      const rangeSeconds = (endMs - startMs) / 1000;
      const step =
        opts.stepSeconds === undefined ? chooseStep(rangeSeconds, 1, maxPoints) : chooseStep(0, opts.stepSeconds);
      const stepMs = step * 1000;
      // The evaluation grid is start + k * step up to end; each chunk takes maxPoints steps of it
      // (maxPoints + 1 timestamps), and the next starts on the following timestamp.
      const total = Math.floor((endMs - startMs) / stepMs) + 1;
      const perChunk = maxPoints + 1;
      const results: Series[][] = [];
      for (let first = 0; first < total; first += perChunk) {
        const last = Math.min(first + perChunk, total) - 1;
        const data = await call(
          '/api/v1/query_range',
          {
            query: expr,
            start: seconds(startMs + first * stepMs),
            end: seconds(startMs + last * stepMs),
            step: String(step),
          },
          expr,
          opts,
        );
        results.push(parsed(data));
      }
      const series = results.length === 1 ? (results[0] as Series[]) : mergeChunks(results);
      return { series, stepSeconds: step, chunks: results.length };
    },

    async ready(opts = {}) {
      for (const path of ['/-/ready', '/api/v1/status/buildinfo']) {
        try {
          const res = await attempt(
            'GET',
            path,
            undefined,
            'checking readiness',
            opts.timeoutMs ?? READY_TIMEOUT_MS,
            opts.signal,
          );
          if (res.status === 200) return true;
        } catch (err) {
          if (err instanceof InterruptedError) throw err;
        }
      }
      return false;
    },
  };
}
