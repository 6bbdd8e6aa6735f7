import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { PodData } from '../adapters/pod-data.ts';
import { InterruptedError } from '../errors.ts';
import type { Estimator } from '../report/statistics/estimators.ts';
import type { ComparisonMetricDef, TrialSamples } from '../report/variant-comparison/model.ts';
import { RAW_DIR, writeFileAtomic } from '../report/raw.ts';
import type { EventBus } from '../run/events.ts';
import type { Journal } from '../run/journal.ts';
import type { KubeObject } from '../suite/render.ts';
import type { Suite, SuiteMetric } from '../suite/schema.ts';
import { sleep } from '../util/sleep.ts';

/**
 * What a comparison's trial measured, kept raw before anything is computed: per arm and trial a
 * directory `raw/trials/<order>-<arm>/` with `trial.json` (arm, size, repetition, measured window),
 * the workload pods' logs (`workload/<pod>.<container>.log.gz`, exactly as the API returned them)
 * and the JSON each measured pod served at the window's start and end
 * (`pod-metrics-start.json.gz`, `pod-metrics-end.json.gz`). The samples are derived from these
 * files, so a report can always be rebuilt (`bench report <run>`).
 */

/** The directory of all trials' raw data. */
export const TRIALS_DIR = join(RAW_DIR, 'trials');

/** Identity of one arm's part of one trial. */
export interface TrialKey {
  arm: string;
  namespace: string;
  size: number;
  repetition: number;
  order: number;
}

/** trial.json */
export interface TrialMeta extends TrialKey {
  window: { start: string; end: string };
}

/** Directory of one arm's trial data. */
export function trialDir(runDir: string, key: Pick<TrialKey, 'order' | 'arm'>): string {
  return join(runDir, TRIALS_DIR, `${String(key.order).padStart(3, '0')}-${key.arm}`);
}

type PodSnapshot = Record<string, { value: unknown } | { error: string }>;

/** The pods and endpoint a pod-metrics metric reads: the key of its answers in a snapshot. */
function endpointKey(m: SuiteMetric): string {
  return `${m.port}${m.path ?? '/metrics'} ${JSON.stringify(m.selector)}`;
}

/** The metric definitions a comparison computes from a suite: one per metric and aggregate. */
export function comparisonMetrics(suite: Suite): ComparisonMetricDef[] {
  const defs: ComparisonMetricDef[] = [];
  for (const m of suite.metrics) {
    if (m.source === 'prometheus') continue;
    const aggregates = m.source === 'pod-metrics' ? (['last'] as const) : m.aggregate;
    for (const agg of aggregates) {
      defs.push({
        id: `${m.name}.${agg}`,
        metric: m.name,
        label: `${m.name.replaceAll('_', ' ')}${aggregates.length > 1 ? ` ${agg}` : ''}`,
        unit: m.unit,
        estimator: estimatorOf(m, agg),
        better: m.better,
        description: m.description,
      });
    }
  }
  return defs;
}

function estimatorOf(m: SuiteMetric, agg: string): Estimator {
  // A pod counter's increase over the window is one number per trial.
  if (m.source === 'pod-metrics') return { kind: 'value' };
  const q = /^p(\d+)$/.exec(agg);
  if (q) return { kind: 'quantile', q: Number(q[1]) / 100 };
  if (agg === 'min') return { kind: 'quantile', q: 0 };
  if (agg === 'max') return { kind: 'quantile', q: 1 };
  // mean, and `last` of a workload field (its mean over the window is the only sensible reading).
  return { kind: 'mean' };
}

/** The labels and containers of a suite's workload pods (from the workload objects' templates). */
export function workloadPods(objects: KubeObject[]): { selector: Record<string, string>; containers: string[] }[] {
  return objects.flatMap((o) => {
    const template = (
      o.spec as
        | { template?: { metadata?: { labels?: Record<string, string> }; spec?: { containers?: { name: string }[] } } }
        | undefined
    )?.template;
    const labels = template?.metadata?.labels;
    if (!labels || Object.keys(labels).length === 0) return [];
    return [{ selector: labels, containers: (template.spec?.containers ?? []).map((c) => c.name) }];
  });
}

/** What capturing a trial's data needs. */
export interface CaptureInput {
  runDir: string;
  key: TrialKey;
  suite: Suite;
  pods: PodData;
  journal: Journal;
  events: EventBus;
  signal?: AbortSignal;
}

/** At the measured window's start: every pod-metrics pod's JSON. */
export async function captureWindowStart(input: CaptureInput): Promise<void> {
  await snapshotPodMetrics(input, 'start');
}

/**
 * At the measured window's end (before the workload is stopped): the pods' JSON again, the
 * workload pods' logs, and trial.json with the window. Failures are recorded, never thrown: the
 * other data of the trial is kept.
 */
export async function captureWindowEnd(
  input: CaptureInput & {
    window: { start: string; end: string };
    workload: KubeObject[];
    /**
     * How long to let the workload's last rows of the window reach its log before reading it
     * (default 2 s): a row is written when its response arrives, and logs lag a little behind.
     */
    settleMs?: number;
  },
): Promise<void> {
  const dir = trialDir(input.runDir, input.key);
  mkdirSync(join(dir, 'workload'), { recursive: true });
  await snapshotPodMetrics(input, 'end');
  await sleep(input.settleMs ?? 2000, input.signal);
  const failures: string[] = [];
  for (const { selector, containers } of workloadPods(input.workload)) {
    let names: string[] = [];
    try {
      names = await input.pods.listPods(input.key.namespace, selector, input.signal);
    } catch (err) {
      if (err instanceof InterruptedError) throw err;
      failures.push((err as Error).message);
    }
    for (const pod of names) {
      for (const container of containers) {
        try {
          const log = await input.pods.readLog(input.key.namespace, pod, container, input.signal);
          writeFileAtomic(join(dir, 'workload', `${pod}.${container}.log.gz`), gzipSync(log));
        } catch (err) {
          if (err instanceof InterruptedError) throw err;
          failures.push((err as Error).message);
        }
      }
    }
  }
  const meta: TrialMeta = { ...input.key, window: input.window, ...(failures.length ? { failures } : {}) };
  writeFileAtomic(join(dir, 'trial.json'), `${JSON.stringify(meta, null, 2)}\n`);
  input.journal.append({
    type: 'note',
    phase: 'measure',
    message: 'trial captured',
    data: { dir, arm: input.key.arm, size: input.key.size, repetition: input.key.repetition, failures },
  });
  for (const f of failures) input.events.emit('warn', 'compare', 'measure.missing', f);
}

async function snapshotPodMetrics(input: CaptureInput, edge: 'start' | 'end'): Promise<void> {
  const dir = trialDir(input.runDir, input.key);
  mkdirSync(dir, { recursive: true });
  const snapshot: Record<string, PodSnapshot> = {};
  // One read per pod and endpoint, whatever the number of metrics reading it.
  const endpoints = new Map<string, { port: number; path: string; selector: Record<string, string> }>();
  for (const m of input.suite.metrics) {
    if (m.source !== 'pod-metrics' || !m.port || !m.selector) continue;
    endpoints.set(endpointKey(m), { port: m.port, path: m.path ?? '/metrics', selector: m.selector });
  }
  for (const [id, ep] of endpoints) {
    const pods: PodSnapshot = {};
    snapshot[id] = pods;
    let names: string[];
    try {
      names = await input.pods.listPods(input.key.namespace, ep.selector, input.signal);
    } catch (err) {
      if (err instanceof InterruptedError) throw err;
      pods['*'] = { error: (err as Error).message };
      continue;
    }
    await Promise.all(
      names.map(async (pod) => {
        try {
          pods[pod] = { value: await input.pods.readJson(input.key.namespace, pod, ep.port, ep.path, input.signal) };
        } catch (err) {
          if (err instanceof InterruptedError) throw err;
          pods[pod] = { error: (err as Error).message };
        }
      }),
    );
  }
  writeFileAtomic(
    join(dir, `pod-metrics-${edge}.json.gz`),
    gzipSync(JSON.stringify({ at: new Date().toISOString(), endpoints: snapshot })),
  );
}

// ---------------------------------------------------------------------------------------------
// From raw data to samples

/** One request the workload reported. */
export interface WorkloadRow {
  /** Unix seconds (the workload writes whole seconds). */
  t: number;
  urlId: number;
  latencyMs: number;
  status: number;
  cacheStatus: string;
  nodeId: string;
}

const ROW = /^(\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})),(\d+),([0-9.]+),(\d+),([^,]*),(.*)$/;

/**
 * The request rows of a workload's output (the seed's cache-workload: a CSV row per completed
 * request, `timestamp,url_id,latency_ms,status,cache_status,node_id`, among its progress and
 * summary lines, which are skipped).
 */
export function parseWorkloadLog(text: string): WorkloadRow[] {
  const rows: WorkloadRow[] = [];
  for (const line of text.split('\n')) {
    const m = ROW.exec(line.trim());
    if (!m) continue;
    const t = Date.parse(m[1] as string);
    if (!Number.isFinite(t)) continue;
    rows.push({
      t: Math.floor(t / 1000),
      urlId: Number(m[2]),
      latencyMs: Number(m[3]),
      status: Number(m[4]),
      cacheStatus: m[5] as string,
      nodeId: m[6] as string,
    });
  }
  return rows;
}

/** The field of a JSON document at a dotted path, when it is a number. */
function fieldOf(doc: unknown, path: string): number | undefined {
  let v: unknown = doc;
  for (const part of path.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Every trial directory of a run, as samples for the comparison's metrics. */
export function readTrialSamples(runDir: string, suite: Suite, metrics: ComparisonMetricDef[]): TrialSamples[] {
  const root = join(runDir, TRIALS_DIR);
  if (!existsSync(root)) return [];
  const out: TrialSamples[] = [];
  for (const name of readdirSync(root).sort()) {
    const dir = join(root, name);
    if (!existsSync(join(dir, 'trial.json'))) continue;
    const meta = JSON.parse(readFileSync(join(dir, 'trial.json'), 'utf8')) as TrialMeta;
    out.push(trialSamples(dir, meta, suite, metrics));
  }
  return out;
}

function trialSamples(dir: string, meta: TrialMeta, suite: Suite, metrics: ComparisonMetricDef[]): TrialSamples {
  const units: Record<string, number[]> = {};
  const missing: Record<string, string> = {};
  // Whole seconds inside the window: the workload stamps rows with whole seconds.
  const from = Math.ceil(Date.parse(meta.window.start) / 1000);
  const to = Math.floor(Date.parse(meta.window.end) / 1000);
  const seconds = Math.max(0, to - from);
  const logDir = join(dir, 'workload');
  const rows = existsSync(logDir)
    ? readdirSync(logDir)
        .filter((f) => f.endsWith('.log.gz'))
        .flatMap((f) => parseWorkloadLog(gunzipSync(readFileSync(join(logDir, f))).toString('utf8')))
        .filter((r) => r.t >= from && r.t < to)
    : [];
  const ok = rows.filter((r) => r.status > 0 && r.status < 400);
  const perSecond = (pick: (r: WorkloadRow) => boolean) => {
    const counts = new Array<number>(seconds).fill(0);
    for (const r of rows) if (pick(r)) counts[r.t - from] = (counts[r.t - from] ?? 0) + 1;
    return counts;
  };
  const start = readSnapshot(join(dir, 'pod-metrics-start.json.gz'));
  const end = readSnapshot(join(dir, 'pod-metrics-end.json.gz'));
  for (const def of metrics) {
    const m = suite.metrics.find((x) => x.name === def.metric);
    if (!m) continue;
    if (m.source === 'workload') {
      if (rows.length === 0) {
        missing[def.id] =
          `no workload rows in the measured window of ${meta.arm} (size ${meta.size}, repetition ${meta.repetition})`;
        continue;
      }
      const field = m.field ?? '';
      if (field === 'throughput') units[def.id] = perSecond((r) => r.status > 0 && r.status < 400);
      else if (field === 'errors') units[def.id] = perSecond((r) => r.status >= 400);
      else if (field === 'hit_rate') units[def.id] = ok.map((r) => (r.cacheStatus.startsWith('HIT') ? 1 : 0));
      else if (field === 'latency_ms') units[def.id] = ok.map((r) => r.latencyMs);
      else missing[def.id] = `the workload's output has no field '${field}'`;
    } else if (m.source === 'pod-metrics') {
      const s = start?.endpoints[endpointKey(m)];
      const e = end?.endpoints[endpointKey(m)];
      if (!e || Object.keys(e).length === 0) {
        missing[def.id] = `no pod answered ${m.path ?? '/metrics'} at the end of the window`;
        continue;
      }
      let total = 0;
      let read = 0;
      for (const [pod, snap] of Object.entries(e)) {
        if (!('value' in snap)) continue;
        const after = fieldOf(snap.value, m.field ?? '');
        if (after === undefined) continue;
        const before = s?.[pod] && 'value' in s[pod] ? (fieldOf(s[pod].value, m.field ?? '') ?? 0) : 0;
        // A counter that went down was reset (the pod restarted): count from zero.
        total += after >= before ? after - before : after;
        read++;
      }
      if (read === 0) missing[def.id] = `no pod's ${m.path ?? '/metrics'} has the field ${m.field}`;
      else units[def.id] = [total];
    }
  }
  return {
    arm: meta.arm,
    size: meta.size,
    repetition: meta.repetition,
    order: meta.order,
    window: meta.window,
    units,
    ...(Object.keys(missing).length ? { missing } : {}),
  };
}

function readSnapshot(path: string): { endpoints: Record<string, PodSnapshot> } | undefined {
  if (!existsSync(path)) return undefined;
  return JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as { endpoints: Record<string, PodSnapshot> };
}
