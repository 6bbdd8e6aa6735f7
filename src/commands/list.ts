import { Flags } from '@oclif/core';
import { BenchCommand } from '../cli/base-command.ts';
import { sandboxDirFlag } from '../cli/sandbox-flag.ts';
import { listAllRuns, type ListResult } from '../engine/list.ts';
import { formatRunList } from '../ui/format.ts';
import { formatVerification } from '../ui/format-verify.ts';

export default class ListCommand extends BenchCommand {
  static override summary = 'List runs: id, suite, target, status, start, duration, resources still alive.';
  static override description =
    "Reads every run directory's journal (offline). A run whose process is gone without a recorded end is shown as crashed; its alive resources are what its journal does not record as gone, and what `bench cleanup <run-id>` would remove. --verify asks the run's cluster (through its own connection, as cleanup reconnects) and the cloud whether each of them still exists, and changes nothing.";
  static override examples = [
    '<%= config.bin %> list',
    '<%= config.bin %> list --json',
    '<%= config.bin %> list --verify',
    '<%= config.bin %> list --runs-dir /data/bench-runs',
  ];
  static override flags = {
    'sandbox-dir': sandboxDirFlag,
    'runs-dir': Flags.string({ summary: 'Directory of run directories (default: BENCH_RUNS_DIR or .bench/runs).' }),
    verify: Flags.boolean({
      summary: 'Ask the cluster and the cloud whether what each journal shows alive still exists.',
    }),
  };

  async run(): Promise<ListResult> {
    const { flags } = await this.parse(ListCommand);
    const result = await listAllRuns({ runsDir: flags['runs-dir'], verify: flags.verify });
    if (!this.jsonEnabled()) {
      this.log(formatRunList(result));
      if (result.verified) this.log(`\n${formatVerification(result)}`);
    }
    return result;
  }
}
