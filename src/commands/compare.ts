import { Flags } from '@oclif/core';
import { BenchCommand } from '../cli/base-command.ts';
import { sandboxDirFlag } from '../cli/sandbox-flag.ts';
import { handleRunInterrupts } from '../cli/interrupts.ts';
import {
  leaseFlags,
  preflightFlags,
  preflightOptionsFrom,
  runInputFlags,
  runInputsFrom,
  suiteArg,
} from '../cli/run-flags.ts';
import { compareVariants, type CompareRunResult } from '../engine/compare.ts';
import { UsageError } from '../errors.ts';
import { EventBus } from '../run/events.ts';
import { formatCompareResult } from '../ui/format.ts';
import { terminalConfirm } from '../ui/confirm.ts';
import { withProgress } from '../ui/progress.ts';

const COMPARE_PHASES = ['preflight', 'provision', 'connect', 'compare', 'report', 'teardown'];

/** Parses `--sizes 8,16,32`. */
function parseSizes(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const sizes = text.split(',').map((s) => s.trim());
  const bad = sizes.filter((s) => !/^\d+$/.test(s) || Number(s) < 1);
  if (bad.length > 0 || sizes.length === 0) {
    throw new UsageError('E_COMPARE_SIZES', `--sizes ${text}: expected whole numbers separated by commas`, {
      fix: 'write e.g. --sizes 8,16,32',
    });
  }
  return sizes.map(Number);
}

/** Parses a ratio given as `0.05` or `5%`. */
function parseRatio(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const pct = text.trim().endsWith('%');
  const value = Number(pct ? text.trim().slice(0, -1) : text);
  if (text.trim() === '' || !Number.isFinite(value)) {
    throw new UsageError('E_USAGE', `--${flag} ${text}: expected a number or a percentage`, {
      fix: `write e.g. --${flag} ${flag === 'threshold' ? '5%' : '0.95'}`,
    });
  }
  return pct ? value / 100 : value;
}

export default class CompareCommand extends BenchCommand {
  static override summary = 'Compare variants of a suite side by side over cluster sizes, with statistics.';
  static override description =
    "Deploys the variants with identical settings and workload on one cluster (side by side in their own namespaces, or with --sequential one workload after another), and for every cluster size (--sizes) and repetition (--repeat, in a random order) runs a warm-up (the suite's ramp), a measured window (its active phase) and a cool-down. The workload's output and the pods' counters are stored raw; per size and metric the report gives each variant's median with a bootstrap confidence interval, the relative difference with its interval, a Mann-Whitney U test (Holm-adjusted) and Cliff's delta, and a verdict in words. The first variant is the baseline; naming one twice (chord chord) is an A/A comparison. Everything is torn down afterwards, every variant's load balancers before the cluster.";
  static override examples = [
    'koorde-bench compare chord koorde                                   # the suite sweep (8, 16, 32), 3 repetitions, on AWS',
    '<%= config.bin %> compare koorde chord koorde --target sandbox --sizes 4,8 --repeat 2 --ramp 10s --active 30s --cooldown 5s',
    'koorde-bench compare chord koorde --sequential --sizes 16 --repeat 5',
    'koorde-bench compare chord chord --target sandbox                  # A/A: expect no significant difference',
  ];
  static override strict = false;
  // The variants follow the suite (`bench compare koorde chord koorde`), any number of them.
  static override usage = '<%= command.id %> SUITE VARIANT VARIANT... [FLAGS]';
  static override args = { suite: suiteArg };
  static override flags = {
    'sandbox-dir': sandboxDirFlag,
    ...runInputFlags,
    ...preflightFlags,
    ...leaseFlags,
    sizes: Flags.string({
      summary: "Cluster sizes, the suite's sweep parameter, e.g. 8,16,32 (default: the suite's sweep).",
    }),
    repeat: Flags.integer({ summary: 'Repetitions per size, run in a random order (default 3).' }),
    sequential: Flags.boolean({
      summary: "Run the variants' workloads one after another instead of at the same time.",
    }),
    seed: Flags.integer({
      summary: 'Seed of the trial order and the bootstrap (default: random; the report records it).',
    }),
    confidence: Flags.string({ summary: 'Confidence of the intervals and the test (default 0.95).' }),
    threshold: Flags.string({
      summary: 'Relative differences within +- this are not called significant, e.g. 5% (default 5%).',
    }),
    context: Flags.string({ summary: 'kubeconfig context of an existing cluster (target kube).' }),
    keep: Flags.boolean({ summary: 'Leave everything running; print the command that removes it.' }),
    'runs-dir': Flags.string({ summary: 'Directory of run directories (default: BENCH_RUNS_DIR or .bench/runs).' }),
  };

  async run(): Promise<CompareRunResult> {
    const { args, argv, raw, flags } = await this.parse(CompareCommand);
    const unknown = (argv as string[]).find((a) => a.startsWith('-'));
    if (unknown) throw new UsageError('E_USAGE', `unknown flag ${unknown}`, { fix: 'see `bench compare --help`' });
    // In the order given: oclif's argv reorders repeated values (`koorde chord koorde`).
    const variants = raw
      .filter((t) => t.type === 'arg')
      .map((t) => t.input)
      .slice(1);
    // Under --json nothing shows the question: a paid run then needs --yes.
    const preflight = preflightOptionsFrom(flags, this.jsonEnabled() ? undefined : terminalConfirm());
    const events = new EventBus();
    const interrupts = handleRunInterrupts(events, flags['runs-dir']);
    try {
      const options = {
        ...runInputsFrom(args.suite, flags),
        ...preflight,
        variants,
        sizes: parseSizes(flags.sizes),
        repeat: flags.repeat,
        sequential: flags.sequential,
        seed: flags.seed,
        confidence: parseRatio(flags.confidence, 'confidence'),
        threshold: parseRatio(flags.threshold, 'threshold'),
        context: flags.context,
        runsDir: flags['runs-dir'],
        forceTakeover: flags['force-takeover'],
        keep: flags.keep,
        events,
        signal: interrupts.signal,
      };
      const result = await withProgress({ phases: COMPARE_PHASES, events, json: this.jsonEnabled() }, () =>
        compareVariants(options),
      );
      if (!this.jsonEnabled()) this.log(formatCompareResult(result));
      return result;
    } finally {
      interrupts.dispose();
    }
  }
}
