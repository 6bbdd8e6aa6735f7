import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { UsageError } from '../errors.ts';
import { aliveResources, readJournal, type JournalRecord, type ResourceRef } from './journal.ts';

/** Where run directories live unless `--runs-dir` or BENCH_RUNS_DIR says otherwise. */
export const DEFAULT_RUNS_DIR = '.bench/runs';

/** The journal's file name inside a run directory. */
export const JOURNAL_FILE = 'journal';

const RUN_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Kernel file systems: not storage. mkdir -p under /proc spins forever in Node; /sys refuses. */
const KERNEL_FILE_SYSTEMS = ['/proc', '/sys'];

/**
 * Resolves the runs root from a flag, then the environment, then the default, and refuses a
 * root that cannot hold runs (exit 2, with the fix) before anything reads or creates one: a path
 * under /proc or /sys, or a file. With `write`, the root (or, when it does not exist yet, its
 * nearest existing ancestor) must also be a directory this process can create entries in.
 */
export function resolveRunsRoot(
  flag?: string,
  env: NodeJS.ProcessEnv = process.env,
  options: { write?: boolean } = {},
): string {
  const given = flag || env.BENCH_RUNS_DIR || DEFAULT_RUNS_DIR;
  const root = resolve(given);
  const source = flag ? '--runs-dir' : env.BENCH_RUNS_DIR ? 'BENCH_RUNS_DIR' : 'the runs directory';
  const fix = `give --runs-dir (or BENCH_RUNS_DIR) a directory of your own, e.g. ${DEFAULT_RUNS_DIR}`;
  const kernel = KERNEL_FILE_SYSTEMS.find((fs) => root === fs || root.startsWith(fs + sep));
  if (kernel) {
    throw new UsageError('E_RUNS_DIR', `${source} ${given}: ${kernel} is a kernel file system, not storage`, { fix });
  }
  // The nearest part of the path that exists decides: a file there (the root itself or a parent)
  // can never hold runs; a directory must be writable when runs are to be written.
  let existing = root;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  let isDirectory: boolean;
  try {
    isDirectory = statSync(existing).isDirectory();
  } catch {
    isDirectory = false;
  }
  if (!isDirectory) {
    const what = existing === root ? 'is a file, not a directory' : `is inside ${existing}, which is a file`;
    throw new UsageError('E_RUNS_DIR', `${source} ${given}: ${what}`, { fix });
  }
  if (options.write) {
    try {
      accessSync(existing, constants.W_OK | constants.X_OK);
    } catch {
      const what = existing === root ? 'is not writable' : `cannot be created: ${existing} is not writable`;
      throw new UsageError('E_RUNS_DIR', `${source} ${given}: ${what}`, {
        fix: `${fix}, or make it writable (chmod u+w ${existing})`,
      });
    }
  }
  return root;
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

/** Creates the directory of a new run and returns its path (a bad root is exit 2, not a crash). */
export function createRunDir(runsRoot: string, runId: string): string {
  const root = resolveRunsRoot(runsRoot, {}, { write: true });
  const dir = join(root, runId);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    // E.g. a read-only file system, which access(2) does not see for every caller.
    throw new UsageError('E_RUNS_DIR', `cannot create ${dir}: ${(err as NodeJS.ErrnoException).code ?? err}`, {
      fix: `give --runs-dir (or BENCH_RUNS_DIR) a writable directory of your own, e.g. ${DEFAULT_RUNS_DIR}`,
    });
  }
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
  /**
   * The run's last recorded tofu subprocess, when it is still running: tofu runs detached and
   * finishes (or stops cleanly) after a killed bench, so a crashed run may still be creating.
   */
  tofu?: { pid: number; command: string; alive: true };
  /** A word for people on what the status does not say, e.g. "tofu apply still running (pid 123)". */
  note?: string;
}

/** A tofu subprocess the journal recorded as it started (see runTofu in src/phases/provision.ts). */
export interface RecordedTofu {
  pid: number;
  command: string;
  binary: string;
  workDir: string | undefined;
  host: string | undefined;
  stdout: string | undefined;
  /** When it started (the record's time). */
  t: string;
}

/** Every tofu subprocess the journal recorded, oldest first (unreadable records are skipped). */
export function recordedTofus(records: readonly JournalRecord[]): RecordedTofu[] {
  const found: RecordedTofu[] = [];
  for (const r of records) {
    if (r.type !== 'note' || !r.data) continue;
    const { tofuPid, command, binary, workDir, host, stdout } = r.data;
    if (typeof tofuPid !== 'number' || typeof binary !== 'string') continue;
    found.push({
      pid: tofuPid,
      command: typeof command === 'string' ? command : 'unknown',
      binary,
      workDir: typeof workDir === 'string' ? workDir : undefined,
      host: typeof host === 'string' ? host : undefined,
      stdout: typeof stdout === 'string' ? stdout : undefined,
      t: r.t,
    });
  }
  return found;
}

/**
 * The recorded tofu subprocesses of a run that are still running on this host (pid alive and
 * still that tofu: pids get reused). Normally at most one; the last one is the one that matters.
 * Whether a pid is still that tofu is asked of the process table, so the caller brings the check
 * (the adapters' `isRecordedTofuAlive`): the run directory sits below the adapters.
 */
export function liveTofus(records: readonly JournalRecord[], isLive: (t: RecordedTofu) => boolean): RecordedTofu[] {
  return recordedTofus(records).filter((t) => (t.host === undefined || t.host === hostname()) && isLive(t));
}

/**
 * Summarises one run directory from its journal; undefined when it has no journal. `isTofuLive`
 * tells whether a recorded tofu still runs (see {@link liveTofus}).
 */
export function summarizeRun(
  dir: string,
  runId: string,
  isTofuLive: (t: RecordedTofu) => boolean,
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
  // A tofu of the run still at work: after a crash of bench, it goes on creating (or destroying).
  const tofu = liveTofus(records, isTofuLive).at(-1);
  let note: string | undefined;
  if (tofu && status !== 'running') {
    note = `tofu ${tofu.command} still running (pid ${tofu.pid}); \`bench cleanup ${runId}\` waits for it`;
  }
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
    ...(tofu ? { tofu: { pid: tofu.pid, command: tofu.command, alive: true as const } } : {}),
    ...(note ? { note } : {}),
  };
}

/** Every run under the root, newest first. A missing root is simply no runs. */
export function listRuns(runsRoot: string, isTofuLive: (t: RecordedTofu) => boolean): RunSummary[] {
  if (!existsSync(runsRoot)) return [];
  const runs: RunSummary[] = [];
  for (const entry of readdirSync(runsRoot, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const summary = summarizeRun(join(runsRoot, entry.name), entry.name, isTofuLive);
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

/** The command that removes what a kept (or interrupted) run left. */
export function cleanupCommand(runId: string, runsDir?: string): string {
  return `bench cleanup ${runId}${runsDir ? ` --runs-dir ${runsDir}` : ''}`;
}
