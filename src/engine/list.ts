import { listRuns, resolveRunsRoot, type RunSummary } from '../run/run-dir.ts';

export interface ListOptions {
  /** `--runs-dir`; otherwise BENCH_RUNS_DIR, otherwise .bench/runs. */
  runsDir?: string;
  env?: NodeJS.ProcessEnv;
}

export interface ListResult {
  runsDir: string;
  runs: RunSummary[];
}

/** Every run in the runs directory, newest first, read from their journals. */
export function listAllRuns(options: ListOptions = {}): ListResult {
  const runsDir = resolveRunsRoot(options.runsDir, options.env);
  return { runsDir, runs: listRuns(runsDir) };
}
