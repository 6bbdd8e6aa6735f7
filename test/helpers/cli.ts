import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs one of the bins (built into dist/ by `npm test`) as a user would, in a child process.
 * @param nodeArgs extra node options, e.g. `--import` hooks.
 */
export function runCli(
  bin: 'bench' | 'thyme-bench' | 'koorde-bench',
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; nodeArgs?: string[]; timeoutMs?: number } = {},
): CliResult {
  const result = spawnSync(process.execPath, [...(options.nodeArgs ?? []), `${ROOT}/bin/${bin}`, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
    killSignal: 'SIGKILL',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
