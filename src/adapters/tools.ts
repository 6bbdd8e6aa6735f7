import { execa } from 'execa';

/** The OpenTofu (or Terraform) binary found on this machine. */
export interface TofuBinary {
  name: 'tofu' | 'terraform';
  path: string;
  version: string;
}

/** Finds the infrastructure tools the tool drives as subprocesses. */
export interface ToolProbe {
  /** `tofu`, else `terraform`, on PATH (or BENCH_TOFU_BIN); undefined when neither runs. */
  findTofu(signal?: AbortSignal): Promise<TofuBinary | undefined>;
}

/** The real probe: runs `<binary> version -json` with a deadline. */
export function createToolProbe(env: NodeJS.ProcessEnv = process.env): ToolProbe {
  return {
    async findTofu(signal) {
      const candidates = env.BENCH_TOFU_BIN ? [env.BENCH_TOFU_BIN] : ['tofu', 'terraform'];
      for (const candidate of candidates) {
        try {
          const { stdout } = await execa(candidate, ['version', '-json'], {
            env: { ...env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' },
            timeout: 15_000,
            cancelSignal: signal,
            stdin: 'ignore',
          });
          // tofu prints CLI-configuration warnings (e.g. a TF_CLI_CONFIG_FILE that does not exist)
          // on stdout before the JSON, so read from the first brace.
          const parsed = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { terraform_version?: string };
          const name = /terraform$/.test(candidate) ? 'terraform' : 'tofu';
          return { name, path: candidate, version: parsed.terraform_version ?? 'unknown' };
        } catch {
          // not installed, or not runnable: try the next candidate
        }
      }
      return undefined;
    },
  };
}
