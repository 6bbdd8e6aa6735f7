import { Args, Flags } from '@oclif/core';
import { BenchCommand } from '../cli/base-command.ts';
import { sandboxDirFlag } from '../cli/sandbox-flag.ts';
import {
  reportComparison,
  reportOneRun,
  type CompareResult,
  type ComparisonReportResult,
  type RunReportResult,
} from '../engine/report.ts';
import { UsageError } from '../errors.ts';
import { EventBus } from '../run/events.ts';
import { chooseEventStyle, createEventRenderer } from '../ui/events.ts';

export default class ReportCommand extends BenchCommand {
  static override summary = 'Render the report of a run, or compare runs, from their stored raw data.';
  static override description =
    'With one run id: writes report.md, report.html (self-contained, a chart per metric with the phases shaded) and summary.json into the run directory, and junit.xml with --junit. Metrics the run could not fetch are fetched again first when its Prometheus answers (or from --prometheus-url). Exits 3 when data is still missing, 4 when a gate fails. The run of a `bench compare` gets its comparison report (report.md, report.html, summary.json) rebuilt from its raw trial data. With several run ids: compares them metric by metric (the first against the others, with a 95% bootstrap interval of each difference) into compare.md, compare.html and compare.json.';
  static override examples = [
    '<%= config.bin %> report thyme-20261121-101500-ab12',
    '<%= config.bin %> report thyme-20261121-101500-ab12 --junit --json',
    '<%= config.bin %> report thyme-20261121-101500-ab12 --prometheus-url http://thanos-query:9090',
    '<%= config.bin %> report thyme-20261121-101500-ab12 thyme-20261122-090000-cd34 --out ./compare',
  ];
  static override strict = false;
  static override args = { runId: Args.string({ description: 'run id(s) (see `bench list`)', required: true }) };
  static override flags = {
    'sandbox-dir': sandboxDirFlag,
    junit: Flags.boolean({ summary: 'Also write junit.xml (one test case per gate).' }),
    'prometheus-url': Flags.string({ summary: 'Fetch missing metrics from this Prometheus-compatible endpoint.' }),
    out: Flags.string({ summary: 'With several runs: where to write the comparison (default .bench/compare/<ids>).' }),
    'runs-dir': Flags.string({ summary: 'Directory of run directories (default: BENCH_RUNS_DIR or .bench/runs).' }),
  };

  async run(): Promise<RunReportResult | ComparisonReportResult | CompareResult> {
    const { argv, raw, flags } = await this.parse(ReportCommand);
    // In the order given (the first is the baseline): oclif's argv reorders repeated values.
    const runIds = raw.filter((t) => t.type === 'arg').map((t) => t.input);
    const unknown = (argv as string[]).find((id) => id.startsWith('-'));
    if (unknown)
      throw new UsageError('E_USAGE', `unknown flag ${unknown}`, {
        fix: 'see `bench report --help`',
      });
    if (runIds.length > 1) {
      const result = await reportComparison({ runIds, runsDir: flags['runs-dir'], outDir: flags.out });
      if (!this.jsonEnabled())
        this.log(
          `Comparison of ${runIds.join(', ')}: ${result.files.md} (also ${result.files.html}, ${result.files.json})`,
        );
      return result;
    }
    const events = new EventBus();
    events.subscribe(createEventRenderer(chooseEventStyle({ json: this.jsonEnabled() })));
    const result = await reportOneRun({
      runId: runIds[0] as string,
      runsDir: flags['runs-dir'],
      junit: flags.junit,
      prometheusUrl: flags['prometheus-url'],
      events,
    });
    if (!this.jsonEnabled()) {
      const kind = 'kind' in result ? 'Comparison report' : 'Report';
      this.log(
        `${kind} of ${result.runId}: ${result.files.md} (also ${result.files.html}, ${result.files.json}${result.files.junit ? `, ${result.files.junit}` : ''})`,
      );
    }
    return result;
  }
}
