import { execa } from 'execa';

/** The OpenTofu (or Terraform) binary found on this machine. */
export interface TofuBinary {
  /** What the binary is, from its own `version` banner ("OpenTofu v1.12.6" / "Terraform v1.11.4"). */
  name: 'tofu' | 'terraform';
  path: string;
  version: string;
}

/** Finds the infrastructure tools the tool drives as subprocesses. */
export interface ToolProbe {
  /**
   * The binary to run: BENCH_TOFU_BIN when set, else `tofu` on PATH, else `terraform` on PATH
   * (OpenTofu first: a terraform that happens to be installed is only the last resort); undefined
   * when none runs.
   */
  findTofu(signal?: AbortSignal): Promise<TofuBinary | undefined>;
  /** What one given binary is (path or name); undefined when it does not run or is neither. */
  probeTofu(binary: string, signal?: AbortSignal): Promise<TofuBinary | undefined>;
}

/** The banner's first line: `OpenTofu v1.12.6` or `Terraform v1.11.4`. */
const BANNER = /^(OpenTofu|Terraform) v(\S+)/m;

/** The real probe: runs `<binary> version` with a deadline and reads its banner. */
export function createToolProbe(env: NodeJS.ProcessEnv = process.env): ToolProbe {
  const probeTofu = async (candidate: string, signal?: AbortSignal): Promise<TofuBinary | undefined> => {
    try {
      // Not `version -json`: its JSON says `terraform_version` for both tools, so only the human
      // banner tells OpenTofu from Terraform (a terraform can be named anything, BENCH_TOFU_BIN too).
      const { stdout } = await execa(candidate, ['version'], {
        env: { ...env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' },
        timeout: 15_000,
        cancelSignal: signal,
        stdin: 'ignore',
        reject: true,
      });
      const banner = BANNER.exec(stdout);
      if (!banner) return undefined;
      return { name: banner[1] === 'OpenTofu' ? 'tofu' : 'terraform', path: candidate, version: banner[2] as string };
    } catch {
      // not installed, or not runnable
      return undefined;
    }
  };
  return {
    probeTofu,
    async findTofu(signal) {
      const candidates = env.BENCH_TOFU_BIN ? [env.BENCH_TOFU_BIN] : ['tofu', 'terraform'];
      for (const candidate of candidates) {
        const found = await probeTofu(candidate, signal);
        if (found) return found;
      }
      return undefined;
    },
  };
}
