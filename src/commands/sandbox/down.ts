import { BenchCommand } from '../../cli/base-command.ts';
import { sandboxOwnDirFlag } from '../../cli/sandbox-flag.ts';
import { EventBus } from '../../run/events.ts';
import { stopSandbox, type SandboxDownResult } from '../../sandbox/stop.ts';
import { chooseEventStyle, createEventRenderer } from '../../ui/events.ts';

export default class SandboxDown extends BenchCommand {
  static override summary = 'Stop every part of the local cloud; leaves no process behind, even after a failed up.';
  static override description = 'Data, certificates and logs stay in the directory for the next `bench sandbox up`.';
  static override examples = [
    '<%= config.bin %> sandbox down',
    '<%= config.bin %> sandbox down --sandbox-dir /tmp/my-sandbox --json',
  ];
  static override flags = {
    'sandbox-dir': sandboxOwnDirFlag,
  };

  async run(): Promise<SandboxDownResult> {
    const { flags } = await this.parse(SandboxDown);
    const events = new EventBus();
    events.subscribe(createEventRenderer(chooseEventStyle({ json: this.jsonEnabled() })));
    const result = await stopSandbox({ dir: flags['sandbox-dir'], events });
    if (!this.jsonEnabled())
      this.log(
        result.stopped.length ? `Stopped: ${result.stopped.join(', ')}.` : `Nothing was running in ${result.dir}.`,
      );
    return result;
  }
}
