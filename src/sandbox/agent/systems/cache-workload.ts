import { numberArg as arg, stringArg as strArg } from './args.ts';
import type { LogLine, PodInfo } from './system.ts';

/**
 * The Koorde cache-workload program, as the simulator runs it for a Running cache-workload pod:
 * its flags, the requests it is due to send, and what it prints to stdout (header, one CSV row per
 * completed request when `--output=/dev/stdout`, progress, summary), each line at its simulated
 * time; the agent turns that into the pod's container log.
 */

/** The CSV header the workload writes to its --output before the rows. */
export const WORKLOAD_CSV_HEADER = 'timestamp,url_id,latency_ms,status,cache_status,node_id';
const BAR = '━'.repeat(40);

/** Go's time.RFC3339 of a UTC time: whole seconds. */
export const rfc3339 = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

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

/** One cache-workload pod's run of the real program, with its counters and unwritten lines. */
export interface WorkloadRun {
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

/**
 * A cache-workload pod starting the real program: its run, holding the header it prints (or its
 * error, for invalid flags).
 */
export function startWorkloadRun(w: PodInfo, at: number, random: () => number): WorkloadRun {
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
  const seed = BigInt(Math.floor(at)) * 1_000_000n + BigInt(Math.floor(random() * 1e6));
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

/** The next URL id the run requests, drawn from its Zipf distribution. */
export function nextUrlId(run: WorkloadRun, random: () => number): number {
  const u = random();
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
export function finishWorkloadRun(run: WorkloadRun): void {
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
