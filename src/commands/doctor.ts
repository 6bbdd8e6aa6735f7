import { Flags } from '@oclif/core';
import { BenchCommand, targetFlag } from '../cli/base-command.ts';
import { sandboxDirFlag } from '../cli/sandbox-flag.ts';
import { runDoctor, type DoctorResult } from '../engine/doctor.ts';
import { ExitCode } from '../errors.ts';
import type { TargetName } from '../suite/schema.ts';
import { formatDoctor } from '../ui/format.ts';

export default class DoctorCommand extends BenchCommand {
  static override summary = 'Check that this machine can run a benchmark on a target.';
  static override description =
    "Checks the Node.js version, the tofu a run would use with its kind and version (the local cloud's pinned OpenTofu; on aws BENCH_TOFU_BIN, else tofu, else terraform), the AWS region (--region, the suite's, AWS_REGION, AWS_DEFAULT_REGION, the profile's) and credentials (STS GetCallerIdentity through the standard credential chain, checked even without a region), the local cloud's parts, and a kube context's reachability, as the target needs. Each failed check says how to fix it; any failure exits 3.";
  static override examples = [
    '<%= config.bin %> doctor',
    '<%= config.bin %> doctor --suite thyme',
    '<%= config.bin %> doctor --target kube --context kind-bench',
    '<%= config.bin %> doctor --target sandbox --json',
  ];
  static override flags = {
    'sandbox-dir': sandboxDirFlag,
    target: targetFlag,
    suite: Flags.string({ summary: 'Check for this suite (its region).' }),
    region: Flags.string({
      summary: "AWS region to check against (default: the suite's, AWS_REGION, AWS_DEFAULT_REGION, the profile's).",
    }),
    context: Flags.string({ summary: 'kubeconfig context (target kube).' }),
  };

  async run(): Promise<DoctorResult> {
    const { flags } = await this.parse(DoctorCommand);
    const result = await runDoctor({
      target: flags.target as TargetName,
      suite: flags.suite,
      region: flags.region,
      context: flags.context,
    });
    if (!this.jsonEnabled()) this.log(formatDoctor(result));
    if (!result.ok) process.exitCode = ExitCode.infrastructure;
    return result;
  }
}
