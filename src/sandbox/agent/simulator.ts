/**
 * The local cloud's workload simulator. kwok pods run no containers, so this stands in for what
 * the systems under test would report, computed from the cluster's real state: which pods are
 * Running, on which node, with which arguments. Prometheus scrapes it every second.
 *
 * Thyme: every Running log generator produces its `--lines-per-second` (default 2,500); the Thyme
 * pod on the same node collects them and, while a nop-collector runs, they are accepted there
 * (else they count as export failures). Koorde: a Running cache-workload pod sends `--rate`
 * requests/s (up to `--requests`) to its namespace's dht-node pods; latency grows with the ring
 * size, and Koorde's is Chord's times a configurable factor (the "true difference"; by default 1,
 * none, as nobody measured one). Whether a ring is Koorde or Chord is what its pods are configured
 * with (DHT_PROTOCOL, from the dht-config
 * ConfigMap), as for the real nodes, not the namespace's name or variant label: an A/A comparison
 * runs Chord in two namespaces. The workload also writes what the real program prints to stdout
 * (header, one CSV row per completed request when `--output=/dev/stdout`, progress, summary),
 * each line at its simulated time; the agent turns that into the pod's container log.
 */
import { createHash } from 'node:crypto';

/** What the simulator needs to know about a pod. */
export interface PodInfo {
  namespace: string;
  name: string;
  node: string | undefined;
  running: boolean;
  labels: Record<string, string>;
  args: string[];
  /** The pod's UID (names its log file; owns its Logs object). */
  uid?: string;
  /** Its containers' names, in order. */
  containers?: string[];
  /** Its containers' environment: literal values and ConfigMap entries (envFrom, configMapKeyRef). */
  env?: Record<string, string>;
}

/** One line a simulated container wrote to stdout, at its simulated time (ms since the epoch). */
export interface LogLine {
  time: number;
  line: string;
}

/** A simulated container's stdout lines since the last drain. */
export interface PodLog {
  namespace: string;
  name: string;
  uid: string | undefined;
  container: string;
  lines: LogLine[];
}

/** The CSV header the workload writes to its --output before the rows. */
export const WORKLOAD_CSV_HEADER = 'timestamp,url_id,latency_ms,status,cache_status,node_id';
const BAR = '━'.repeat(40);

/**
 * Koorde's latency relative to Chord's when nothing else is asked: the same. Nobody measured a
 * difference between the two, so a local comparison must not "find" one; a test that needs a
 * true difference to detect sets {@link SimulatorOptions.koordeLatencyFactor} explicitly.
 */
export const DEFAULT_KOORDE_LATENCY_FACTOR = 1;

export interface SimulatorOptions {
  /**
   * Koorde latency relative to Chord's (0.8: 20% lower); default
   * {@link DEFAULT_KOORDE_LATENCY_FACTOR} (no difference).
   */
  koordeLatencyFactor?: number;
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

/** A flag's value as Go's flag package reads `--name=value` or `-name=value` (the last one wins). */
const strArg = (args: string[], name: string): string | undefined => {
  let value: string | undefined;
  for (const a of args) {
    for (const prefix of [`--${name}=`, `-${name}=`]) if (a.startsWith(prefix)) value = a.slice(prefix.length);
  }
  return value;
};

const arg = (args: string[], name: string): number | undefined => {
  const s = strArg(args, name);
  const v = s === undefined ? NaN : Number(s);
  return Number.isFinite(v) ? v : undefined;
};

/** Go's time.RFC3339 of a UTC time: whole seconds. */
const rfc3339 = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/** A Go time.Duration rounded to seconds, as its String() prints it (4s, 3m20s, 1h0m5s). */
export function goDurationSeconds(ms: number): string {
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  if (h > 0) return `${h}h${m}m${sec}s`;
  if (m > 0) return `${m}m${sec}s`;
  return `${sec}s`;
}

/** A DHT node's id, as its /metrics and the X-Node-ID header name it. */
export function dhtNodeId(namespace: string, name: string): string {
  return `0x${createHash('sha1').update(`${namespace}/${name}`).digest('hex').slice(0, 16)}`;
}

/** One cache-workload pod's run of the real program, with its counters and unwritten lines. */
interface WorkloadRun {
  namespace: string;
  name: string;
  uid: string | undefined;
  container: string;
  rate: number;
  requests: number;
  /** --output; when it is the container's stdout, the CSV goes into the pod log. */
  output: string;
  csvToStdout: boolean;
  /** Cumulative distribution of the URL ids (Go's rand.Zipf with q=1.5); empty when invalid. */
  zipfCdf: Float64Array;
  startedAt: number;
  /** Seconds the pod has been Running (requests are due at (i+1)/rate of them). */
  active: number;
  sent: number;
  lastSendAt: number;
  done: boolean;
  total: number;
  success: number;
  hits: number;
  misses: number;
  latencySumMs: number;
  lines: LogLine[];
}

export class WorkloadSimulator {
  readonly #opts: Required<SimulatorOptions>;
  #pods: PodInfo[] = [];
  #namespaceLabels = new Map<string, Record<string, string>>();
  /** The simulated time counters are integrated to (ms); set by the first advance. */
  #last: number | undefined;
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
  #runs = new Map<string, WorkloadRun>();

  constructor(options: SimulatorOptions = {}) {
    this.#opts = {
      noise: 0.003,
      random: Math.random,
      ...options,
      koordeLatencyFactor: options.koordeLatencyFactor ?? DEFAULT_KOORDE_LATENCY_FACTOR,
    };
  }

  /** Replaces the cluster state; counters are advanced with the previous state first. */
  update(pods: PodInfo[], namespaceLabels: Map<string, Record<string, string>>, now = Date.now()): void {
    this.advance(now);
    this.#pods = pods;
    this.#namespaceLabels = namespaceLabels;
  }

  /** Integrates every counter from the last advance to `now` at the current rates. */
  advance(now = Date.now()): void {
    const from = this.#last ?? now;
    if (this.#last !== undefined && now <= from) return;
    this.#last = now;
    if (now === from) return;
    const dt = (now - from) / 1000;
    this.#advanceThyme(dt);
    this.#advanceKoorde(from, now);
  }

  /**
   * The stdout lines each workload pod wrote up to `now` (in time order) that were not drained
   * yet; a request that completes after `now` stays for the next drain.
   */
  drainPodLogs(now = Date.now()): PodLog[] {
    this.advance(now);
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

  /**
   * The protocol a namespace's ring runs: its DHT pods' DHT_PROTOCOL (the dht-config ConfigMap
   * they load); a node configured without one runs Koorde.
   */
  #protocolOf(namespace: string): 'koorde' | 'chord' {
    const configured = this.#pods.find(
      (p) => p.namespace === namespace && p.labels.app === 'dht-node' && p.env?.DHT_PROTOCOL,
    )?.env?.DHT_PROTOCOL;
    return configured?.trim().toLowerCase() === 'chord' ? 'chord' : 'koorde';
  }

  #advanceKoorde(from: number, now: number): void {
    const dt = (now - from) / 1000;
    const running = this.#pods.filter((p) => p.running);
    const byNamespace = new Map<string, PodInfo[]>();
    for (const p of running.filter((p) => p.labels.app === 'dht-node'))
      byNamespace.set(p.namespace, [...(byNamespace.get(p.namespace) ?? []), p]);
    for (const w of running.filter((p) => p.labels.app === 'cache-workload')) {
      const key = `${w.namespace}/${w.name}`;
      let run = this.#runs.get(key);
      if (!run) {
        run = this.#startRun(w, from);
        this.#runs.set(key, run);
      }
      if (run.done) continue;
      const before = run.active;
      run.active += dt;
      // The real program's ticker sends request i at (i+1)/rate seconds after its start.
      const due = Math.min(run.requests, Math.floor(run.active * run.rate + 1e-9));
      const sendTimes: number[] = [];
      for (let i = run.sent; i < due; i++) sendTimes.push(from + ((i + 1) / run.rate - before) * 1000);
      if (sendTimes.length > 0) this.#serve(run, byNamespace.get(w.namespace) ?? [], sendTimes);
      if (run.sent >= run.requests && run.lastSendAt + 5000 <= now) this.#finishRun(run);
    }
  }

  /** The header the real program prints when it starts (or its error, for invalid flags). */
  #startRun(w: PodInfo, at: number): WorkloadRun {
    const urls = Math.trunc(arg(w.args, 'urls') ?? 100);
    const zipf = arg(w.args, 'zipf') ?? 1.2;
    const output = strArg(w.args, 'output') ?? 'results.csv';
    const run: WorkloadRun = {
      namespace: w.namespace,
      name: w.name,
      uid: w.uid,
      container: w.containers?.[0] ?? 'cache-workload',
      rate: arg(w.args, 'rate') ?? 50,
      requests: Math.max(0, Math.trunc(arg(w.args, 'requests') ?? 1000)),
      output,
      csvToStdout: ['/dev/stdout', '/proc/self/fd/1'].includes(output),
      zipfCdf: new Float64Array(0),
      startedAt: at,
      active: 0,
      sent: 0,
      lastSendAt: at,
      done: false,
      total: 0,
      success: 0,
      hits: 0,
      misses: 0,
      latencySumMs: 0,
      lines: [],
    };
    const targets = (strArg(w.args, 'targets') ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== '');
    if (targets.length === 0) targets.push(strArg(w.args, 'target') ?? 'http://localhost:8080');
    const seed = BigInt(Math.floor(at)) * 1_000_000n + BigInt(Math.floor(this.#opts.random() * 1e6));
    const print = (line: string) => run.lines.push({ time: at, line });
    print(BAR);
    print('Koorde Cache Workload Generator');
    print(`Targets: ${targets.join(', ')}`);
    print(`URLs: ${urls}`);
    print(`Requests: ${run.requests}`);
    print(`Rate: ${run.rate.toFixed(2)} req/sec`);
    print(`Zipf: ${zipf.toFixed(2)}`);
    print(`Seed: ${seed}`);
    print(BAR);
    if (urls < 2 || zipf <= 1 || !(run.rate > 0)) {
      print(
        urls < 2
          ? `Error: --urls must be >= 2 (got ${urls})`
          : zipf <= 1
            ? `Error: --zipf must be > 1.0 (got ${zipf.toFixed(2)})`
            : `Error: --rate must be > 0 (got ${run.rate.toFixed(2)})`,
      );
      run.done = true;
      return run;
    }
    print(`Origin: ${strArg(w.args, 'origin') ?? 'https://httpbin.org'}`);
    if (run.csvToStdout) print(WORKLOAD_CSV_HEADER);
    // P(k) ~ (1.5 + k)^-zipf for k = 0..urls-1, as Go's rand.NewZipf(rng, zipf, 1.5, urls-1).
    const cdf = new Float64Array(urls);
    let sum = 0;
    for (let k = 0; k < urls; k++) cdf[k] = sum += (1.5 + k) ** -zipf;
    for (let k = 0; k < urls; k++) cdf[k] = (cdf[k] as number) / sum;
    run.zipfCdf = cdf;
    return run;
  }

  #urlId(run: WorkloadRun): number {
    const u = this.#opts.random();
    const cdf = run.zipfCdf;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cdf[mid] as number) < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The summary the real program prints 5 s after its last request, before it exits. */
  #finishRun(run: WorkloadRun): void {
    run.done = true;
    const at = run.lastSendAt + 5000;
    const pct = (a: number, b: number) => ((a / b) * 100).toFixed(1);
    for (const line of [
      '',
      BAR,
      'Summary:',
      `  Total: ${run.total}`,
      `  Success: ${run.success} (${pct(run.success, run.total)}%)`,
      `  Avg Latency: ${(run.latencySumMs / run.success).toFixed(2)} ms`,
      `  Cache Hits: ${run.hits}`,
      `  Cache Misses: ${run.misses}`,
      `  Hit Rate: ${pct(run.hits, run.hits + run.misses)}%`,
      `  Duration: ${goDurationSeconds(at - run.startedAt)}`,
      BAR,
      '',
      `Results saved to: ${run.output}`,
    ])
      run.lines.push({ time: at, line });
  }

  /** One workload's requests, sent at these times, served by its namespace's DHT pods. */
  #serve(run: WorkloadRun, nodes: PodInfo[], sendTimes: number[]): void {
    const namespace = run.namespace;
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
    const koorde = this.#protocolOf(namespace) === 'koorde';
    // Median latency grows with the hops a lookup takes; lognormal spread (p95 = 1.78 x median).
    const median = (0.004 + 0.0015 * Math.log2(Math.max(size, 2))) * (koorde ? this.#opts.koordeLatencyFactor : 1);
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
      const urlId = this.#urlId(run);
      c.requests++;
      run.total++;
      if (size === 0) {
        // No endpoints behind the Service: the connection is refused, and no row is written.
        c.errors++;
        run.latencySumMs += 1;
        continue;
      }
      const pod = nodes[Math.floor(this.#opts.random() * size)] as PodInfo;
      const nodeId = dhtNodeId(pod.namespace, pod.name);
      const latency = median * Math.exp(0.35 * this.#gauss());
      run.success++;
      run.latencySumMs += latency * 1000;
      if (this.#opts.random() < 0.001) {
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
      const hit = this.#opts.random() < 0.55;
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
    const protocol = this.#protocolOf(namespace);
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
