import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sandboxBin } from '../harness/paths.ts';

export interface TofuResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The tofu CLI bound to one root module, keeping everything it writes in a directory of the test's. */
export interface Tofu {
  /** Runs `tofu -chdir=<module> <args>`; `-state` is added to the commands that take it. */
  run(args: string[]): TofuResult;
  /** Writes the variables to a .tfvars.json file and returns the `-var-file` argument for it. */
  varFile(vars: Record<string, unknown>): string;
  /** The lines of a `-json` run, parsed. */
  messages(result: TofuResult): TofuMessage[];
}

export interface TofuMessage {
  type: string;
  '@level': string;
  '@message': string;
  [key: string]: unknown;
}

const STATEFUL = new Set(['apply', 'destroy', 'plan', 'output', 'refresh', 'import']);

/**
 * A tofu for `moduleDir` whose data dir, state and CLI configuration all live in `workDir`:
 * `tofu -chdir` alone would put `.terraform` and `terraform.tfstate` into the repository.
 * The CLI configuration is an empty file of ours because the machine's TF_CLI_CONFIG_FILE may
 * name a missing file, and tofu then prints a warning into the output the tests read.
 */
export function tofuFor(moduleDir: string, workDir: string, env: Record<string, string>): Tofu {
  const cliConfig = join(workDir, 'cli.tfrc');
  writeFileSync(cliConfig, '');
  const state = join(workDir, 'terraform.tfstate');
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    ...env,
    TF_CLI_CONFIG_FILE: cliConfig,
    TF_DATA_DIR: join(workDir, 'tofu-data'),
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    CHECKPOINT_DISABLE: '1',
  };
  // Ambient settings of the developer's shell must not leak into the run.
  for (const name of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'TF_LOG', 'TF_WORKSPACE', 'TF_CLI_ARGS']) {
    if (!(name in env)) delete childEnv[name];
  }
  let files = 0;
  return {
    run(args) {
      const command = args[0] ?? '';
      const full = [`-chdir=${moduleDir}`, ...args];
      // Flags go right after the (sub)command: tofu stops reading flags at the first argument.
      if (command === 'state') full.splice(3, 0, `-state=${state}`);
      else if (STATEFUL.has(command)) full.splice(2, 0, `-state=${state}`, '-no-color');
      else if (command === 'init') full.splice(2, 0, '-no-color');
      const result = spawnSync(sandboxBin('tofu'), full, {
        env: childEnv,
        encoding: 'utf8',
        timeout: 180_000,
        maxBuffer: 64 * 1024 * 1024,
      });
      if (result.error) throw result.error;
      return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    },
    varFile(vars) {
      const file = join(workDir, `vars-${++files}.tfvars.json`);
      writeFileSync(file, JSON.stringify(vars, null, 2));
      return `-var-file=${file}`;
    },
    messages(result) {
      return result.stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as TofuMessage);
    },
  };
}

/** stdout and stderr of a run, for assertion messages. */
export function transcript(result: TofuResult): string {
  return `exit ${result.status}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}
