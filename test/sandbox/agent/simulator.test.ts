import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkloadSimulator } from '../../../src/sandbox/agent/simulator.ts';
import { goDurationSeconds, WORKLOAD_CSV_HEADER } from '../../../src/sandbox/agent/systems/cache-workload.ts';
import {
  DEFAULT_KOORDE_LATENCY_FACTOR,
  dhtNodeId,
  LATENCY_BUCKETS,
} from '../../../src/sandbox/agent/systems/koorde.ts';
import type { LogLine, PodInfo } from '../../../src/sandbox/agent/systems/system.ts';
import { SIMULATED_METRIC_NAMES } from '../../../src/report/simulated-metrics.ts';
import { lbName, parseTags } from '../../../src/sandbox/agent/lb-controller.ts';
import { podEnv, podInfo, type Pod } from '../../../src/sandbox/agent/pods.ts';
import { criLogLine, PodLogWriter } from '../../../src/sandbox/agent/pod-logs.ts';
import { KubeRestError, type KubeRest } from '../../../src/sandbox/agent/kube-rest.ts';
import { parseWorkloadLog } from '../../../src/phases/measure.ts';

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
  /** A ring in `<variant>-dht` whose pods run DHT_PROTOCOL (by default the variant's name). */
  const ring = (variant: string, n: number, protocol = variant): PodInfo[] => [
    ...Array.from({ length: n }, (_, i) => ({
      namespace: `${variant}-dht`,
      name: `dht-node-${i}`,
      node: 'n1',
      running: true,
      labels: { app: 'dht-node' },
      args: [],
      env: { DHT_PROTOCOL: protocol, NODE_PORT: '4000' },
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

  it('by default finds no difference between Koorde and Chord: nobody measured one', () => {
    assert.equal(DEFAULT_KOORDE_LATENCY_FACTOR, 1);
    const sim = new WorkloadSimulator({ noise: 0 });
    sim.update([...ring('chord', 16), ...ring('koorde', 16)], new Map([...ns('chord'), ...ns('koorde')]), 0);
    const text = sim.renderPrometheus(60_000);
    const mean = (v: string) =>
      (sample(text, 'dht_request_duration_seconds_sum', { variant: v }) ?? 0) /
      (sample(text, 'dht_request_duration_seconds_count', { variant: v }) ?? 1);
    assert.ok(Number.isFinite(mean('koorde')) && mean('koorde') > 0, `koorde mean ${mean('koorde')}`);
    // Same ring size, same workload, same factor: only the lognormal spread differs.
    assert.ok(Math.abs(mean('koorde') / mean('chord') - 1) < 0.05, `mean ratio ${mean('koorde') / mean('chord')}`);
  });

  it('names every series it serves in SIMULATED_METRIC_NAMES (what reports mark as simulated)', () => {
    const sim = new WorkloadSimulator({ noise: 0 });
    const thyme = [pod('log-generator', 'n1', 0), pod('thyme', 'n1', 0), pod('thyme', 'n2', 1)];
    sim.update([...thyme, ...ring('chord', 4), ...ring('koorde', 4)], new Map([...ns('chord'), ...ns('koorde')]), 0);
    sim.update(
      [...thyme, pod('nop-collector', 'n3', 0), ...ring('chord', 4), ...ring('koorde', 4)],
      new Map([...ns('chord'), ...ns('koorde')]),
      5000,
    );
    const served = new Set(
      sim
        .renderPrometheus(10_000)
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('#'))
        .map((l) => (l.match(/^[A-Za-z_:][A-Za-z0-9_:]*/) as RegExpMatchArray)[0].replace(/_(bucket|sum|count)$/, '')),
    );
    assert.ok(served.size >= 10, [...served].join(', '));
    assert.deepEqual(
      [...served].filter((n) => !(SIMULATED_METRIC_NAMES as readonly string[]).includes(n)),
      [],
    );
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

describe("WorkloadSimulator: Chord or Koorde from the pods' configuration", () => {
  const dhtPods = (namespace: string, n: number, env?: Record<string, string>): PodInfo[] =>
    Array.from({ length: n }, (_, i) => ({
      namespace,
      name: `dht-node-${i}`,
      node: 'n1',
      running: true,
      labels: { app: 'dht-node' },
      args: [],
      ...(env ? { env } : {}),
    }));
  const workload = (namespace: string): PodInfo => ({
    namespace,
    name: 'cache-workload-x',
    node: 'n2',
    running: true,
    labels: { app: 'cache-workload' },
    args: ['--rate=100', '--requests=100000'],
  });

  it('runs an A/A comparison of Chord (chord-dht and chord-dht-2) as Chord twice, labelled by variant', () => {
    const sim = new WorkloadSimulator({ koordeLatencyFactor: 0.5, noise: 0 });
    const chord = { DHT_PROTOCOL: 'chord' };
    sim.update(
      [
        ...dhtPods('chord-dht', 16, chord),
        workload('chord-dht'),
        ...dhtPods('chord-dht-2', 16, chord),
        workload('chord-dht-2'),
      ],
      new Map([
        ['chord-dht', { 'bench.dev/variant': 'chord' }],
        ['chord-dht-2', { 'bench.dev/variant': 'chord-2' }],
      ]),
      0,
    );
    const text = sim.renderPrometheus(60_000);
    for (const variant of ['chord', 'chord-2']) {
      assert.equal(sample(text, 'dht_requests_total', { variant }), 6000, variant);
      assert.equal(sample(text, 'dht_de_bruijn_success_total', { variant }), 0, `${variant}: no de Bruijn routing`);
    }
    const mean = (variant: string) =>
      (sample(text, 'dht_request_duration_seconds_sum', { variant }) ?? 0) /
      (sample(text, 'dht_request_duration_seconds_count', { variant }) ?? 1);
    // Both at Chord's latency: the 0.5 factor applies to neither.
    assert.ok(Math.abs(mean('chord-2') / mean('chord') - 1) < 0.05, `mean ratio ${mean('chord-2') / mean('chord')}`);
    for (const ns of ['chord-dht', 'chord-dht-2']) {
      const m = sim.podMetrics(ns, 'dht-node-0', 60_000) as { routing: { stats: { protocol: string } } };
      assert.equal(m.routing.stats.protocol, 'chord', ns);
    }
  });

  it('follows DHT_PROTOCOL over the namespace name, and runs Koorde when the pods set none', () => {
    const sim = new WorkloadSimulator({ koordeLatencyFactor: 0.8 });
    sim.update(
      [
        ...dhtPods('koorde-dht', 4, { DHT_PROTOCOL: 'chord' }),
        workload('koorde-dht'),
        ...dhtPods('chord-dht', 4),
        workload('chord-dht'),
      ],
      new Map([
        ['koorde-dht', { 'bench.dev/variant': 'koorde' }],
        ['chord-dht', { 'bench.dev/variant': 'chord' }],
      ]),
      0,
    );
    const text = sim.renderPrometheus(30_000);
    const protocol = (ns: string) =>
      (sim.podMetrics(ns, 'dht-node-1', 30_000) as { routing: { stats: { protocol: string } } }).routing.stats.protocol;
    assert.equal(protocol('koorde-dht'), 'chord');
    assert.equal(sample(text, 'dht_de_bruijn_success_total', { variant: 'koorde' }), 0);
    assert.equal(protocol('chord-dht'), 'koorde');
    assert.ok((sample(text, 'dht_de_bruijn_success_total', { variant: 'chord' }) ?? 0) > 0);
  });

  it("resolves a pod's environment from its ConfigMaps (envFrom, prefix, configMapKeyRef) with env winning", () => {
    const pod: Pod = {
      metadata: { name: 'dht-node-0', namespace: 'chord-dht', uid: 'u1', labels: { app: 'dht-node' } },
      spec: {
        nodeName: 'n1',
        containers: [
          {
            name: 'dht-node',
            command: ['/bin/sh'],
            args: ['-c', 'exec koorde'],
            envFrom: [{ configMapRef: { name: 'dht-config' } }, { prefix: 'X_', configMapRef: { name: 'gone' } }],
            env: [
              { name: 'NODE_PORT', value: '4001' },
              { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'dht-config', key: 'DHT_MODE' } } },
            ],
          },
        ],
      },
      status: { phase: 'Running' },
    };
    const cms = new Map([['chord-dht/dht-config', { DHT_PROTOCOL: 'chord', NODE_PORT: '4000', DHT_MODE: 'private' }]]);
    assert.deepEqual(podEnv(pod, cms), {
      DHT_PROTOCOL: 'chord',
      NODE_PORT: '4001',
      DHT_MODE: 'private',
      MODE: 'private',
    });
    const info = podInfo(pod, cms);
    assert.equal(info.uid, 'u1');
    assert.equal(info.running, true);
    assert.deepEqual(info.containers, ['dht-node']);
    assert.deepEqual(info.args, ['/bin/sh', '-c', 'exec koorde']);
  });
});

describe("WorkloadSimulator: the workload pod's stdout", () => {
  const T0 = Date.UTC(2026, 10, 21, 10, 0, 0);
  const ROW = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z),(\d+),(\d+\.\d{2}),(\d{3}),(HIT|MISS|),(0x[0-9a-f]{16})$/;
  const cluster = (args: string[], dhtNodes = 3): PodInfo[] => [
    ...Array.from({ length: dhtNodes }, (_, i) => ({
      namespace: 'koorde-dht',
      name: `dht-node-${i}`,
      node: 'n1',
      running: true,
      labels: { app: 'dht-node' },
      args: [],
      env: { DHT_PROTOCOL: 'koorde' },
    })),
    {
      namespace: 'koorde-dht',
      name: 'cache-workload-abcde',
      uid: 'uid-1',
      node: 'n2',
      running: true,
      labels: { app: 'cache-workload' },
      containers: ['cache-workload'],
      args: [
        '--target=http://dht-cache-http.koorde-dht.svc.cluster.local:80',
        '--urls=1000',
        '--requests=200',
        '--rate=50',
        '--zipf=1.2',
        ...args,
      ],
    },
  ];
  /** Drains once a second from T0+1s to T0+seconds, as the agent does. */
  function run(sim: WorkloadSimulator, seconds: number): LogLine[][] {
    const drains: LogLine[][] = [];
    for (let s = 1; s <= seconds; s++) {
      const logs = sim.drainPodLogs(T0 + s * 1000);
      assert.ok(logs.length <= 1);
      if (logs[0]) {
        assert.equal(logs[0].container, 'cache-workload');
        assert.equal(logs[0].uid, 'uid-1');
        assert.ok(
          logs[0].lines.every((l) => l.time <= T0 + s * 1000),
          'nothing written ahead of time',
        );
      }
      drains.push(logs[0]?.lines ?? []);
    }
    return drains;
  }

  it('prints the header, one CSV row per completed request at its completion time, progress and the summary', () => {
    const sim = new WorkloadSimulator({ koordeLatencyFactor: 0.8 });
    sim.update(cluster(['--output=/dev/stdout']), new Map([['koorde-dht', { 'bench.dev/variant': 'koorde' }]]), T0);
    const drains = run(sim, 12);
    const lines = drains.flat();
    const text = lines.map((l) => l.line);
    assert.deepEqual(text.slice(0, 7), [
      '━'.repeat(40),
      'Koorde Cache Workload Generator',
      'Targets: http://dht-cache-http.koorde-dht.svc.cluster.local:80',
      'URLs: 1000',
      'Requests: 200',
      'Rate: 50.00 req/sec',
      'Zipf: 1.20',
    ]);
    assert.match(text[7] as string, /^Seed: \d+$/);
    assert.deepEqual(text.slice(8, 11), ['━'.repeat(40), 'Origin: https://httpbin.org', WORKLOAD_CSV_HEADER]);
    assert.ok(
      lines.every((l, i) => i === 0 || l.time >= (lines[i - 1] as LogLine).time),
      'lines in time order',
    );

    const rows = lines.filter((l) => ROW.test(l.line));
    assert.equal(rows.length, 200, 'a row per request: every request reached a DHT pod');
    const ids = new Set([0, 1, 2].map((i) => dhtNodeId('koorde-dht', `dht-node-${i}`)));
    for (const r of rows) {
      const m = ROW.exec(r.line) as RegExpExecArray;
      assert.equal(m[1], new Date(Math.floor(r.time / 1000) * 1000).toISOString().replace('.000Z', 'Z'));
      assert.ok(Number(m[2]) >= 0 && Number(m[2]) < 1000);
      assert.ok(Number(m[3]) > 0 && Number(m[3]) < 100, m[3]);
      assert.ok(m[4] === '200' ? m[5] !== '' : m[4] === '503', r.line);
      assert.ok(ids.has(m[6] as string), m[6]);
    }
    // 50/s: each second's rows complete spread over that second, not at the poll instant.
    const first = (drains[0] as LogLine[]).filter((l) => ROW.test(l.line)).map((l) => l.time - T0);
    assert.ok(first.length >= 48 && first.length <= 50, `${first.length} rows in the first second`);
    assert.ok(Math.min(...first) < 100 && Math.max(...first) > 900, `${Math.min(...first)}..${Math.max(...first)}`);
    assert.ok(new Set(first).size === first.length, 'distinct completion times');
    // The lead's reader of the pod log takes the same rows.
    assert.equal(parseWorkloadLog(text.join('\n')).length, 200);

    assert.ok(text.includes('Progress: 100/200 (50.0%)'));
    assert.ok(text.includes('Progress: 200/200 (100.0%)'));
    // The last request goes at 4 s; the summary 5 s later, then nothing more.
    const summary = text.slice(text.indexOf('Summary:'));
    assert.equal(summary[1], '  Total: 200');
    assert.equal(summary[2], '  Success: 200 (100.0%)');
    assert.match(summary[3] as string, /^ {2}Avg Latency: \d+\.\d{2} ms$/);
    const hits = Number(/\d+/.exec(summary[4] as string)?.[0]);
    const misses = Number(/\d+/.exec(summary[5] as string)?.[0]);
    assert.equal(hits + misses, 200);
    assert.equal(hits, rows.filter((r) => r.line.includes(',HIT,')).length);
    assert.equal(summary[7], '  Duration: 9s');
    assert.equal(text.at(-1), 'Results saved to: /dev/stdout');
    assert.equal(lines.find((l) => l.line === 'Summary:')?.time, T0 + 9000);
    assert.deepEqual(sim.drainPodLogs(T0 + 30_000), []);
  });

  it('keeps the CSV out of the log when --output is a file, and writes no row for a refused connection', () => {
    const sim = new WorkloadSimulator({ koordeLatencyFactor: 0.8 });
    sim.update(cluster(['--output=/results/workload-results.csv'], 0), new Map(), T0);
    const text = run(sim, 10)
      .flat()
      .map((l) => l.line);
    assert.ok(!text.includes(WORKLOAD_CSV_HEADER));
    assert.equal(text.filter((l) => ROW.test(l)).length, 0);
    assert.ok(text.includes('Progress: 200/200 (100.0%)'));
    assert.ok(text.includes('  Total: 200'));
    assert.ok(text.includes('  Success: 0 (0.0%)'));
    assert.equal(text.at(-1), 'Results saved to: /results/workload-results.csv');
  });

  it('formats durations as Go does', () => {
    assert.equal(goDurationSeconds(0), '0s');
    assert.equal(goDurationSeconds(9400), '9s');
    assert.equal(goDurationSeconds(200_500), '3m21s');
    assert.equal(goDurationSeconds(3_605_000), '1h0m5s');
  });
});

describe('pod logs for kwok', () => {
  it('writes CRI log lines: RFC3339 time with nanoseconds, stream, F for a full line', () => {
    const t = Date.UTC(2026, 10, 21, 10, 0, 1) + 123.456;
    assert.match(criLogLine({ time: t, line: 'a,b' }), /^2026-11-21T10:00:01\.123456\d{3}Z stdout F a,b\n$/);
    assert.equal(criLogLine({ time: Date.UTC(2026, 0, 1), line: '' }), '2026-01-01T00:00:00.000000000Z stdout F \n');
  });

  it("appends each pod's lines to its file and names the file in a Logs object owned by the pod, once", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pod-logs-'));
    try {
      const calls: [string, string, unknown][] = [];
      let conflict = false;
      const kube: KubeRest = {
        get: async () => ({}) as never,
        post: async (path, body) => {
          calls.push(['POST', path, body]);
          if (conflict) throw new KubeRestError(409, 'exists');
          return {} as never;
        },
        patch: async (path, body) => {
          calls.push(['PATCH', path, body]);
          return {} as never;
        },
      };
      const writer = new PodLogWriter(kube, dir);
      const log = { namespace: 'ns', name: 'w-1', uid: 'u-1', container: 'cache-workload' };
      await writer.write([{ ...log, lines: [{ time: Date.UTC(2026, 0, 1), line: 'one' }] }]);
      await writer.write([{ ...log, lines: [{ time: Date.UTC(2026, 0, 1, 0, 0, 1), line: 'two' }] }]);
      const file = writer.file(log);
      assert.equal(file, join(dir, 'ns_w-1_u-1', 'cache-workload', '0.log'));
      assert.equal(
        readFileSync(file, 'utf8'),
        '2026-01-01T00:00:00.000000000Z stdout F one\n2026-01-01T00:00:01.000000000Z stdout F two\n',
      );
      assert.equal(calls.length, 1);
      const [method, path, body] = calls[0] as [
        string,
        string,
        { kind: string; metadata: { name: string; ownerReferences: unknown }; spec: unknown },
      ];
      assert.equal(method, 'POST');
      assert.equal(path, '/apis/kwok.x-k8s.io/v1alpha1/namespaces/ns/logs');
      assert.equal(body.kind, 'Logs');
      assert.equal(body.metadata.name, 'w-1');
      assert.deepEqual(body.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Pod', name: 'w-1', uid: 'u-1' }]);
      assert.deepEqual(body.spec, { logs: [{ containers: ['cache-workload'], logsFile: file }] });

      // A Logs object left by an earlier pod of the same name is pointed at the new pod's file.
      conflict = true;
      await writer.write([{ ...log, uid: 'u-2', lines: [{ time: Date.UTC(2026, 0, 1), line: 'x' }] }]);
      assert.deepEqual(
        calls.slice(1).map(([m, p]) => `${m} ${p}`),
        [
          'POST /apis/kwok.x-k8s.io/v1alpha1/namespaces/ns/logs',
          'PATCH /apis/kwok.x-k8s.io/v1alpha1/namespaces/ns/logs/w-1',
        ],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('load-balancer controller helpers', () => {
  it('names NLBs like the in-tree controller and reads the additional-tags annotation', () => {
    assert.match(lbName('3f1c0f5e-aaaa-bbbb-cccc-1234567890ab'), /^a[0-9a-f]{31}$/);
    assert.deepEqual(parseTags('bench.dev/run-id=r1, team=perf ,bad,=x'), { 'bench.dev/run-id': 'r1', team: 'perf' });
  });
});
