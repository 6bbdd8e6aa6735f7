/**
 * The local cloud's workload simulator. kwok pods run no containers, so this stands in for what
 * the systems under test would report, computed from the cluster's real state: which pods are
 * Running, on which node, with which arguments. Prometheus scrapes it every second.
 *
 * Thyme: every Running log generator produces its `--lines-per-second` (default 2,500); the Thyme
 * pod on the same node collects them and, while a nop-collector runs, they are accepted there
 * (else they count as export failures). Koorde: a Running cache-workload pod sends `--rate`
 * requests/s (up to `--requests`) to its namespace's dht-node pods; latency grows with the ring
 * size, and Koorde's is Chord's times a configurable factor (the "true difference").
 */

/** What the simulator needs to know about a pod. */
export interface PodInfo {
  namespace: string;
  name: string;
  node: string | undefined;
  running: boolean;
  labels: Record<string, string>;
  args: string[];
}

export interface SimulatorOptions {
  /** Koorde latency relative to Chord's (0.8: 20% lower). */
  koordeLatencyFactor: number;
  /** Relative standard deviation of throughput noise. */
  noise?: number;
  random?: () => number;
}

/** Histogram bucket bounds (seconds) of dht_request_duration_seconds. */
export const LATENCY_BUCKETS = [
  0.002, 0.004, 0.006, 0.008, 0.01, 0.012, 0.014, 0.016, 0.018, 0.02, 0.025, 0.03, 0.035, 0.04, 0.05, 0.06, 0.08, 0.1,
  0.15, 0.25, 0.5, 1,
];

interface DhtPodCounters {
  hits: number;
  misses: number;
  stores: number;
  deBruijnSuccess: number;
  deBruijnFailures: number;
  successorFallbacks: number;
}

interface VariantCounters {
  requests: number;
  errors: number;
  hits: number;
  latencySum: number;
  buckets: number[];
  deBruijnSuccess: number;
  deBruijnFailures: number;
  successorFallbacks: number;
}

const arg = (args: string[], name: string): number | undefined => {
  for (const a of args) {
    if (a.startsWith(`--${name}=`)) {
      const v = Number(a.slice(name.length + 3));
      if (Number.isFinite(v)) return v;
    }
  }
  return undefined;
};

export class WorkloadSimulator {
  readonly #opts: Required<SimulatorOptions>;
  #pods: PodInfo[] = [];
  #namespaceLabels = new Map<string, Record<string, string>>();
  #last = Date.now();
  // Thyme
  #accepted = 0;
  #thymeReceived = new Map<string, number>();
  #failed = new Map<string, number>();
  #cpu = new Map<string, number>();
  #heap = new Map<string, number>();
  #nopCpu = 0;
  // Koorde
  #variants = new Map<string, VariantCounters>();
  #dhtPods = new Map<string, DhtPodCounters>();
  #workloadSent = new Map<string, number>();
  #fractionalRequests = new Map<string, number>();

  constructor(options: SimulatorOptions) {
    this.#opts = { noise: 0.003, random: Math.random, ...options };
  }

  /** Replaces the cluster state; counters are advanced with the previous state first. */
  update(pods: PodInfo[], namespaceLabels: Map<string, Record<string, string>>, now = Date.now()): void {
    this.advance(now);
    this.#pods = pods;
    this.#namespaceLabels = namespaceLabels;
  }

  /** Integrates every counter from the last advance to `now` at the current rates. */
  advance(now = Date.now()): void {
    const dt = Math.max(0, (now - this.#last) / 1000);
    this.#last = now;
    if (dt === 0) return;
    this.#advanceThyme(dt);
    this.#advanceKoorde(dt);
  }

  #gauss(): number {
    const u = 1 - this.#opts.random();
    const v = this.#opts.random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  #advanceThyme(dt: number): void {
    const running = this.#pods.filter((p) => p.running);
    const produced = new Map<string, number>();
    for (const p of running.filter((p) => p.labels.app === 'log-generator' && p.node)) {
      produced.set(p.node as string, (produced.get(p.node as string) ?? 0) + (arg(p.args, 'lines-per-second') ?? 2500));
    }
    const thymeNodes = new Set(running.filter((p) => p.labels.app === 'thyme' && p.node).map((p) => p.node as string));
    const nop = running.filter((p) => p.labels.app === 'nop-collector').length;
    let acceptedRate = 0;
    for (const node of thymeNodes) {
      const rate = produced.get(node) ?? 0;
      // A rate-limited generator catches up when it falls behind: it never delivers less than
      // its configured rate over time, only a little more at times.
      const jitter = 1 + this.#opts.noise * Math.abs(this.#gauss());
      this.#thymeReceived.set(node, (this.#thymeReceived.get(node) ?? 0) + rate * dt * jitter);
      if (nop > 0) acceptedRate += rate * jitter;
      else this.#failed.set(node, (this.#failed.get(node) ?? 0) + rate * dt * jitter);
      if (!this.#failed.has(node)) this.#failed.set(node, 0);
      const cores = 0.02 + rate * 3e-5;
      this.#cpu.set(node, (this.#cpu.get(node) ?? 0) + cores * dt * (1 + 0.02 * this.#gauss()));
      this.#heap.set(node, Math.round(40e6 + rate * 1500 * (1 + 0.01 * this.#gauss())));
    }
    for (const node of [...this.#heap.keys()]) if (!thymeNodes.has(node)) this.#heap.delete(node);
    if (nop > 0) {
      this.#accepted += acceptedRate * dt;
      this.#nopCpu += (0.01 * nop + acceptedRate * 1e-5) * dt;
    }
  }

  #variantOf(namespace: string): string {
    return this.#namespaceLabels.get(namespace)?.['bench.dev/variant'] || namespace.replace(/-dht$/, '');
  }

  #advanceKoorde(dt: number): void {
    const running = this.#pods.filter((p) => p.running);
    const byNamespace = new Map<string, PodInfo[]>();
    for (const p of running.filter((p) => p.labels.app === 'dht-node'))
      byNamespace.set(p.namespace, [...(byNamespace.get(p.namespace) ?? []), p]);
    for (const w of running.filter((p) => p.labels.app === 'cache-workload')) {
      const key = `${w.namespace}/${w.name}`;
      const rate = arg(w.args, 'rate') ?? 50;
      const limit = arg(w.args, 'requests') ?? Infinity;
      const sent = this.#workloadSent.get(key) ?? 0;
      const due = Math.min(rate * dt + (this.#fractionalRequests.get(key) ?? 0), limit - sent);
      const n = Math.max(0, Math.floor(due));
      this.#fractionalRequests.set(key, Math.max(0, due - n));
      this.#workloadSent.set(key, sent + n);
      if (n > 0) this.#serve(w.namespace, byNamespace.get(w.namespace) ?? [], n);
    }
  }

  /** n requests of one namespace's workload, served by its DHT pods. */
  #serve(namespace: string, nodes: PodInfo[], n: number): void {
    const variant = this.#variantOf(namespace);
    const key = `${namespace}\0${variant}`;
    const c = this.#variants.get(key) ?? {
      requests: 0,
      errors: 0,
      hits: 0,
      latencySum: 0,
      buckets: LATENCY_BUCKETS.map(() => 0),
      deBruijnSuccess: 0,
      deBruijnFailures: 0,
      successorFallbacks: 0,
    };
    this.#variants.set(key, c);
    const size = nodes.length;
    const koorde = variant === 'koorde';
    // Median latency grows with the hops a lookup takes; lognormal spread (p95 = 1.78 x median).
    const median = (0.004 + 0.0015 * Math.log2(Math.max(size, 2))) * (koorde ? this.#opts.koordeLatencyFactor : 1);
    for (let i = 0; i < n; i++) {
      c.requests++;
      if (size === 0 || this.#opts.random() < 0.001) {
        c.errors++;
        continue;
      }
      const latency = median * Math.exp(0.35 * this.#gauss());
      c.latencySum += latency;
      LATENCY_BUCKETS.forEach((b, j) => {
        if (latency <= b) c.buckets[j] = (c.buckets[j] ?? 0) + 1;
      });
      const hit = this.#opts.random() < 0.55;
      if (hit) c.hits++;
      const pod = nodes[Math.floor(this.#opts.random() * size)] as PodInfo;
      const pc = this.#dhtPod(`${pod.namespace}/${pod.name}`);
      if (hit) pc.hits++;
      else {
        pc.misses++;
        pc.stores++;
      }
      if (koorde) {
        const hops = Math.max(1, Math.round(Math.log(size) / Math.log(8)) + 1);
        pc.deBruijnSuccess += hops;
        c.deBruijnSuccess += hops;
        if (this.#opts.random() < 0.02) {
          pc.successorFallbacks++;
          c.successorFallbacks++;
        }
      }
    }
  }

  #dhtPod(key: string): DhtPodCounters {
    let pc = this.#dhtPods.get(key);
    if (!pc) {
      pc = { hits: 0, misses: 0, stores: 0, deBruijnSuccess: 0, deBruijnFailures: 0, successorFallbacks: 0 };
      this.#dhtPods.set(key, pc);
    }
    return pc;
  }

  /** The Prometheus text exposition of every series. */
  renderPrometheus(now = Date.now()): string {
    this.advance(now);
    const out: string[] = [];
    const series = (
      name: string,
      type: 'counter' | 'gauge' | 'histogram',
      rows: [Record<string, string>, number][],
    ) => {
      out.push(`# TYPE ${name} ${type}`);
      for (const [labels, value] of rows) {
        const l = Object.entries(labels)
          .map(([k, v]) => `${k}="${v.replace(/["\\]/g, '\\$&')}"`)
          .join(',');
        out.push(`${name}${l ? `{${l}}` : ''} ${Number.isInteger(value) ? value : value.toFixed(6)}`);
      }
    };
    const running = this.#pods.filter((p) => p.running);
    if (running.some((p) => p.labels.app === 'nop-collector') || this.#accepted > 0) {
      series('otelcol_receiver_accepted_log_records_total', 'counter', [
        [{ service_name: 'nop-collector', receiver: 'otlp', transport: 'http' }, Math.floor(this.#accepted)],
        ...[...this.#thymeReceived].map(([node, v]): [Record<string, string>, number] => [
          { service_name: 'thyme', receiver: 'filelog', instance: node },
          Math.floor(v),
        ]),
      ]);
      series('otelcol_process_cpu_seconds_total', 'counter', [
        ...[...this.#cpu].map(([node, v]): [Record<string, string>, number] => [
          { service_name: 'thyme', instance: node },
          v,
        ]),
        [{ service_name: 'nop-collector', instance: 'nop-collector' }, this.#nopCpu],
      ]);
    }
    if (this.#failed.size > 0) {
      series(
        'otelcol_exporter_send_failed_log_records_total',
        'counter',
        [...this.#failed].map(([node, v]) => [
          { service_name: 'thyme', exporter: 'otlphttp', instance: node },
          Math.floor(v),
        ]),
      );
    }
    if (this.#heap.size > 0) {
      series(
        'otelcol_process_runtime_heap_alloc_bytes',
        'gauge',
        [...this.#heap].map(([node, v]) => [{ service_name: 'thyme', instance: node }, v]),
      );
    }
    if (this.#variants.size > 0) {
      const rows = (f: (c: VariantCounters) => number) =>
        [...this.#variants].map(([key, c]): [Record<string, string>, number] => {
          const [namespace, variant] = key.split('\0') as [string, string];
          return [{ namespace, variant }, f(c)];
        });
      series(
        'dht_requests_total',
        'counter',
        rows((c) => c.requests),
      );
      series(
        'dht_request_errors_total',
        'counter',
        rows((c) => c.errors),
      );
      series(
        'dht_cache_hits_total',
        'counter',
        rows((c) => c.hits),
      );
      series(
        'dht_de_bruijn_success_total',
        'counter',
        rows((c) => c.deBruijnSuccess),
      );
      series(
        'dht_de_bruijn_failures_total',
        'counter',
        rows((c) => c.deBruijnFailures),
      );
      series(
        'dht_successor_fallbacks_total',
        'counter',
        rows((c) => c.successorFallbacks),
      );
      out.push('# TYPE dht_request_duration_seconds histogram');
      for (const [key, c] of this.#variants) {
        const [namespace, variant] = key.split('\0') as [string, string];
        const base = `namespace="${namespace}",variant="${variant}"`;
        LATENCY_BUCKETS.forEach((b, j) =>
          out.push(`dht_request_duration_seconds_bucket{${base},le="${b}"} ${c.buckets[j]}`),
        );
        out.push(`dht_request_duration_seconds_bucket{${base},le="+Inf"} ${c.requests - c.errors}`);
        out.push(`dht_request_duration_seconds_sum{${base}} ${c.latencySum.toFixed(6)}`);
        out.push(`dht_request_duration_seconds_count{${base}} ${c.requests - c.errors}`);
      }
    }
    return `${out.join('\n')}\n`;
  }

  /** A DHT pod's JSON /metrics, in the shape the Koorde node serves it; undefined for other pods. */
  podMetrics(namespace: string, name: string, now = Date.now()): Record<string, unknown> | undefined {
    this.advance(now);
    const pod = this.#pods.find((p) => p.namespace === namespace && p.name === name && p.labels.app === 'dht-node');
    if (!pod) return undefined;
    const c = this.#dhtPod(`${namespace}/${name}`);
    const protocol = this.#variantOf(namespace) === 'koorde' ? 'koorde' : 'chord';
    const lookups = c.hits + c.misses;
    return {
      node: { id: `0x${Buffer.from(`${namespace}/${name}`).toString('hex').slice(0, 16)}`, addr: `${name}:4000` },
      cache: {
        hits: c.hits,
        misses: c.misses,
        evictions: 0,
        stores: c.stores,
        hit_rate: lookups ? c.hits / lookups : 0,
        entry_count: c.stores,
        size_bytes: c.stores * 2048,
        capacity_bytes: 2048 * 1024 * 1024,
        utilization: (c.stores * 2048) / (2048 * 1024 * 1024),
      },
      hotspots: { count: 0, urls: [] },
      routing: {
        successor_count: 8,
        debruijn_count: protocol === 'koorde' ? 8 : 0,
        has_predecessor: true,
        stats: {
          protocol,
          de_bruijn_success: c.deBruijnSuccess,
          de_bruijn_failures: c.deBruijnFailures,
          successor_fallbacks: c.successorFallbacks,
          avg_de_bruijn_success_ms: protocol === 'koorde' ? 1.2 : 0,
          avg_de_bruijn_failure_ms: 0,
          avg_successor_fallback_ms: protocol === 'koorde' ? 2.5 : 0,
        },
      },
    };
  }
}
