import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LATENCY_BUCKETS, WorkloadSimulator, type PodInfo } from '../../../src/sandbox/agent/simulator.ts';
import { lbName, parseTags } from '../../../src/sandbox/agent/lb-controller.ts';

const pod = (app: string, node: string, i: number, extra: Partial<PodInfo> = {}): PodInfo => ({
  namespace: 'thyme-benchmark',
  name: `${app}-${i}`,
  node,
  running: true,
  labels: { app },
  args: [],
  ...extra,
});

/** Reads one sample of the exposition format: `name{labels} value`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.split(' ').at(-1));
  }
  return undefined;
}

describe('WorkloadSimulator: Thyme', () => {
  it("accepts Running generators' lines at 2,500/s each, when Thyme runs on their node and a nop-collector runs", () => {
    const sim = new WorkloadSimulator({ koordeLatencyFactor: 0.8, noise: 0 });
    const t0 = 1_000_000;
    const gens = Array.from({ length: 20 }, (_, i) =>
      pod('log-generator', 'n1', i, { args: ['--lines-per-second=2500'] }),
    );
    sim.update([...gens, pod('thyme', 'n1', 0), pod('thyme', 'n2', 1), pod('nop-collector', 'n3', 0)], new Map(), t0);
    const text = sim.renderPrometheus(t0 + 10_000);
    assert.equal(
      sample(text, 'otelcol_receiver_accepted_log_records_total', { service_name: 'nop-collector' }),
      500_000,
    );
    assert.equal(sample(text, 'otelcol_exporter_send_failed_log_records_total', { instance: 'n1' }), 0);
    // The hot node's collector works, the idle one barely.
    const hotCpu = sample(text, 'otelcol_process_cpu_seconds_total', { service_name: 'thyme', instance: 'n1' }) ?? 0;
    const idleCpu = sample(text, 'otelcol_process_cpu_seconds_total', { service_name: 'thyme', instance: 'n2' }) ?? 0;
    assert.ok(hotCpu > 10 * idleCpu, `${hotCpu} vs ${idleCpu}`);
    assert.ok((sample(text, 'otelcol_process_runtime_heap_alloc_bytes', { instance: 'n1' }) ?? 0) > 40e6);
  });

  it('counts export failures while no nop-collector runs, and nothing from nodes without Thyme', () => {
    const sim = new WorkloadSimulator({ koordeLatencyFactor: 1, noise: 0 });
    sim.update(
      [
        pod('log-generator', 'n1', 0, { args: ['--lines-per-second=100'] }),
        pod('log-generator', 'n2', 1),
        pod('thyme', 'n1', 0),
      ],
      new Map(),
      0,
    );
    const text = sim.renderPrometheus(5000);
    assert.equal(sample(text, 'otelcol_exporter_send_failed_log_records_total', { instance: 'n1' }), 500);
    assert.equal(sample(text, 'otelcol_exporter_send_failed_log_records_total', { instance: 'n2' }), undefined);
  });

  it('stops counting a generator that is not Running', () => {
    const sim = new WorkloadSimulator({ koordeLatencyFactor: 1, noise: 0 });
    const running = [pod('log-generator', 'n1', 0), pod('thyme', 'n1', 0), pod('nop-collector', 'n1', 0)];
    sim.update(running, new Map(), 0);
    sim.update([{ ...(running[0] as PodInfo), running: false }, ...running.slice(1)], new Map(), 1000);
    const text = sim.renderPrometheus(3000);
    assert.equal(sample(text, 'otelcol_receiver_accepted_log_records_total', { service_name: 'nop-collector' }), 2500);
  });
});

describe('WorkloadSimulator: Koorde', () => {
  const ns = (variant: string) => new Map([[`${variant}-dht`, { 'bench.dev/variant': variant }]]);
  const ring = (variant: string, n: number): PodInfo[] => [
    ...Array.from({ length: n }, (_, i) => ({
      namespace: `${variant}-dht`,
      name: `dht-node-${i}`,
      node: 'n1',
      running: true,
      labels: { app: 'dht-node' },
      args: [],
    })),
    {
      namespace: `${variant}-dht`,
      name: 'cache-workload-x',
      node: 'n2',
      running: true,
      labels: { app: 'cache-workload' },
      args: ['--rate=100', '--requests=10000'],
    },
  ];

  function p95(text: string, variant: string): number {
    const count = sample(text, 'dht_request_duration_seconds_count', { variant }) ?? 0;
    const bucket = LATENCY_BUCKETS.find(
      (b) => (sample(text, 'dht_request_duration_seconds_bucket', { variant, le: String(b) }) ?? 0) >= 0.95 * count,
    );
    return bucket ?? Infinity;
  }

  it('sends the workload at its rate, up to --requests, and makes Koorde slower or faster by the factor', () => {
    const sim = new WorkloadSimulator({ koordeLatencyFactor: 0.5, noise: 0 });
    sim.update([...ring('chord', 16), ...ring('koorde', 16)], new Map([...ns('chord'), ...ns('koorde')]), 0);
    const text = sim.renderPrometheus(60_000);
    assert.equal(sample(text, 'dht_requests_total', { variant: 'chord' }), 6000);
    assert.equal(sample(text, 'dht_requests_total', { variant: 'koorde' }), 6000);
    assert.ok(
      p95(text, 'koorde') < p95(text, 'chord'),
      `koorde p95 ${p95(text, 'koorde')} < chord ${p95(text, 'chord')}`,
    );
    const mean = (v: string) =>
      (sample(text, 'dht_request_duration_seconds_sum', { variant: v }) ?? 0) /
      (sample(text, 'dht_request_duration_seconds_count', { variant: v }) ?? 1);
    assert.ok(Math.abs(mean('koorde') / mean('chord') - 0.5) < 0.05, `mean ratio ${mean('koorde') / mean('chord')}`);
    const later = sim.renderPrometheus(200_000);
    assert.equal(sample(later, 'dht_requests_total', { variant: 'chord' }), 10_000, 'capped at --requests');
  });

  it("serves each DHT pod's JSON /metrics in the node's shape; Chord has no de Bruijn routing", () => {
    const sim = new WorkloadSimulator({ koordeLatencyFactor: 0.8 });
    sim.update([...ring('chord', 4), ...ring('koorde', 4)], new Map([...ns('chord'), ...ns('koorde')]), 0);
    sim.advance(30_000);
    const koorde = sim.podMetrics('koorde-dht', 'dht-node-1', 30_000) as {
      routing: { stats: Record<string, number | string> };
      cache: { hit_rate: number };
    };
    const chord = sim.podMetrics('chord-dht', 'dht-node-1', 30_000) as {
      routing: { stats: Record<string, number | string> };
    };
    assert.equal(koorde.routing.stats.protocol, 'koorde');
    assert.ok((koorde.routing.stats.de_bruijn_success as number) > 0);
    assert.ok(koorde.cache.hit_rate > 0 && koorde.cache.hit_rate < 1);
    assert.equal(chord.routing.stats.protocol, 'chord');
    assert.equal(chord.routing.stats.de_bruijn_success, 0);
    assert.equal(sim.podMetrics('chord-dht', 'cache-workload-x'), undefined);
  });
});

describe('load-balancer controller helpers', () => {
  it('names NLBs like the in-tree controller and reads the additional-tags annotation', () => {
    assert.match(lbName('3f1c0f5e-aaaa-bbbb-cccc-1234567890ab'), /^a[0-9a-f]{31}$/);
    assert.deepEqual(parseTags('bench.dev/run-id=r1, team=perf ,bad,=x'), { 'bench.dev/run-id': 'r1', team: 'perf' });
  });
});
