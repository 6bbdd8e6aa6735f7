import { Exposition } from './exposition.ts';
import { DEFAULT_KOORDE_LATENCY_FACTOR, KoordeSimulator } from './systems/koorde.ts';
import type { PodInfo, PodLog, SimulatedCluster } from './systems/system.ts';
import { ThymeSimulator } from './systems/thyme.ts';

/**
 * The local cloud's workload simulator. kwok pods run no containers, so this stands in for what
 * the systems under test would report, computed from the cluster's real state: which pods are
 * Running, on which node, with which arguments. Prometheus scrapes it every second.
 *
 * One simulator per system behind one interface (SystemSimulator, src/sandbox/agent/systems/system.ts): Thyme
 * (thyme.ts) and the Koorde/Chord DHT with its cache workload (koorde.ts, cache-workload.ts);
 * this class holds the cluster state, the simulated clock and the shared random source, and
 * serves their series in one Prometheus exposition (exposition.ts).
 */

/** Options of {@link WorkloadSimulator}. */
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

/** Every simulated system, advanced on one clock from one cluster state. */
export class WorkloadSimulator {
  #cluster: SimulatedCluster = { pods: [], namespaceLabels: new Map() };
  /** The simulated time counters are integrated to (ms); set by the first advance. */
  #last: number | undefined;
  readonly #thyme: ThymeSimulator;
  readonly #koorde: KoordeSimulator;

  constructor(options: SimulatorOptions = {}) {
    const random = options.random ?? Math.random;
    this.#thyme = new ThymeSimulator(random, options.noise ?? 0.003);
    this.#koorde = new KoordeSimulator(random, options.koordeLatencyFactor ?? DEFAULT_KOORDE_LATENCY_FACTOR);
  }

  /** Replaces the cluster state; counters are advanced with the previous state first. */
  update(pods: PodInfo[], namespaceLabels: Map<string, Record<string, string>>, now = Date.now()): void {
    this.advance(now);
    this.#cluster = { pods, namespaceLabels };
  }

  /** Integrates every counter from the last advance to `now` at the current rates. */
  advance(now = Date.now()): void {
    const from = this.#last ?? now;
    if (this.#last !== undefined && now <= from) return;
    this.#last = now;
    if (now === from) return;
    // Thyme first, then the DHT: the order the shared random source is drawn in.
    this.#thyme.advance(this.#cluster, from, now);
    this.#koorde.advance(this.#cluster, from, now);
  }

  /**
   * The stdout lines each workload pod wrote up to `now` (in time order) that were not drained
   * yet; a request that completes after `now` stays for the next drain.
   */
  drainPodLogs(now = Date.now()): PodLog[] {
    this.advance(now);
    return this.#koorde.drainPodLogs(now);
  }

  /** The Prometheus text exposition of every series. */
  renderPrometheus(now = Date.now()): string {
    this.advance(now);
    const out = new Exposition();
    this.#thyme.expose(this.#cluster, out);
    this.#koorde.expose(this.#cluster, out);
    return out.text();
  }

  /** A DHT pod's JSON /metrics, in the shape the Koorde node serves it; undefined for other pods. */
  podMetrics(namespace: string, name: string, now = Date.now()): Record<string, unknown> | undefined {
    this.advance(now);
    return this.#koorde.podMetrics(this.#cluster, namespace, name);
  }
}
