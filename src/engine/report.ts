import { existsSync, mkdirSync } from 'node:fs';
import { checkPrometheusUrl } from './inputs.ts';
import { join, resolve } from 'node:path';
import type { ClusterConnection } from '../adapters/kube-cluster.ts';
import { createPrometheusClient, type PrometheusClient } from '../adapters/prometheus.ts';
import { createServices, type Services } from '../adapters/services.ts';
import { GateError, InfrastructureError, UsageError } from '../errors.ts';
import { collect } from '../phases/collect.ts';
import { recordedImages } from '../phases/record-images.ts';
import { compareRuns } from '../report/run-comparison/build.ts';
import type { RunComparisonReport as CompareReport } from '../report/run-comparison/model.ts';
import {
  writeRunComparisonReports as writeCompareReports,
  type WrittenRunComparison as WrittenCompare,
} from '../report/run-comparison/write.ts';
import { buildReport, gateFailure, recordedTofu, type RunReport } from '../report/model.ts';
import { phaseWindows, readRawMetrics } from '../report/raw.ts';
import { writeReports, type WrittenReports } from '../report/write.ts';
import { EventBus } from '../run/events.ts';
import { readComparePlan } from '../run/compare-plan.ts';
import { Journal, readJournal, type JournalRecord } from '../run/journal.ts';
import { isRunId, JOURNAL_FILE, resolveRunsRoot } from '../run/run-dir.ts';
import {
  readRunStart,
  requireRunOptions,
  type PrometheusRecord,
  type ResolvedQueries,
  type RunStartRecord,
} from '../run/run-record.ts';
import { loadSuite, type LoadedSuite } from '../suite/load.ts';
import { resolveParams, resolveQuery, type ParamValues } from '../suite/render.ts';
import type { Suite } from '../suite/schema.ts';
import { targetTraits } from '../targets/traits.ts';
import { reconnectRun } from './cleanup.ts';
import { writeComparisonReport } from './comparison-report.ts';
import type { VariantComparisonReport as ComparisonReport } from '../report/variant-comparison/model.ts';

/**
 * The Prometheus of a run: --prometheus-url, else the one its target reaches directly (the local
 * cloud's), else the suite's in the cluster.
 */
export function prometheusFor(
  suite: Suite,
  targetUrl: string | undefined,
  flagUrl: string | undefined,
): PrometheusRecord | undefined {
  if (flagUrl) return { kind: 'url', url: flagUrl };
  if (targetUrl) return { kind: 'url', url: targetUrl };
  if (suite.prometheus)
    return {
      kind: 'kube-proxy',
      namespace: suite.prometheus.namespace,
      service: suite.prometheus.service,
      port: suite.prometheus.port,
    };
  return undefined;
}

/** The query step: the target's own (the local cloud scrapes every second), else the suite's. */
export function prometheusStep(suite: Suite, target: string): number {
  return targetTraits(target)?.prometheusStepSeconds ?? suite.prometheus?.step ?? 15;
}

/** Builds a client for a recorded endpoint (a kube-proxy one needs the cluster connection). */
export function prometheusClient(
  record: PrometheusRecord | undefined,
  connection: ClusterConnection | undefined,
  create: Services['prometheus'] = createPrometheusClient,
): PrometheusClient | undefined {
  if (!record) return undefined;
  if (record.kind === 'url') return create({ kind: 'url', url: record.url });
  if (!connection) return undefined;
  return create({
    kind: 'kube-proxy',
    connection,
    namespace: record.namespace,
    service: record.service,
    port: record.port,
  });
}

/** The run window to collect: from the first phase's start to the last phase's end. */
export function runWindow(records: JournalRecord[]): { start: Date; end: Date } | undefined {
  const windows = phaseWindows(records);
  if (windows.length === 0) return undefined;
  return { start: new Date(windows[0]?.start as string), end: new Date(windows.at(-1)?.end as string) };
}

/** Every PromQL query of the suite with the run's parameters in it (`${rateWindow}` -> `5s`). */
export function resolveRunQueries(suite: Suite, params: ParamValues): ResolvedQueries {
  return Object.fromEntries(
    suite.metrics.flatMap((m) => (m.query === undefined ? [] : [[m.name, resolveQuery(m.query, params)]])),
  );
}

/**
 * The suite as the run saw it: each query resolved with the run's parameters (those the run
 * recorded, else resolved again from its recorded `--set` values), so a report never shows a
 * `${...}` reference, even for a metric that was never fetched.
 */
function withRunQueries(suite: Suite, start: RunStartRecord): Suite {
  let queries: ResolvedQueries = {};
  try {
    const params = resolveParams(suite, start.target, start.options?.params ?? {});
    queries = resolveRunQueries(suite, params);
  } catch {
    // The suite changed since the run so that its parameters no longer resolve: what the run recorded is used.
  }
  Object.assign(queries, start.options?.queries ?? {});
  return {
    ...suite,
    metrics: suite.metrics.map((m) => (queries[m.name] === undefined ? m : { ...m, query: queries[m.name] })),
  };
}

/** The report of a comparison run (`bench compare`), re-rendered by `bench report <run-id>`. */
export interface ComparisonReportResult {
  runId: string;
  kind: 'comparison';
  files: WrittenReports;
  report: ComparisonReport;
}

/**
 * `bench report <run-id>`: a comparison run's report is rebuilt from its raw trial data; any other
 * run's as {@link reportRun} does.
 */
export async function reportOneRun(
  options: Parameters<typeof reportRun>[0],
): Promise<RunReportResult | ComparisonReportResult> {
  const env = options.env ?? process.env;
  const runDir = join(resolveRunsRoot(options.runsDir, env), options.runId);
  if (isRunId(options.runId) && existsSync(join(runDir, JOURNAL_FILE))) {
    const { records } = readJournal(join(runDir, JOURNAL_FILE));
    if (readComparePlan(records, join(runDir, JOURNAL_FILE))) {
      const { report, files } = await writeComparisonReport({ runDir, runId: options.runId });
      return { runId: options.runId, kind: 'comparison', files, report };
    }
  }
  return reportRun(options);
}

export interface RunReportResult {
  runId: string;
  files: WrittenReports;
  report: RunReport;
  /** Metrics fetched again because the run could not fetch them. */
  recollected: string[];
}

/**
 * Builds and writes the report of one run from its stored raw data and journal. Metrics the run
 * could not fetch are fetched again first when its Prometheus answers now. A report with missing
 * data fails with exit 3, a failed gate with exit 4 — after the files are written.
 */
export async function reportRun(options: {
  runId: string;
  runsDir?: string;
  env?: NodeJS.ProcessEnv;
  prometheusUrl?: string;
  junit?: boolean;
  events?: EventBus;
  /** The run's status when it is reported before its end (by `bench run`). */
  status?: string;
  /** Fetch metrics the run could not fetch (default true; `bench run` has just tried). */
  recollect?: boolean;
  /** The outside world (default: the real one); tests hand in fakes. */
  services?: Services;
}): Promise<RunReportResult> {
  if (options.prometheusUrl !== undefined) checkPrometheusUrl(options.prometheusUrl);
  const env = options.env ?? process.env;
  const runDir = join(resolveRunsRoot(options.runsDir, env), options.runId);
  if (!isRunId(options.runId) || !existsSync(join(runDir, JOURNAL_FILE))) {
    throw new UsageError('E_RUN_UNKNOWN', `no run '${options.runId}' in ${resolveRunsRoot(options.runsDir, env)}`, {
      fix: '`bench list` shows the runs; --runs-dir names another runs directory',
    });
  }
  const events = options.events ?? new EventBus();
  const services = options.services ?? createServices();
  const journalPath = join(runDir, JOURNAL_FILE);
  const { records } = readJournal(journalPath);
  const found = readRunStart(records, journalPath);
  if (!found)
    throw new UsageError('E_RUN_NO_START', `the journal of ${options.runId} has no run-start record`, {
      fix: 'this run never started; there is nothing to report',
    });
  const start = requireRunOptions(found, journalPath);
  const record = start.options;
  const loaded: LoadedSuite = loadSuite(record.suiteDir);
  const suite = withRunQueries(loaded.suite, start);
  let raw = readRawMetrics(runDir);
  const recollected: string[] = [];
  // Missing: fetching failed, or never happened (a run interrupted or failed before collect).
  const failed = suite.metrics
    .filter(
      (m) => m.source === 'prometheus' && (raw.get(m.name) === undefined || raw.get(m.name)?.missing !== undefined),
    )
    .map((m) => m.name);
  const window = runWindow(records);
  const endpoint: PrometheusRecord | undefined = options.prometheusUrl
    ? { kind: 'url', url: options.prometheusUrl }
    : record.prometheus;
  if (options.recollect !== false && failed.length > 0 && window && endpoint) {
    // A Prometheus in the cluster is reached through the run's own connection, as cleanup reconnects.
    const connection =
      endpoint.kind === 'kube-proxy'
        ? await reconnectRun(start, env, events, undefined, services).catch(() => undefined)
        : undefined;
    const prometheus = prometheusClient(endpoint, connection, services.prometheus);
    if (prometheus && (await prometheus.ready().catch(() => false))) {
      const journal = Journal.open(join(runDir, JOURNAL_FILE));
      try {
        const again = await collect({
          suite,
          runDir,
          prometheus,
          start: window.start,
          end: window.end,
          stepSeconds: prometheusStep(loaded.suite, start.target),
          params: resolveParams(loaded.suite, start.target, record.params ?? {}),
          journal,
          events,
          only: failed,
        });
        recollected.push(...again.collected);
      } finally {
        journal.close();
      }
      raw = readRawMetrics(runDir);
    }
  }
  const end = records.findLast((r) => r.type === 'run-end');
  const report = buildReport({
    runId: options.runId,
    suite,
    run: {
      target: start.target,
      status: options.status ?? (end?.type === 'run-end' ? end.status : 'running'),
      startedAt: start.t,
      endedAt: end?.t ?? null,
      tofu: recordedTofu(start.options),
    },
    windows: phaseWindows(records),
    raw,
    images: recordedImages(records),
  });
  const stillMissing = [...raw.values()].filter((r) => r.source === 'prometheus' && r.missing !== undefined);
  const gate = gateFailure(report);
  // The words match the exit code: a run that is about to exit 3 or 4 did not succeed.
  if (report.run.status === 'succeeded' && (stillMissing.length > 0 || gate)) report.run.status = 'failed';
  const files = await writeReports(runDir, report, raw, { junit: options.junit });
  if (stillMissing.length > 0) {
    throw new InfrastructureError(
      'E_METRICS_MISSING',
      `the report of ${options.runId} lacks ${stillMissing.length} metric(s): ${stillMissing.map((r) => `${r.metric} (${r.missing})`).join('; ')}`,
      {
        fix: `the raw data that was fetched and the journal are kept; once Prometheus answers, run \`bench report ${options.runId}\` (or give --prometheus-url)`,
        data: { files, status: report.run.status, missing: stillMissing.map((r) => r.metric) },
      },
    );
  }
  if (gate)
    throw new GateError(gate.code, gate.message, {
      fix: gate.fix,
      data: { ...gate.data, files, status: report.run.status },
    });
  return { runId: options.runId, files, report, recollected };
}

export interface CompareResult {
  runIds: string[];
  dir: string;
  files: WrittenCompare;
  report: CompareReport;
}

/** Compares runs metric by metric (run a against the others), from their stored raw data. */
export async function reportComparison(options: {
  runIds: string[];
  runsDir?: string;
  env?: NodeJS.ProcessEnv;
  outDir?: string;
}): Promise<CompareResult> {
  const env = options.env ?? process.env;
  const root = resolveRunsRoot(options.runsDir, env);
  const inputs = options.runIds.map((runId) => {
    const runDir = join(root, runId);
    if (!isRunId(runId) || !existsSync(join(runDir, JOURNAL_FILE))) {
      throw new UsageError('E_RUN_UNKNOWN', `no run '${runId}' in ${root}`, { fix: '`bench list` shows the runs' });
    }
    const journalPath = join(runDir, JOURNAL_FILE);
    const { records } = readJournal(journalPath);
    const found = readRunStart(records, journalPath);
    if (!found)
      throw new UsageError('E_RUN_NO_START', `the journal of ${runId} has no run-start record`, {
        fix: 'this run never started; there is nothing to compare',
      });
    const start = requireRunOptions(found, journalPath);
    const loaded = loadSuite(start.options.suiteDir);
    const end = records.findLast((r) => r.type === 'run-end');
    const raw = readRawMetrics(runDir);
    const report = buildReport({
      runId,
      suite: withRunQueries(loaded.suite, start),
      run: {
        target: start.target,
        status: end?.type === 'run-end' ? end.status : 'running',
        startedAt: start.t,
        endedAt: end?.t ?? null,
        tofu: recordedTofu(start.options),
      },
      windows: phaseWindows(records),
      raw,
      images: recordedImages(records),
    });
    return { report, raw, suite: loaded.suite };
  });
  const suites = new Set(inputs.map((i) => i.suite.name));
  if (suites.size > 1) {
    throw new UsageError(
      'E_COMPARE_SUITES',
      `runs of different suites cannot be compared metric by metric (${[...suites].join(', ')})`,
      { fix: 'compare runs of one suite' },
    );
  }
  const dir = resolve(options.outDir ?? join(root, '..', 'compare', options.runIds.join('--').slice(0, 200)));
  mkdirSync(dir, { recursive: true });
  const report = compareRuns(inputs.map((i) => ({ report: i.report, raw: i.raw })));
  const files = await writeCompareReports(dir, report);
  return { runIds: options.runIds, dir, files, report };
}
