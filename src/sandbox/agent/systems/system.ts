import type { Exposition } from '../exposition.ts';

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

/** The cluster state a system's simulation reads, as the agent last saw it. */
export interface SimulatedCluster {
  pods: PodInfo[];
  /** Namespace name -> its labels. */
  namespaceLabels: Map<string, Record<string, string>>;
}

/**
 * One simulated system under test (Thyme, or the Koorde/Chord DHT): counters integrated over the
 * simulated time, served as Prometheus series. The simulators share one random source, drawn in
 * a fixed order (the systems in turn), so a seeded run gives the same series every time.
 */
export interface SystemSimulator {
  /** Integrates the system's counters over `[from, now)` (ms) at the rates the cluster gives now. */
  advance(cluster: SimulatedCluster, from: number, now: number): void;
  /** Writes the system's series (none before it has something to report). */
  expose(cluster: SimulatedCluster, out: Exposition): void;
}

/** A standard normal deviate (Box-Muller), from two draws of `random`. */
export function gaussian(random: () => number): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
