import { Flags } from '@oclif/core';
import { BenchCommand } from '../cli/base-command.ts';
import { listAllRuns, type ListResult } from '../engine/list.ts';
import { formatRunList } from '../ui/format.ts';

export default class ListCommand extends BenchCommand {
  static override summary = 'List runs: id, suite, target, status, start, duration, resources still alive.';
  static override description =
    "Reads every run directory's journal. A run whose process is gone without a recorded end is shown as crashed; its alive resources are what `bench cleanup <run-id>` would remove.";
  static override examples = [
    '<%= config.bin %> list',
    '<%= config.bin %> list --json',
    '<%= config.bin %> list --runs-dir /data/bench-runs',
  ];
  static override flags = {
    'runs-dir': Flags.string({ summary: 'Directory of run directories (default: BENCH_RUNS_DIR or .bench/runs).' }),
  };

  async run(): Promise<ListResult> {
    const { flags } = await this.parse(ListCommand);
    const result = listAllRuns({ runsDir: flags['runs-dir'] });
    if (!this.jsonEnabled()) this.log(formatRunList(result));
    return result;
  }
}
