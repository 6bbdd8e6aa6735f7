import type { Exposition, SeriesLabels } from '../exposition.ts';
import { numberArg } from './args.ts';
import { gaussian, type SimulatedCluster, type SystemSimulator } from './system.ts';

/**
 * Thyme's simulation: every Running log generator produces its `--lines-per-second` (default
 * 2,500); the Thyme pod on the same node collects them and, while a nop-collector runs, they are
 * accepted there (else they count as export failures).
 */

/** Every Prometheus series the Thyme simulation serves. */
export const THYME_METRIC_NAMES = [
  'otelcol_receiver_accepted_log_records_total',
  'otelcol_exporter_send_failed_log_records_total',
  'otelcol_process_cpu_seconds_total',
  'otelcol_process_runtime_heap_alloc_bytes',
] as const;

/** Thyme collectors and the nop-collector they export to, per node. */
export class ThymeSimulator implements SystemSimulator {
  readonly #random: () => number;
  readonly #noise: number;
  #accepted = 0;
  #thymeReceived = new Map<string, number>();
  #failed = new Map<string, number>();
  #cpu = new Map<string, number>();
  #heap = new Map<string, number>();
  #nopCpu = 0;

  /** @param noise relative standard deviation of the throughput noise. */
  constructor(random: () => number, noise: number) {
    this.#random = random;
    this.#noise = noise;
  }

  advance(cluster: SimulatedCluster, from: number, now: number): void {
    const dt = (now - from) / 1000;
    const running = cluster.pods.filter((p) => p.running);
    const produced = new Map<string, number>();
    for (const p of running.filter((p) => p.labels.app === 'log-generator' && p.node)) {
      produced.set(
        p.node as string,
        (produced.get(p.node as string) ?? 0) + (numberArg(p.args, 'lines-per-second') ?? 2500),
      );
    }
    const thymeNodes = new Set(running.filter((p) => p.labels.app === 'thyme' && p.node).map((p) => p.node as string));
    const nop = running.filter((p) => p.labels.app === 'nop-collector').length;
    let acceptedRate = 0;
    for (const node of thymeNodes) {
      const rate = produced.get(node) ?? 0;
      // A rate-limited generator catches up when it falls behind: it never delivers less than
      // its configured rate over time, only a little more at times.
      const jitter = 1 + this.#noise * Math.abs(gaussian(this.#random));
      this.#thymeReceived.set(node, (this.#thymeReceived.get(node) ?? 0) + rate * dt * jitter);
      if (nop > 0) acceptedRate += rate * jitter;
      else this.#failed.set(node, (this.#failed.get(node) ?? 0) + rate * dt * jitter);
      if (!this.#failed.has(node)) this.#failed.set(node, 0);
      const cores = 0.02 + rate * 3e-5;
      this.#cpu.set(node, (this.#cpu.get(node) ?? 0) + cores * dt * (1 + 0.02 * gaussian(this.#random)));
      this.#heap.set(node, Math.round(40e6 + rate * 1500 * (1 + 0.01 * gaussian(this.#random))));
    }
    for (const node of [...this.#heap.keys()]) if (!thymeNodes.has(node)) this.#heap.delete(node);
    if (nop > 0) {
      this.#accepted += acceptedRate * dt;
      this.#nopCpu += (0.01 * nop + acceptedRate * 1e-5) * dt;
    }
  }

  expose(cluster: SimulatedCluster, out: Exposition): void {
    const running = cluster.pods.filter((p) => p.running);
    if (running.some((p) => p.labels.app === 'nop-collector') || this.#accepted > 0) {
      out.series('otelcol_receiver_accepted_log_records_total', 'counter', [
        [{ service_name: 'nop-collector', receiver: 'otlp', transport: 'http' }, Math.floor(this.#accepted)],
        ...[...this.#thymeReceived].map(([node, v]): [SeriesLabels, number] => [
          { service_name: 'thyme', receiver: 'filelog', instance: node },
          Math.floor(v),
        ]),
      ]);
      out.series('otelcol_process_cpu_seconds_total', 'counter', [
        ...[...this.#cpu].map(([node, v]): [SeriesLabels, number] => [{ service_name: 'thyme', instance: node }, v]),
        [{ service_name: 'nop-collector', instance: 'nop-collector' }, this.#nopCpu],
      ]);
    }
    if (this.#failed.size > 0) {
      out.series(
        'otelcol_exporter_send_failed_log_records_total',
        'counter',
        [...this.#failed].map(([node, v]) => [
          { service_name: 'thyme', exporter: 'otlphttp', instance: node },
          Math.floor(v),
        ]),
      );
    }
    if (this.#heap.size > 0) {
      out.series(
        'otelcol_process_runtime_heap_alloc_bytes',
        'gauge',
        [...this.#heap].map(([node, v]) => [{ service_name: 'thyme', instance: node }, v]),
      );
    }
  }
}
