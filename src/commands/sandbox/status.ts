import { Flags } from '@oclif/core';
import { BenchCommand } from '../../cli/base-command.ts';
import { sandboxStatus, type SandboxStatus } from '../../sandbox/lifecycle.ts';
import { formatSandboxStatus } from '../../ui/format.ts';

export default class SandboxStatusCommand extends BenchCommand {
  static override summary = 'Show each part of the local cloud, its port and its health.';
  static override examples = ['<%= config.bin %> sandbox status', '<%= config.bin %> sandbox status --json'];
  static override flags = {
    dir: Flags.string({
      summary: 'Directory of the local cloud (default: BENCH_SANDBOX_DIR or ~/.cache/bench/sandbox/instance).',
    }),
  };

  async run(): Promise<SandboxStatus> {
    const { flags } = await this.parse(SandboxStatusCommand);
    const status = await sandboxStatus({ dir: flags.dir });
    if (!this.jsonEnabled()) this.log(formatSandboxStatus(status));
    return status;
  }
}
