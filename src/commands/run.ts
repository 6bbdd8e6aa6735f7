import { join } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { BenchCommand, parseAssignments, targetFlag } from '../cli/base-command.ts';
import { handleInterrupts } from '../cli/interrupts.ts';
import { cleanupCommand, runBenchmark, type RunResult } from '../engine/run.ts';
import { EventBus } from '../run/events.ts';
import { aliveResources, readJournal } from '../run/journal.ts';
import { JOURNAL_FILE } from '../run/run-dir.ts';
import type { TargetName } from '../suite/schema.ts';
import { formatRunResult } from '../ui/format.ts';
import { withProgress } from '../ui/progress.ts';

/** The lifecycle steps, in order, as the live view shows them. */
const RUN_PHASES = ['provision', 'connect', 'deploy', 'verify', 'ramp', 'active', 'cooldown', 'teardown'];

export default class RunCommand extends BenchCommand {
  static override summary =
    'Run a benchmark from nothing to nothing: provision, deploy, verify, ramp / active / cool-down, tear down.';
  static override description =
    'Provisions the target with OpenTofu (aws, sandbox) or uses an existing cluster (kube), server-side applies the suite, waits for rollouts and load balancers and checks the placement assertions, drives the ramp, active and cool-down phases (each journaled with exact timestamps), and tears everything down in the load-balancer-safe order. One Ctrl-C stops and tears down (exit 130); a second leaves at once and says what is left. --keep leaves everything running and prints the command that removes it.';
  static override examples = [
    '<%= config.bin %> run thyme --target sandbox --ramp 20s --active 40s --cooldown 20s',
    "thyme-bench run                               # the seed's 5m / 30m / 10m on AWS",
    'RAMPUP_MINUTES=0 COOLDOWN_MINUTES=0 thyme-bench run --active 10m',
    '<%= config.bin %> run thyme --target kube --context kind-bench',
    '<%= config.bin %> run koorde --target sandbox --set nodes=8 --json',
    '<%= config.bin %> run thyme --target sandbox --keep',
  ];
  static override args = {
    suite: Args.string({
      description: 'built-in suite name (thyme, koorde) or the directory of a suite.yaml',
      required: true,
    }),
  };
  static override flags = {
    target: targetFlag,
    context: Flags.string({ summary: 'kubeconfig context of an existing cluster (target kube).' }),
    ramp: Flags.string({ summary: "Ramp duration, e.g. 5m, 20s, 0 (default: the suite's, or RAMPUP_MINUTES)." }),
    active: Flags.string({ summary: "Active duration, e.g. 30m (default: the suite's, or ACTIVE_MINUTES)." }),
    cooldown: Flags.string({ summary: "Cool-down duration, e.g. 10m, 0 (default: the suite's, or COOLDOWN_MINUTES)." }),
    set: Flags.string({ summary: 'Set a suite parameter, name=value (repeatable).', multiple: true }),
    image: Flags.string({
      summary: 'Override an image, name=reference (repeatable), e.g. an ECR copy.',
      multiple: true,
    }),
    nodes: Flags.integer({ summary: "Node count of the cluster's node group." }),
    var: Flags.string({
      summary:
        "Set an OpenTofu variable of the target's module, name=value (repeatable), e.g. create_ecr_repository=true.",
      multiple: true,
    }),
    keep: Flags.boolean({ summary: 'Leave everything running; print the command that removes it.' }),
    'runs-dir': Flags.string({ summary: 'Directory of run directories (default: BENCH_RUNS_DIR or .bench/runs).' }),
  };

  async run(): Promise<RunResult> {
    const { args, flags } = await this.parse(RunCommand);
    const events = new EventBus();
    let run: { runId: string; runDir: string } | undefined;
    events.subscribe((e) => {
      if (e.code === 'run.start') run = e.data as { runId: string; runDir: string };
    });
    const interrupts = handleInterrupts(() => {
      if (!run) return 'Left before anything was created.';
      const alive = aliveResources(readJournal(join(run.runDir, JOURNAL_FILE)).records);
      const list = alive.length
        ? `Still alive:\n  ${alive.map((r) => `${r.kind} ${r.id}`).join('\n  ')}`
        : 'The journal records nothing alive.';
      return `Left during teardown. ${list}\nRemove what is left with: ${cleanupCommand(run.runId, flags['runs-dir'])}`;
    });
    try {
      const result = await withProgress({ phases: RUN_PHASES, events, json: this.jsonEnabled() }, () =>
        runBenchmark({
          suite: args.suite,
          target: flags.target as TargetName,
          context: flags.context,
          runsDir: flags['runs-dir'],
          durations: { ramp: flags.ramp, active: flags.active, cooldown: flags.cooldown },
          params: parseAssignments(flags.set, 'set'),
          images: parseAssignments(flags.image, 'image'),
          nodes: flags.nodes,
          variables: parseAssignments(flags.var, 'var'),
          keep: flags.keep,
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
