import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AppsV1Api, CoreV1Api, KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import type { ClusterConnection } from '../../src/adapters/kube-cluster.ts';
import { stopProcessGroup } from '../../src/adapters/processes.ts';
import {
  byCluster,
  chooseStep,
  createPrometheusClient,
  type PrometheusClient,
  type Series,
} from '../../src/adapters/prometheus.ts';
import { InfrastructureError, InterruptedError, SuiteError } from '../../src/errors.ts';
import { eventually, startTestSandbox, type TestSandbox } from '../harness/sandbox.ts';
import { failure } from '../helpers/failure.ts';

const NS = 'thyme-benchmark';
const ACCEPTED = 'otelcol_receiver_accepted_log_records_total';
const NOP_RATE = `sum(rate(${ACCEPTED}{service_name="nop-collector"}[5s]))`;

/** A local HTTP server for failure modes a real Prometheus cannot produce on demand. */
interface Stub {
  url: string;
  calls: { method: string; path: string; headers: IncomingMessage['headers']; body: string }[];
  close(): Promise<void>;
}

async function stub(handler: (req: IncomingMessage, res: ServerResponse, call: number) => void): Promise<Stub> {
  const calls: Stub['calls'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      calls.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      handler(req, res, calls.length);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
};

const VECTOR = {
  status: 'success',
  data: { resultType: 'vector', result: [{ metric: { job: 'x' }, value: [1700000000.5, '+Inf'] }] },
};

function deployment(name: string, replicas: number, container: Record<string, unknown> = {}): V1Deployment {
  return {
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            { name: 'app', image: 'x', resources: { requests: { cpu: '10m', memory: '16Mi' } }, ...container },
          ],
        },
      },
    },
  };
}

const sortSeries = (series: Series[]) =>
  [...series].sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)));

describe('the Prometheus adapter', () => {
  let sb: TestSandbox;
  let prom: PrometheusClient;
  const stubs: Stub[] = [];

  before(async () => {
    // Its own cloud: the last test stops its Prometheus.
    sb = await startTestSandbox();
    prom = createPrometheusClient({ kind: 'url', url: sb.env.BENCH_PROMETHEUS_URL });
    // The simulator's Thyme series: 4 log generators at 2,500/s, a thyme DaemonSet, a nop-collector.
    const core = sb.kc.makeApiClient(CoreV1Api);
    const apps = sb.kc.makeApiClient(AppsV1Api);
    await core.createNamespace({ body: { metadata: { name: NS } } });
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: deployment('log-generator', 4, { args: ['random-strings', '--lines-per-second=2500'] }),
    });
    await apps.createNamespacedDaemonSet({
      namespace: NS,
      body: {
        metadata: { name: 'thyme' },
        spec: {
          selector: { matchLabels: { app: 'thyme' } },
          template: { metadata: { labels: { app: 'thyme' } }, spec: { containers: [{ name: 'thyme', image: 'x' }] } },
        },
      },
    });
    await apps.createNamespacedDeployment({ namespace: NS, body: deployment('nop-collector', 1) });
  });
  after(async () => {
    for (const s of stubs) await s.close();
    await sb?.stop();
  });

  /** Waits until the nop-collector's series has existed for `seconds` and runs at 4 x 2,500/s. */
  const thymeSeriesFor = (seconds: number) =>
    eventually(
      `${seconds} s of Thyme series at 10,000/s`,
      async () => {
        const [age] = await prom.query(`count_over_time(${ACCEPTED}{service_name="nop-collector"}[${seconds + 5}s])`);
        const [rate] = await prom.query(NOP_RATE);
        const v = rate?.samples[0]?.v ?? 0;
        return (age?.samples[0]?.v ?? 0) >= seconds + 1 && Math.abs(v - 10_000) / 10_000 < 0.05;
      },
      70_000,
      1000,
    );

  it('chooses the step to stay within maxPoints per series', () => {
    assert.equal(chooseStep(3600, 1, 11_000), 1);
    assert.equal(chooseStep(86_400 * 2, 1, 11_000), 16);
    assert.equal(chooseStep(86_400 * 2, 1), 16, 'default 11,000');
    assert.equal(chooseStep(0, 1, 11_000), 1, 'a range of 0');
    assert.equal(chooseStep(0, 15), 15);
    assert.equal(chooseStep(0, 0.5), 1, 'whole seconds, at least 1');
    assert.equal(chooseStep(11_000, 1, 11_000), 1, 'exactly 11,000 steps is what Prometheus allows');
    assert.equal(chooseStep(11_001, 1, 11_000), 2);
    assert.equal(chooseStep(100_000, 30, 11_000), 30, 'the wanted step when it is coarser');
  });

  it('groups series by the cluster label', () => {
    const s = (labels: Record<string, string>): Series => ({ labels, samples: [] });
    const groups = byCluster([
      s({ cluster: 'eu', pod: 'a' }),
      s({ pod: 'b' }),
      s({ cluster: 'us', pod: 'c' }),
      s({ cluster: 'eu', pod: 'd' }),
    ]);
    assert.deepEqual([...groups.keys()], ['', 'eu', 'us']);
    assert.deepEqual(
      groups.get('eu')?.map((x) => x.labels.pod),
      ['a', 'd'],
    );
    assert.deepEqual(
      groups.get('')?.map((x) => x.labels.pod),
      ['b'],
    );
    assert.equal(byCluster([]).size, 0);
  });

  it('retries 5xx and succeeds on the third call', async () => {
    const s = await stub((_req, res, call) =>
      call <= 2
        ? json(res, 503, { status: 'error', errorType: 'unavailable', error: 'warming up' })
        : json(res, 200, VECTOR),
    );
    stubs.push(s);
    const client = createPrometheusClient({ kind: 'url', url: s.url });
    const series = await client.query('up');
    assert.equal(s.calls.length, 3);
    assert.deepEqual(series, [{ labels: { job: 'x' }, samples: [{ t: 1700000000.5, v: Infinity }] }]);
    for (const c of s.calls) {
      assert.equal(c.method, 'POST');
      assert.equal(c.path, '/api/v1/query');
      assert.equal(c.headers['content-type'], 'application/x-www-form-urlencoded');
      const form = new URLSearchParams(c.body);
      assert.equal(form.get('query'), 'up');
      assert.equal(form.get('partial_response'), 'false');
    }
  });

  it('gives up after 1 + retries calls with E_PROMETHEUS naming the endpoint and the last error', async () => {
    const s = await stub((_req, res) =>
      json(res, 503, { status: 'error', errorType: 'unavailable', error: 'store down' }),
    );
    stubs.push(s);
    const client = createPrometheusClient({ kind: 'url', url: `${s.url}/prom/` }, { retries: 2, backoffMs: 50 });
    const err = await failure(client.query('up'), InfrastructureError);
    assert.equal(err.code, 'E_PROMETHEUS');
    assert.equal(err.exitCode, 3);
    assert.equal(s.calls.length, 3);
    assert.ok(s.calls.every((c) => c.path === '/prom/api/v1/query'));
    assert.match(err.message, new RegExp(`${s.url}/prom did not answer after 3 attempts`));
    assert.match(err.message, /HTTP 503 unavailable: store down/);
    assert.match(err.fix ?? '', /--prometheus-url/);
  });

  it('retries a 429 but not a 4xx, and never sends credentials of the URL to messages', async () => {
    const s = await stub((_req, res, call) =>
      call === 1 ? json(res, 429, { status: 'error', errorType: 'too_many', error: 'slow down' }) : json(res, 401, {}),
    );
    stubs.push(s);
    const withCreds = s.url.replace('http://', 'http://alice:s3cret@');
    const client = createPrometheusClient({ kind: 'url', url: withCreds }, { backoffMs: 10 });
    assert.equal(client.describe(), s.url);
    const err = await failure(client.query('up'), InfrastructureError);
    assert.equal(s.calls.length, 2, '429 retried, 401 not');
    assert.equal(s.calls[0]?.headers.authorization, `Basic ${Buffer.from('alice:s3cret').toString('base64')}`);
    assert.match(err.message, /refused the request: HTTP 401/);
    assert.doesNotMatch(err.message, /s3cret/);
  });

  it('times out each attempt, retries, then fails with E_PROMETHEUS', async () => {
    const s = await stub(() => {
      // never answers
    });
    stubs.push(s);
    const client = createPrometheusClient({ kind: 'url', url: s.url }, { retries: 1, backoffMs: 50 });
    const started = Date.now();
    const err = await failure(client.query('up', undefined, { timeoutMs: 300 }), InfrastructureError);
    assert.equal(err.code, 'E_PROMETHEUS');
    assert.equal(s.calls.length, 2);
    assert.match(err.message, /no answer within 300 ms/);
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
  });

  it('turns an abort into InterruptedError promptly, during a request and during the backoff', async () => {
    const silent = await stub(() => {
      // never answers
    });
    const busy = await stub((_req, res) => json(res, 503, {}));
    stubs.push(silent, busy);

    const aborted = new AbortController();
    aborted.abort();
    await failure(
      createPrometheusClient({ kind: 'url', url: silent.url }).query('up', undefined, { signal: aborted.signal }),
      InterruptedError,
    );

    for (const [s, options] of [
      [silent, {}],
      [busy, { backoffMs: 10_000 }],
    ] as const) {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 300);
      const started = Date.now();
      const err = await failure(
        createPrometheusClient({ kind: 'url', url: s.url }, options).queryRange('up', new Date(0), new Date(60_000), {
          signal: ac.signal,
        }),
        InterruptedError,
      );
      assert.equal(err.exitCode, 130);
      assert.ok(Date.now() - started < 1000, `interrupted after ${Date.now() - started} ms`);
    }
  });

  it('goes through the Kubernetes API service proxy with the kubeconfig credentials', async () => {
    const s = await stub((req, res) => {
      if (req.url?.endsWith('/-/ready')) {
        res.end('Prometheus Server is Ready.\n');
        return;
      }
      json(res, 200, {
        status: 'success',
        data: {
          resultType: 'matrix',
          result: [
            {
              metric: { cluster: 'a' },
              values: [
                [100, '1'],
                [101, 'NaN'],
              ],
            },
          ],
        },
      });
    });
    stubs.push(s);
    const kc = new KubeConfig();
    kc.loadFromOptions({
      // client-node allows plain http only with skipTLSVerify
      clusters: [{ name: 'c', server: s.url, skipTLSVerify: true }],
      users: [{ name: 'u', token: 't0ken' }],
      contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
      currentContext: 'c',
    });
    const connection: ClusterConnection = { server: s.url, context: 'c', kubeConfig: async () => kc };
    const client = createPrometheusClient({
      kind: 'kube-proxy',
      connection,
      namespace: 'lgtm',
      service: 'lgtm',
      port: 9090,
    });
    assert.equal(client.describe(), `service lgtm/lgtm:9090 through the Kubernetes API at ${s.url}`);
    const { series, stepSeconds, chunks } = await client.queryRange(
      'rate(x[1m])',
      new Date(100_000),
      new Date(101_000),
      {
        stepSeconds: 1,
      },
    );
    assert.equal(stepSeconds, 1);
    assert.equal(chunks, 1);
    assert.equal(series[0]?.labels.cluster, 'a');
    assert.ok(Number.isNaN(series[0]?.samples[1]?.v));
    const call = s.calls[0];
    assert.equal(call?.method, 'POST');
    assert.equal(call?.path, '/api/v1/namespaces/lgtm/services/lgtm:9090/proxy/api/v1/query_range');
    assert.equal(call?.headers.authorization, 'Bearer t0ken');
    const form = new URLSearchParams(call?.body);
    assert.deepEqual(Object.fromEntries(form), {
      query: 'rate(x[1m])',
      start: '100',
      end: '101',
      step: '1',
      partial_response: 'false',
    });
    assert.equal(await client.ready(), true);
    assert.equal(s.calls.at(-1)?.path, '/api/v1/namespaces/lgtm/services/lgtm:9090/proxy/-/ready');
  });

  it("surfaces the real API server's answer for a Prometheus service that does not exist, without retrying", async () => {
    const connection: ClusterConnection = {
      server: sb.kc.getCurrentCluster()?.server as string,
      context: sb.kc.getCurrentContext(),
      kubeConfig: async () => sb.kc,
    };
    const client = createPrometheusClient({
      kind: 'kube-proxy',
      connection,
      namespace: 'lgtm',
      service: 'lgtm',
      port: 9090,
    });
    const started = Date.now();
    const err = await failure(client.query('up'), InfrastructureError);
    assert.equal(err.code, 'E_PROMETHEUS');
    assert.match(err.message, /HTTP 404: services "lgtm" not found/);
    assert.match(err.message, /service lgtm\/lgtm:9090 through the Kubernetes API at https:\/\/127\.0\.0\.1:/);
    assert.ok(Date.now() - started < 1000, 'no retry on 404');
    assert.equal(await client.ready(), false);
  });

  it("rejects bad PromQL with SuiteError E_PROMQL carrying Prometheus's error and the expression", async () => {
    const expr = `sum(rate(${ACCEPTED}[5s])`;
    const err = await failure(prom.query(expr), SuiteError);
    assert.equal(err.code, 'E_PROMQL');
    assert.equal(err.exitCode, 2);
    assert.match(err.message, /\(bad_data\)/);
    assert.match(err.message, /parse error: unclosed left parenthesis/);
    assert.ok(err.message.includes(expr));
    assert.deepEqual(err.data?.errorType, 'bad_data');

    // An execution error (422) is the suite's too.
    const many = await failure(
      prom.query('(vector(1) or label_replace(vector(1), "a", "b", "", "")) + on() vector(1)'),
      SuiteError,
    );
    assert.match(many.message, /\(execution\).*many-to-one matching must be explicit/);
  });

  it('reads scalars, +Inf, -Inf and NaN from the real Prometheus', async () => {
    const at = new Date(Math.floor(Date.now() / 1000) * 1000);
    assert.deepEqual(await prom.query('1/0', at), [{ labels: {}, samples: [{ t: at.getTime() / 1000, v: Infinity }] }]);
    assert.equal((await prom.query('-1/0'))[0]?.samples[0]?.v, -Infinity);
    assert.ok(Number.isNaN((await prom.query('vector(0/0)'))[0]?.samples[0]?.v));
    assert.equal(await prom.ready(), true);
  });

  it("queries the simulator's Thyme series: labels, 30 s at step 1, the accepted rate", async () => {
    await thymeSeriesFor(31);
    const instant = await prom.query(ACCEPTED);
    const nop = instant.find((s) => s.labels.service_name === 'nop-collector');
    assert.ok(nop, 'the nop-collector series');
    assert.equal(nop.labels.__name__, ACCEPTED);
    assert.equal(nop.labels.receiver, 'otlp');
    assert.equal(nop.labels.job, 'bench-sandbox-simulator');
    assert.ok(
      instant.some((s) => s.labels.service_name === 'thyme' && s.labels.instance),
      'per-node thyme series',
    );

    const end = new Date();
    const start = new Date(end.getTime() - 30_000);
    const range = await prom.queryRange(ACCEPTED, start, end, { stepSeconds: 1 });
    assert.equal(range.stepSeconds, 1);
    assert.equal(range.chunks, 1);
    const ranged = range.series.find((s) => s.labels.service_name === 'nop-collector');
    assert.ok(ranged);
    assert.ok(ranged.samples.length >= 29 && ranged.samples.length <= 31, `${ranged.samples.length} samples`);
    for (let i = 1; i < ranged.samples.length; i++) {
      const [a, b] = [ranged.samples[i - 1], ranged.samples[i]] as const;
      assert.ok(b && a && Math.abs(b.t - a.t - 1) < 1e-6, 'one second apart');
      assert.ok(b && a && b.v >= a.v, 'a counter');
    }

    const [rate] = await prom.query(NOP_RATE);
    const v = rate?.samples[0]?.v ?? 0;
    assert.ok(Math.abs(v - 10_000) / 10_000 < 0.05, `accepted ${v}/s`);
  });

  it('splits a long range into chunks and merges them into the same samples as one query', async () => {
    const expr = `rate(${ACCEPTED}[5s])`;
    // In the past, so that both queries see the same data.
    const end = new Date(Date.now() - 3000);
    const start = new Date(end.getTime() - 30_000);
    const whole = await prom.queryRange(expr, start, end, { stepSeconds: 1 });
    const split = await prom.queryRange(expr, start, end, { stepSeconds: 1, maxPoints: 10 });
    assert.equal(whole.chunks, 1);
    assert.equal(split.chunks, 3, '31 timestamps, 11 per request');
    assert.equal(split.stepSeconds, 1);
    assert.ok(whole.series.length >= 2);
    assert.deepEqual(sortSeries(split.series), sortSeries(whole.series));
    for (const s of split.series) {
      const ts = s.samples.map((x) => x.t);
      assert.equal(new Set(ts).size, ts.length, 'no duplicate timestamps');
    }
    const nop = split.series.find((s) => s.labels.service_name === 'nop-collector');
    // rate() over 5 s has no value for the series' first seconds; the rest spans all three chunks.
    assert.ok(nop && nop.samples.length >= 25, `${nop?.samples.length} samples`);
    assert.ok((nop.samples[0]?.t ?? Infinity) < start.getTime() / 1000 + 10, 'the first chunk has samples');

    // Without a step, the finest one that keeps the range in one request.
    const auto = await prom.queryRange(expr, start, end, { maxPoints: 10 });
    assert.equal(auto.stepSeconds, 3);
    assert.equal(auto.chunks, 1);
  });

  it('fails with E_PROMETHEUS, and is not ready, once Prometheus is stopped', async () => {
    const pid = sb.status.parts.find((p) => p.part === 'prometheus')?.pid;
    assert.ok(pid);
    await stopProcessGroup(pid);
    const client = createPrometheusClient({ kind: 'url', url: sb.env.BENCH_PROMETHEUS_URL }, { backoffMs: 20 });
    const err = await failure(client.query('up'), InfrastructureError);
    assert.equal(err.code, 'E_PROMETHEUS');
    assert.ok(err.message.includes(sb.env.BENCH_PROMETHEUS_URL), err.message);
    assert.match(err.message, /after 4 attempts: .*ECONNREFUSED/);
    assert.equal(await client.ready(), false);
  });
});
