import { createHash } from 'node:crypto';
import type { Exposition, SeriesLabels } from '../exposition.ts';
import { finishWorkloadRun, nextUrlId, rfc3339, startWorkloadRun, type WorkloadRun } from './cache-workload.ts';
import { gaussian, type PodInfo, type PodLog, type SimulatedCluster, type SystemSimulator } from './system.ts';

/**
 * The Koorde/Chord DHT's simulation: a Running cache-workload pod sends `--rate` requests/s (up to
 * `--requests`) to its namespace's dht-node pods; latency grows with the ring size, and Koorde's
 * is Chord's times a configurable factor (the "true difference"; by default 1, none, as nobody
 * measured one). Whether a ring is Koorde or Chord is what its pods are configured with
 * (DHT_PROTOCOL, from the dht-config ConfigMap), as for the real nodes, not the namespace's name
 * or variant label: an A/A comparison runs Chord in two namespaces.
 */

/**
 * Koorde's latency relative to Chord's when nothing else is asked: the same. Nobody measured a
 * difference between the two, so a local comparison must not "find" one; a test that needs a
 * true difference to detect sets the factor explicitly.
 */
export const DEFAULT_KOORDE_LATENCY_FACTOR = 1;

/** Every Prometheus series the DHT simulation serves (a histogram by its base name). */
export const KOORDE_METRIC_NAMES = [
  'dht_requests_total',
  'dht_request_errors_total',
  'dht_cache_hits_total',
  'dht_de_bruijn_success_total',
  'dht_de_bruijn_failures_total',
  'dht_successor_fallbacks_total',
  'dht_request_duration_seconds',
] as const;

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

/** A DHT node's id, as its /metrics and the X-Node-ID header name it. */
export function dhtNodeId(namespace: string, name: string): string {
  return `0x${createHash('sha1').update(`${namespace}/${name}`).digest('hex').slice(0, 16)}`;
}

/** The DHT rings and the cache workloads that send them requests, per namespace. */
export class KoordeSimulator implements SystemSimulator {
  readonly #random: () => number;
  readonly #latencyFactor: number;
  #variants = new Map<string, VariantCounters>();
  #dhtPods = new Map<string, DhtPodCounters>();
  #runs = new Map<string, WorkloadRun>();

  /** @param latencyFactor Koorde's latency relative to Chord's. */
  constructor(random: () => number, latencyFactor: number) {
    this.#random = random;
    this.#latencyFactor = latencyFactor;
  }

  /**
   * The stdout lines each workload pod wrote up to `now` (in time order) that were not drained
   * yet; a request that completes after `now` stays for the next drain.
   */
  drainPodLogs(now: number): PodLog[] {
    const out: PodLog[] = [];
    for (const run of this.#runs.values()) {
      if (run.lines.length === 0) continue;
      run.lines.sort((a, b) => a.time - b.time);
      const n = run.lines.findIndex((l) => l.time > now);
      const lines = n < 0 ? run.lines.splice(0) : run.lines.splice(0, n);
      if (lines.length === 0) continue;
      out.push({ namespace: run.namespace, name: run.name, uid: run.uid, container: run.container, lines });
    }
    return out;
  }

  #variantOf(cluster: SimulatedCluster, namespace: string): string {
    return cluster.namespaceLabels.get(namespace)?.['bench.dev/variant'] || namespace.replace(/-dht$/, '');
  }

  /**
   * The protocol a namespace's ring runs: its DHT pods' DHT_PROTOCOL (the dht-config ConfigMap
   * they load); a node configured without one runs Koorde.
   */
  #protocolOf(cluster: SimulatedCluster, namespace: string): 'koorde' | 'chord' {
    const configured = cluster.pods.find(
      (p) => p.namespace === namespace && p.labels.app === 'dht-node' && p.env?.DHT_PROTOCOL,
    )?.env?.DHT_PROTOCOL;
    return configured?.trim().toLowerCase() === 'chord' ? 'chord' : 'koorde';
  }

  advance(cluster: SimulatedCluster, from: number, now: number): void {
    const dt = (now - from) / 1000;
    const running = cluster.pods.filter((p) => p.running);
    const byNamespace = new Map<string, PodInfo[]>();
    for (const p of running.filter((p) => p.labels.app === 'dht-node'))
      byNamespace.set(p.namespace, [...(byNamespace.get(p.namespace) ?? []), p]);
    for (const w of running.filter((p) => p.labels.app === 'cache-workload')) {
      const key = `${w.namespace}/${w.name}`;
      let run = this.#runs.get(key);
      if (!run) {
        run = startWorkloadRun(w, from, this.#random);
        this.#runs.set(key, run);
      }
      if (run.done) continue;
      const before = run.active;
      run.active += dt;
      // The real program's ticker sends request i at (i+1)/rate seconds after its start.
      const due = Math.min(run.requests, Math.floor(run.active * run.rate + 1e-9));
      const sendTimes: number[] = [];
      for (let i = run.sent; i < due; i++) sendTimes.push(from + ((i + 1) / run.rate - before) * 1000);
      if (sendTimes.length > 0) this.#serve(cluster, run, byNamespace.get(w.namespace) ?? [], sendTimes);
      if (run.sent >= run.requests && run.lastSendAt + 5000 <= now) finishWorkloadRun(run);
    }
  }

  /** One workload's requests, sent at these times, served by its namespace's DHT pods. */
  #serve(cluster: SimulatedCluster, run: WorkloadRun, nodes: PodInfo[], sendTimes: number[]): void {
    const namespace = run.namespace;
    const variant = this.#variantOf(cluster, namespace);
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
    const koorde = this.#protocolOf(cluster, namespace) === 'koorde';
    // Median latency grows with the hops a lookup takes; lognormal spread (p95 = 1.78 x median).
    const median = (0.004 + 0.0015 * Math.log2(Math.max(size, 2))) * (koorde ? this.#latencyFactor : 1);
    const row = (done: number, urlId: number, latency: number, status: number, cache: string, node: string) => {
      if (!run.csvToStdout) return;
      // Go: float64(latency.Microseconds())/1000.0 printed with %.2f.
      const ms = (Math.floor(latency * 1e6) / 1000).toFixed(2);
      run.lines.push({ time: done, line: `${rfc3339(done)},${urlId},${ms},${status},${cache},${node}` });
    };
    for (const sentAt of sendTimes) {
      run.sent++;
      run.lastSendAt = sentAt;
      if (run.sent % 100 === 0) {
        const pct = ((run.sent / run.requests) * 100).toFixed(1);
        run.lines.push({ time: sentAt, line: `Progress: ${run.sent}/${run.requests} (${pct}%)` });
      }
      const urlId = nextUrlId(run, this.#random);
      c.requests++;
      run.total++;
      if (size === 0) {
        // No endpoints behind the Service: the connection is refused, and no row is written.
        c.errors++;
        run.latencySumMs += 1;
        continue;
      }
      const pod = nodes[Math.floor(this.#random() * size)] as PodInfo;
      const nodeId = dhtNodeId(pod.namespace, pod.name);
      const latency = median * Math.exp(0.35 * gaussian(this.#random));
      run.success++;
      run.latencySumMs += latency * 1000;
      if (this.#random() < 0.001) {
        // A rare error answer: a row with its status, not a cache hit.
        c.errors++;
        run.misses++;
        row(sentAt + latency * 1000, urlId, latency, 503, '', nodeId);
        continue;
      }
      c.latencySum += latency;
      LATENCY_BUCKETS.forEach((b, j) => {
        if (latency <= b) c.buckets[j] = (c.buckets[j] ?? 0) + 1;
      });
      const hit = this.#random() < 0.55;
      if (hit) {
        c.hits++;
        run.hits++;
      } else run.misses++;
      row(sentAt + latency * 1000, urlId, latency, 200, hit ? 'HIT' : 'MISS', nodeId);
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
        if (this.#random() < 0.02) {
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

  expose(_cluster: SimulatedCluster, out: Exposition): void {
    if (this.#variants.size > 0) {
      const rows = (f: (c: VariantCounters) => number) =>
        [...this.#variants].map(([key, c]): [SeriesLabels, number] => {
          const [namespace, variant] = key.split('\0') as [string, string];
          return [{ namespace, variant }, f(c)];
        });
      out.series(
        'dht_requests_total',
        'counter',
        rows((c) => c.requests),
      );
      out.series(
        'dht_request_errors_total',
        'counter',
        rows((c) => c.errors),
      );
      out.series(
        'dht_cache_hits_total',
        'counter',
        rows((c) => c.hits),
      );
      out.series(
        'dht_de_bruijn_success_total',
        'counter',
        rows((c) => c.deBruijnSuccess),
      );
      out.series(
        'dht_de_bruijn_failures_total',
        'counter',
        rows((c) => c.deBruijnFailures),
      );
      out.series(
        'dht_successor_fallbacks_total',
        'counter',
        rows((c) => c.successorFallbacks),
      );
      out.line('# TYPE dht_request_duration_seconds histogram');
      for (const [key, c] of this.#variants) {
        const [namespace, variant] = key.split('\0') as [string, string];
        const base = `namespace="${namespace}",variant="${variant}"`;
        LATENCY_BUCKETS.forEach((b, j) =>
          out.line(`dht_request_duration_seconds_bucket{${base},le="${b}"} ${c.buckets[j]}`),
        );
        out.line(`dht_request_duration_seconds_bucket{${base},le="+Inf"} ${c.requests - c.errors}`);
        out.line(`dht_request_duration_seconds_sum{${base}} ${c.latencySum.toFixed(6)}`);
        out.line(`dht_request_duration_seconds_count{${base}} ${c.requests - c.errors}`);
      }
    }
  }

  /** A DHT pod's JSON /metrics, in the shape the Koorde node serves it; undefined for other pods. */
  podMetrics(cluster: SimulatedCluster, namespace: string, name: string): Record<string, unknown> | undefined {
    const pod = cluster.pods.find((p) => p.namespace === namespace && p.name === name && p.labels.app === 'dht-node');
    if (!pod) return undefined;
    const c = this.#dhtPod(`${namespace}/${name}`);
    const protocol = this.#protocolOf(cluster, namespace);
    const lookups = c.hits + c.misses;
    return {
      node: { id: dhtNodeId(namespace, name), addr: `${name}:4000` },
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
