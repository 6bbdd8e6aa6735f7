import { z } from 'zod';
import { TARGETS } from './target-names.ts';
import type { JournalRecord } from './journal.ts';
import { checkRecord } from './record-check.ts';

/**
 * The run-start record: what `bench cleanup` reads to finish a run alone after a crash, and what
 * `bench report` and `bench list --verify` read back. Declared once as a schema so a record that
 * another version wrote (or a person edited) is refused by field instead of misread. Fields that
 * older journals lack, or that the run leaves out when it has none, are optional.
 */

/** How a run reaches its Prometheus, as recorded in its journal. */
export const prometheusRecordSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('url'), url: z.string() }),
  z.object({
    kind: z.literal('kube-proxy'),
    namespace: z.string(),
    service: z.string(),
    port: z.union([z.number(), z.string()]),
  }),
]);

/** How a run reaches its Prometheus, as recorded in its journal. */
export type PrometheusRecord = z.infer<typeof prometheusRecordSchema>;

/** The run's tofu: its module, working directory and binary, with what the binary is and its version. */
export const tofuRecordSchema = z.object({
  moduleDir: z.string(),
  workDir: z.string(),
  binary: z.string(),
  kind: z.enum(['tofu', 'terraform']),
  version: z.string(),
});

/** A metric's query as the run resolved it, by metric name. */
export const resolvedQueriesSchema = z.record(z.string(), z.string());

/** A metric's query as the run resolved it, by metric name (kept in the run-start record). */
export type ResolvedQueries = z.infer<typeof resolvedQueriesSchema>;

/** What the journal's run-start record keeps so `bench cleanup` can finish a run alone. */
export const runRecordOptionsSchema = z.object({
  suiteRef: z.string().optional(),
  /** The suite's directory: reports load the suite from it. */
  suiteDir: z.string(),
  region: z.string().optional(),
  /** The cluster's name, as teardown's load-balancer filters name it. */
  clusterName: z.string(),
  context: z.string().optional(),
  tofu: tofuRecordSchema.optional(),
  ecrRepositories: z.array(z.string()).optional(),
  lbPollMs: z.number().optional(),
  teardownDeadlineMs: z.number().optional(),
  keep: z.boolean().optional(),
  /** Where the run reads its metrics; absent when it has no Prometheus. */
  prometheus: prometheusRecordSchema.optional(),
  /** Each PromQL metric's query with the run's parameters in it, as reports show it. */
  queries: resolvedQueriesSchema.optional(),
});

/** What the journal's run-start record keeps so `bench cleanup` can finish a run alone. */
export type RunRecordOptions = z.infer<typeof runRecordOptionsSchema>;

/**
 * The record as this version writes it: the fields older journals lack are always there (the
 * schema still reads those journals, and the readers have their defaults for them).
 */
export type WrittenRunRecordOptions = RunRecordOptions &
  Required<
    Pick<RunRecordOptions, 'suiteRef' | 'ecrRepositories' | 'lbPollMs' | 'teardownDeadlineMs' | 'keep' | 'queries'>
  >;

/** The run-start record's options as written: the record above and the run's own inputs. */
export const runStartOptionsSchema = runRecordOptionsSchema.extend({
  /** Each phase's duration in seconds. */
  durations: z.record(z.string(), z.number()).optional(),
  /** The `--set` values as given. */
  params: z.record(z.string(), z.string()).optional(),
  /** The `--image` overrides as given. */
  images: z.record(z.string(), z.string()).optional(),
});

/** The run-start record's options as written (see {@link runStartOptionsSchema}). */
export type RunStartOptions = z.infer<typeof runStartOptionsSchema>;

/** The run-start record, validated. */
export const runStartRecordSchema = z.object({
  t: z.string(),
  type: z.literal('run-start'),
  runId: z.string(),
  suite: z.string(),
  target: z.enum(TARGETS),
  pid: z.number().int(),
  host: z.string(),
  /** Absent only in journals that tests or tools wrote by hand: readers that need it say so. */
  options: runStartOptionsSchema.optional(),
});

/** The run-start record, validated (see {@link readRunStart}). */
export type RunStartRecord = z.infer<typeof runStartRecordSchema>;

/** A run-start record whose options are there: what cleanup and reports read. */
export type RunStartWithOptions = RunStartRecord & { options: RunStartOptions };

/**
 * The journal's run-start record, validated; undefined when the journal has none. A record that
 * does not match the schema is refused (E_JOURNAL_RECORD, exit 2) naming the field and what was
 * expected: a run misread from it could tear down the wrong things, or not all of them.
 */
export function readRunStart(records: readonly JournalRecord[], journalPath: string): RunStartRecord | undefined {
  const record = records.find((r) => r.type === 'run-start');
  if (record === undefined) return undefined;
  return checkRecord(runStartRecordSchema, record, { what: 'run-start record', journalPath });
}

/** The run-start record with its options, refused (E_JOURNAL_RECORD) when they are missing. */
export function requireRunOptions(start: RunStartRecord, journalPath: string): RunStartWithOptions {
  const options = checkRecord(runStartOptionsSchema, start.options, {
    what: 'run-start record',
    journalPath,
    path: ['options'],
  });
  return { ...start, options };
}
