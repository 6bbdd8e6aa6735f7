import { Flags } from '@oclif/core';
import { BenchCommand } from '../cli/base-command.ts';
import { runInputFlags, runInputsFrom, suiteArg } from '../cli/run-flags.ts';
import { planRun, type Plan } from '../engine/plan.ts';
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
  static override args = { suite: suiteArg };
  static override flags = {
    ...runInputFlags,
    out: Flags.string({ summary: 'Write the rendered manifests to this directory.' }),
  };

  async run(): Promise<Plan> {
    const { args, flags } = await this.parse(PlanCommand);
    const plan = await planRun({ ...runInputsFrom(args.suite, flags), outDir: flags.out });
    if (!this.jsonEnabled()) this.log(formatPlan(plan));
    return plan;
  }
}
