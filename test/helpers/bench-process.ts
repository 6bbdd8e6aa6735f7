import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { readJournal, type JournalRecord } from '../../src/run/journal.ts';
import { JOURNAL_FILE } from '../../src/run/run-dir.ts';
import { sandboxBin } from '../harness/paths.ts';
import type { TestSandbox } from '../harness/sandbox.ts';
import { ROOT } from './cli.ts';

/**
 * The environment of a bench command run against a test's local cloud: its directory, its
 * pinned tofu, the runs directory (when given) and no seed-script phase variables, so that the
 * durations are the flags'.
 */
export function sandboxRunEnv(sb: TestSandbox, runsDir?: string): NodeJS.ProcessEnv {
  return {
    BENCH_SANDBOX_DIR: sb.dir,
    BENCH_TOFU_BIN: sandboxBin('tofu'),
    ...(runsDir === undefined ? {} : { BENCH_RUNS_DIR: runsDir }),
    RAMPUP_MINUTES: '',
    ACTIVE_MINUTES: '',
    COOLDOWN_MINUTES: '',
  };
}

/** A bench command running in the background: its process, its end, and everything it printed. */
export interface BenchProcess {
  child: ChildProcessByStdio<null, Readable, Readable>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** stdout and stderr so far, interleaved as they came. */
  output(): string;
}

/**
 * Starts `bin/<bin> args...` without blocking this process (a test may serve it meanwhile, or
 * signal it), with NO_COLOR and `env` over this process's environment.
 */
export function spawnBench(
  bin: 'bench' | 'thyme-bench' | 'koorde-bench',
  args: string[],
  env: NodeJS.ProcessEnv,
): BenchProcess {
  const child = spawn(process.execPath, [join(ROOT, 'bin', bin), ...args], {
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, output: () => output };
}

/** The journal records of a run in a runs directory. */
export function runJournal(runsDir: string, runId: string): JournalRecord[] {
  return readJournal(join(runsDir, runId, JOURNAL_FILE)).records;
}

/** The run whose run-start record names this pid, if its directory exists yet. */
export function runStartedBy(runsDir: string, pid: number | undefined): string | undefined {
  if (!existsSync(runsDir)) return undefined;
  return readdirSync(runsDir).find(
    (d) =>
      existsSync(join(runsDir, d, JOURNAL_FILE)) &&
      runJournal(runsDir, d).some((r) => r.type === 'run-start' && r.pid === pid),
  );
}
