import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { aliveResources, readJournal, type JournalRecord, type ResourceRef } from './journal.ts';

/** Where run directories live unless `--runs-dir` or BENCH_RUNS_DIR says otherwise. */
export const DEFAULT_RUNS_DIR = '.bench/runs';

/** The journal's file name inside a run directory. */
export const JOURNAL_FILE = 'journal';

const RUN_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Resolves the runs root from a flag, then the environment, then the default. */
export function resolveRunsRoot(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(flag || env.BENCH_RUNS_DIR || DEFAULT_RUNS_DIR);
}

/**
 * A new run id: suite, UTC time to the second, and 4 random hex digits. Lower-case letters,
 * digits and hyphens only, because it is used as a tag value and inside cluster names.
 */
export function newRunId(suite: string, now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const slug =
    suite
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 30) || 'run';
  return `${slug}-${stamp.toLowerCase()}-${randomBytes(2).toString('hex')}`;
}

/** True when the text could be a run id (used before it is joined into a path). */
export function isRunId(text: string): boolean {
  return RUN_ID.test(text);
}

/** Creates the directory of a new run and returns its path. */
export function createRunDir(runsRoot: string, runId: string): string {
  const dir = join(runsRoot, runId);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'interrupted' | 'crashed';

/** One run as `bench list` shows it. */
export interface RunSummary {
  runId: string;
  dir: string;
  suite: string;
  target: string;
  status: RunStatus;
  startedAt: string | undefined;
  /** Seconds from start to end (or to the last record of a run that did not end). */
  durationSeconds: number | undefined;
  /** Resources the journal shows as created and not deleted. */
  aliveResources: ResourceRef[];
  /** Journal lines that could not be read (a record cut by a crash). */
  skippedLines: number;
}

/** Summarises one run directory from its journal; undefined when it has no journal. */
export function summarizeRun(
  dir: string,
  runId: string,
  isAlive: (pid: number) => boolean = pidAlive,
): RunSummary | undefined {
  const path = join(dir, JOURNAL_FILE);
  if (!existsSync(path)) return undefined;
  const { records, skippedLines } = readJournal(path);
  const start = records.find((r): r is Extract<JournalRecord, { type: 'run-start' }> => r.type === 'run-start');
  const end = records.findLast((r): r is Extract<JournalRecord, { type: 'run-end' }> => r.type === 'run-end');
  let status: RunStatus;
  if (end) status = end.status;
  else if (start && start.host === hostname() && isAlive(start.pid)) status = 'running';
  else status = 'crashed';
  const last = records.at(-1);
  const durationSeconds =
    start && last ? Math.max(0, (Date.parse((end ?? last).t) - Date.parse(start.t)) / 1000) : undefined;
  return {
    runId,
    dir,
    suite: start?.suite ?? 'unknown',
    target: start?.target ?? 'unknown',
    status,
    startedAt: start?.t,
    durationSeconds,
    aliveResources: aliveResources(records),
    skippedLines,
  };
}

/** Every run under the root, newest first. A missing root is simply no runs. */
export function listRuns(runsRoot: string): RunSummary[] {
  if (!existsSync(runsRoot)) return [];
  const runs: RunSummary[] = [];
  for (const entry of readdirSync(runsRoot, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const summary = summarizeRun(join(runsRoot, entry.name), entry.name);
    if (summary) runs.push(summary);
  }
  return runs.sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? ''));
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
