import { Args, Flags } from '@oclif/core';
import { BenchCommand, parseAssignments, targetFlag } from '../cli/base-command.ts';
import { planRun, type Plan } from '../engine/plan.ts';
import type { TargetName } from '../suite/schema.ts';
import { formatPlan } from '../ui/format.ts';

export default class PlanCommand extends BenchCommand {
  static override summary = 'Show what a run would do, without touching anything.';
  static override description =
    'Validates the suite, renders its manifests, and prints the target, the OpenTofu variables, the objects by kind, the phase timeline with the expected wall clock, the cost estimate and the teardown order.';
  static override examples = [
    '<%= config.bin %> plan thyme',
    '<%= config.bin %> plan thyme --json',
    '<%= config.bin %> plan thyme --target sandbox --ramp 20s --active 40s --cooldown 20s',
    '<%= config.bin %> plan koorde --set nodes=8 --out ./rendered',
    '<%= config.bin %> plan ./my-suite',
  ];
  static override args = {
    suite: Args.string({
      description: 'built-in suite name (thyme, koorde) or the directory of a suite.yaml',
      required: true,
    }),
  };
  static override flags = {
    target: targetFlag,
    ramp: Flags.string({ summary: "Ramp duration, e.g. 5m, 20s, 0 (default: the suite's)." }),
    active: Flags.string({ summary: "Active duration, e.g. 30m (default: the suite's)." }),
    cooldown: Flags.string({ summary: "Cool-down duration, e.g. 10m, 0 (default: the suite's)." }),
    set: Flags.string({ summary: 'Set a suite parameter, name=value (repeatable).', multiple: true }),
    image: Flags.string({ summary: 'Override an image, name=reference (repeatable).', multiple: true }),
    nodes: Flags.integer({ summary: "Node count of the cluster's node group." }),
    var: Flags.string({
      summary:
        "Set an OpenTofu variable of the target's module, name=value (repeatable), e.g. create_ecr_repository=true.",
      multiple: true,
    }),
    out: Flags.string({ summary: 'Write the rendered manifests to this directory.' }),
  };

  async run(): Promise<Plan> {
    const { args, flags } = await this.parse(PlanCommand);
    const plan = planRun({
      suite: args.suite,
      target: flags.target as TargetName,
      durations: { ramp: flags.ramp, active: flags.active, cooldown: flags.cooldown },
      params: parseAssignments(flags.set, 'set'),
      images: parseAssignments(flags.image, 'image'),
      nodes: flags.nodes,
      variables: parseAssignments(flags.var, 'var'),
      outDir: flags.out,
    });
    if (!this.jsonEnabled()) this.log(formatPlan(plan));
    return plan;
  }
}
