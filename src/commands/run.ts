import { Flags } from '@oclif/core';
import { BenchCommand } from '../cli/base-command.ts';
import { sandboxDirFlag } from '../cli/sandbox-flag.ts';
import {
  leaseFlags,
  preflightFlags,
  preflightOptionsFrom,
  runInputFlags,
  runInputsFrom,
  suiteArg,
} from '../cli/run-flags.ts';
import { handleRunInterrupts } from '../cli/interrupts.ts';
import { runBenchmark, type RunResult } from '../engine/run/run-benchmark.ts';
import { EventBus } from '../run/events.ts';
import { formatRunResult } from '../ui/format.ts';
import { terminalConfirm } from '../ui/confirm.ts';
import { withProgress } from '../ui/progress.ts';

/** The lifecycle steps, in order, as the live view shows them. */
const RUN_PHASES = [
  'preflight',
  'provision',
  'connect',
  'deploy',
  'verify',
  'ramp',
  'active',
  'cooldown',
  'collect',
  'report',
  'teardown',
];

export default class RunCommand extends BenchCommand {
  static override summary =
    'Run a benchmark from nothing to nothing: provision, deploy, verify, ramp / active / cool-down, tear down.';
  static override description =
    'Provisions the target with OpenTofu (aws, sandbox) or uses an existing cluster (kube), server-side applies the suite, waits for rollouts and load balancers and checks the placement assertions, drives the ramp, active and cool-down phases (each journaled with exact timestamps), and tears everything down in the load-balancer-safe order. One Ctrl-C stops the load, collects and reports the phases that ran (marked interrupted), then tears down (exit 130); a second leaves at once and says what is left. --keep leaves everything running and prints the command that removes it.';
  static override examples = [
    '<%= config.bin %> run thyme --target sandbox --ramp 20s --active 40s --cooldown 20s',
    "thyme-bench run                               # the seed's 5m / 30m / 10m on AWS",
    'RAMPUP_MINUTES=0 COOLDOWN_MINUTES=0 thyme-bench run --active 10m',
    '<%= config.bin %> run thyme --target kube --context kind-bench',
    '<%= config.bin %> run koorde --target sandbox --set nodes=8 --json',
    '<%= config.bin %> run thyme --target sandbox --keep',
  ];
  static override args = { suite: suiteArg };
  static override flags = {
    'sandbox-dir': sandboxDirFlag,
    ...runInputFlags,
    ...preflightFlags,
    ...leaseFlags,
    context: Flags.string({ summary: 'kubeconfig context of an existing cluster (target kube).' }),
    keep: Flags.boolean({ summary: 'Leave everything running; print the command that removes it.' }),
    'prometheus-url': Flags.string({
      summary: "Read metrics from this Prometheus-compatible endpoint (e.g. a Thanos Querier) instead of the suite's.",
    }),
    junit: Flags.boolean({ summary: 'Also write junit.xml: one test case per gate, for CI.' }),
    'runs-dir': Flags.string({ summary: 'Directory of run directories (default: BENCH_RUNS_DIR or .bench/runs).' }),
  };

  async run(): Promise<RunResult> {
    const { args, flags } = await this.parse(RunCommand);
    // Under --json nothing shows the question: a paid run then needs --yes.
    const preflight = preflightOptionsFrom(flags, this.jsonEnabled() ? undefined : terminalConfirm());
    const events = new EventBus();
    const interrupts = handleRunInterrupts(events, flags['runs-dir']);
    try {
      const result = await withProgress({ phases: RUN_PHASES, events, json: this.jsonEnabled() }, () =>
        runBenchmark({
          ...runInputsFrom(args.suite, flags),
          ...preflight,
          context: flags.context,
          runsDir: flags['runs-dir'],
          forceTakeover: flags['force-takeover'],
          keep: flags.keep,
          prometheusUrl: flags['prometheus-url'],
          junit: flags.junit,
          events,
          signal: interrupts.signal,
        }),
      );
      if (!this.jsonEnabled()) this.log(formatRunResult(result));
      return result;
    } finally {
      interrupts.dispose();
    }
  }
}
