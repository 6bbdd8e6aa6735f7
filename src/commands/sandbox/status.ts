import { BenchCommand } from '../../cli/base-command.ts';
import { sandboxOwnDirFlag } from '../../cli/sandbox-flag.ts';
import { sandboxStatus, type SandboxStatus } from '../../sandbox/status.ts';
import { formatSandboxStatus } from '../../ui/format.ts';

export default class SandboxStatusCommand extends BenchCommand {
  static override summary = 'Show each part of the local cloud, its port and its health.';
  static override examples = ['<%= config.bin %> sandbox status', '<%= config.bin %> sandbox status --json'];
  static override flags = {
    'sandbox-dir': sandboxOwnDirFlag,
  };

  async run(): Promise<SandboxStatus> {
    const { flags } = await this.parse(SandboxStatusCommand);
    const status = await sandboxStatus({ dir: flags['sandbox-dir'] });
    if (!this.jsonEnabled()) this.log(formatSandboxStatus(status));
    return status;
  }
}
