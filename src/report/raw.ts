import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { JournalRecord } from '../run/journal.ts';
import { PHASES, type PhaseName } from '../suite/schema.ts';

/**
 * Raw metric series as collected, one gzip JSON file per metric under `<runDir>/raw/`, and the
 * phase windows the journal recorded. Everything the report shows is computed from these two, so
 * `bench report` can re-render a run long after its cluster is gone.
 */

/** The directory, inside a run directory, that holds the raw series. */
export const RAW_DIR = 'raw';

/** The file suffix of one metric's raw data. */
export const RAW_SUFFIX = '.json.gz';

/** One series of a metric: its labels and its samples. */
export interface RawSeries {
  labels: Record<string, string>;
  /**
   * `[unix seconds, value]`, in time order as collected. A value that JSON cannot hold (NaN,
   * ±Infinity) arrives as `null` or as Prometheus' string form (`"NaN"`, `"+Inf"`); the statistics
   * drop such samples (see stats.ts).
   */
  samples: [number, number][];
}

/** The raw data of one metric of one run, stored before anything is processed. */
export interface RawMetric {
  metric: string;
  unit: string;
  query: string | undefined;
  source: 'prometheus' | 'workload' | 'pod-metrics';
  stepSeconds: number;
  /** ISO time: the start of the whole run window collected. */
  start: string;
  /** ISO time: the end of the whole run window collected. */
  end: string;
  series: RawSeries[];
  /** Present when this metric could not be fetched (e.g. Prometheus stopped): why. */
  missing?: string;
}

/** Where a phase window's end came from. */
export type PhaseEndSource = 'recorded' | 'planned' | 'inferred';

/** When one timed phase ran. */
export interface PhaseWindow {
  phase: PhaseName;
  /** ISO time the phase started (its phase-start record). */
  start: string;
  /** ISO time the phase ended. */
  end: string;
  /**
   * How the end is known: `recorded` (a phase-end record), `planned` (no end was recorded, e.g. the
   * run crashed, so start + the planned seconds), `inferred` (neither: the next thing the journal
   * shows happening). Absent means recorded.
   */
  endSource?: PhaseEndSource;
}

const METRIC_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** The path of one metric's raw file. */
export function rawMetricPath(runDir: string, metric: string): string {
  // Metric names are validated by the suite schema; this guards the file system against a name
  // that came from somewhere else (a hand-edited raw file, a future source).
  if (!METRIC_FILE_NAME.test(metric) || metric.includes('..')) {
    throw new Error(`metric name '${metric}' cannot be used as a file name`);
  }
  return join(runDir, RAW_DIR, `${metric}${RAW_SUFFIX}`);
}

/**
 * Writes one metric's raw data as gzip JSON, atomically: a reader (or a crash) sees either the
 * previous file or the whole new one, never half a file. Returns the path written.
 */
export function writeRawMetric(runDir: string, raw: RawMetric): string {
  const path = rawMetricPath(runDir, raw.metric);
  mkdirSync(join(runDir, RAW_DIR), { recursive: true });
  writeFileAtomic(path, gzipSync(JSON.stringify(raw)));
  return path;
}

/**
 * Writes a file through a temporary sibling and a rename (atomic on one file system), fsynced
 * first so the rename never exposes a file whose bytes are not on disk yet.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * Reads every metric's raw data of a run, keyed by metric name. A run without a raw directory
 * gives an empty map (every metric then shows as missing in the report). A file that cannot be
 * read (cut by a crash, not gzip, not the expected shape) does not stop the report: it becomes a
 * metric with no series and `missing` saying what is wrong with the file.
 */
export function readRawMetrics(runDir: string): Map<string, RawMetric> {
  const dir = join(runDir, RAW_DIR);
  const out = new Map<string, RawMetric>();
  if (!existsSync(dir)) return out;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(RAW_SUFFIX))
    .sort();
  for (const file of files) {
    const name = file.slice(0, -RAW_SUFFIX.length);
    const path = join(dir, file);
    try {
      const parsed: unknown = JSON.parse(gunzipSync(readFileSync(path)).toString('utf8'));
      const raw = asRawMetric(parsed);
      out.set(raw.metric, raw);
    } catch (err) {
      if (out.has(name)) continue;
      out.set(name, {
        metric: name,
        unit: '',
        query: undefined,
        source: 'prometheus',
        stepSeconds: 0,
        start: '',
        end: '',
        series: [],
        missing: `raw file ${join(RAW_DIR, file)} is unreadable: ${(err as Error).message}`,
      });
    }
  }
  return out;
}

/** Checks the shape of a parsed raw file enough that the statistics cannot trip over it. */
function asRawMetric(value: unknown): RawMetric {
  if (!value || typeof value !== 'object') throw new Error('not a JSON object');
  const raw = value as Partial<RawMetric>;
  if (typeof raw.metric !== 'string' || raw.metric === '') throw new Error("no 'metric' name");
  if (!Array.isArray(raw.series)) throw new Error("no 'series' array");
  for (const s of raw.series) {
    if (!s || typeof s !== 'object' || !Array.isArray(s.samples)) throw new Error("a series without 'samples'");
    if (s.labels !== undefined && (typeof s.labels !== 'object' || s.labels === null)) {
      throw new Error("a series whose 'labels' is not an object");
    }
  }
  return {
    ...(raw as RawMetric),
    // JSON has no undefined: an absent query reads back as the declared `undefined`.
    query: typeof raw.query === 'string' ? raw.query : undefined,
    series: raw.series.map((s) => ({ labels: s.labels ?? {}, samples: s.samples })),
  };
}

/**
 * The ramp / active / cool-down windows a run's journal shows, in phase order; a phase the run
 * never started is absent.
 *
 * - A phase started more than once (a resumed run) counts from its last phase-start.
 * - Its end is the first phase-end of the same phase after that start (`recorded`, whether the
 *   phase succeeded or failed).
 * - Without one (the run crashed or was killed mid-phase), the end is the start plus the planned
 *   seconds of the phase (the 'planned' note written just after the phase-start, or a `planned`
 *   object on the phase-start record), but never later than the next phase's start (`planned`).
 * - Without a plan, the end is the time of the next record that is not about this phase (another
 *   phase's record, or run-end); failing that, the journal's last record (`inferred`): the last
 *   moment the run is known to have been alive.
 */
export function phaseWindows(records: readonly JournalRecord[]): PhaseWindow[] {
  const windows: PhaseWindow[] = [];
  for (const phase of PHASES) {
    const startIndex = findLastIndex(records, (r) => r.type === 'phase-start' && r.phase === phase);
    if (startIndex < 0) continue;
    const startRecord = records[startIndex] as JournalRecord & { type: 'phase-start' };
    const startMs = Date.parse(startRecord.t);
    const later = records.slice(startIndex + 1);
    const ended = later.find((r) => r.type === 'phase-end' && r.phase === phase);
    if (ended) {
      windows.push({ phase, start: startRecord.t, end: ended.t, endSource: 'recorded' });
      continue;
    }
    const nextPhaseStart = later.find((r) => r.type === 'phase-start' && r.phase !== phase);
    const planned = plannedSeconds(startRecord, later, phase);
    if (planned !== undefined) {
      let endMs = startMs + planned * 1000;
      if (nextPhaseStart) endMs = Math.min(endMs, Date.parse(nextPhaseStart.t));
      windows.push({ phase, start: startRecord.t, end: new Date(endMs).toISOString(), endSource: 'planned' });
      continue;
    }
    const next = later.find((r) => !isAboutPhase(r, phase)) ?? later.at(-1);
    windows.push({ phase, start: startRecord.t, end: next ? next.t : startRecord.t, endSource: 'inferred' });
  }
  return windows;
}

/** The phase's planned length in seconds, from its 'planned' note or its phase-start record. */
function plannedSeconds(
  start: JournalRecord & { type: 'phase-start' },
  later: readonly JournalRecord[],
  phase: string,
): number | undefined {
  const note = later.find((r) => r.type === 'note' && r.phase === phase && r.message === 'planned');
  const fromNote = note?.type === 'note' ? note.data?.plannedSeconds : undefined;
  if (typeof fromNote === 'number' && Number.isFinite(fromNote) && fromNote >= 0) return fromNote;
  const fromStart = start.planned?.plannedSeconds ?? start.planned?.seconds;
  if (typeof fromStart === 'number' && Number.isFinite(fromStart) && fromStart >= 0) return fromStart;
  return undefined;
}

/**
 * Records written while a phase runs: its own notes, actions and errors, and the resources its
 * load changes create or delete (those carry no phase name).
 */
function isAboutPhase(record: JournalRecord, phase: string): boolean {
  if (record.type === 'resource-created' || record.type === 'resource-deleted') return true;
  return 'phase' in record && record.phase === phase;
}

function findLastIndex<T>(items: readonly T[], predicate: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (predicate(items[i] as T)) return i;
  return -1;
}
