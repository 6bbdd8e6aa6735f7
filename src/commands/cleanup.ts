import { Args, Flags } from '@oclif/core';
import { BenchCommand } from '../cli/base-command.ts';
import { sandboxDirFlag } from '../cli/sandbox-flag.ts';
import { handleInterrupts } from '../cli/interrupts.ts';
import { cleanupOrphans, cleanupRun, type CleanupRunResult, type OrphanResult } from '../engine/cleanup.ts';
import { UsageError } from '../errors.ts';
import { EventBus } from '../run/events.ts';
import { confirmOnTerminal } from '../ui/confirm.ts';
import { formatCleanupRun, formatOrphans } from '../ui/format.ts';
import { withProgress } from '../ui/progress.ts';

export default class CleanupCommand extends BenchCommand {
  static override summary = 'Remove everything a run created, or that crashed runs left behind, load balancers first.';
  static override description =
    "`bench cleanup <run-id>` replays the run's journal: deletes its LoadBalancer Services and Ingresses and namespaces, waits until ELBv2 shows their load balancers gone, deletes its ECR images, runs `tofu destroy`, and verifies nothing tagged with the run id is left (exit 5 if something is, listed). `--orphans` finds what carries the tool's ownership tag (bench.dev/run-id) in every service the modules create (EC2 network, IAM, KMS, EKS, ECR, ELBv2), and runs whose journal shows resources alive; it shows them and deletes only with --yes or your confirmation: runs with a directory are cleaned from their journals, what has no run directory is deleted in dependency order, and a run that is still running is skipped. Nothing without the tag is ever touched.";
  static override examples = [
    '<%= config.bin %> cleanup thyme-20261121-101500-ab12',
    '<%= config.bin %> cleanup thyme-20261121-101500-ab12 --dry-run',
    '<%= config.bin %> cleanup --orphans',
    '<%= config.bin %> cleanup --orphans --yes --region eu-central-1',
    '<%= config.bin %> cleanup --orphans --target sandbox --yes',
  ];
  static override args = {
    runId: Args.string({ description: 'the run to clean up (see `bench list`)' }),
  };
  static override flags = {
    'sandbox-dir': sandboxDirFlag,
    orphans: Flags.boolean({
      summary:
        "Find resources with the tool's tags in every service the modules create, and runs with resources alive.",
    }),
    yes: Flags.boolean({ char: 'y', summary: 'With --orphans: delete without asking.' }),
    'dry-run': Flags.boolean({ summary: 'Show what would be removed; remove nothing.' }),
    target: Flags.string({
      summary: 'With --orphans: where to look: aws, or sandbox (the local cloud).',
      options: ['aws', 'sandbox'],
      default: 'aws',
    }),
    region: Flags.string({
      summary: "With --orphans: a region to scan (repeatable; default: the suites' regions and AWS_REGION).",
      multiple: true,
    }),
    'runs-dir': Flags.string({ summary: 'Directory of run directories (default: BENCH_RUNS_DIR or .bench/runs).' }),
  };

  async run(): Promise<CleanupRunResult | OrphanResult> {
    const { args, flags } = await this.parse(CleanupCommand);
    if (!args.runId === !flags.orphans) {
      throw new UsageError(
        'E_USAGE',
        args.runId ? 'give a run id or --orphans, not both' : 'name the run to clean up, or pass --orphans',
        {
          fix: '`bench list` shows run ids; `bench cleanup --orphans` finds what crashed runs left',
        },
      );
    }
    const events = new EventBus();
    const progress = { phases: ['teardown'], events, json: this.jsonEnabled() };
    const interrupts = handleInterrupts(
      () => `Left now. Run \`bench cleanup ${args.runId ?? '--orphans'}\` again to finish.`,
    );
    // The list is shown once: with the question when one is asked, else with the outcome.
    let listShown = false;
    try {
      if (args.runId) {
        const result = await cleanupRun({
          runId: args.runId,
          runsDir: flags['runs-dir'],
          dryRun: flags['dry-run'],
          events,
          signal: interrupts.signal,
        });
        if (!this.jsonEnabled()) this.log(formatCleanupRun(result));
        return result;
      }
      const result = await withProgress(progress, () =>
        cleanupOrphans({
          target: flags.target as 'aws' | 'sandbox',
          regions: flags.region,
          runsDir: flags['runs-dir'],
          yes: flags.yes && !flags['dry-run'],
          confirm:
            flags['dry-run'] || this.jsonEnabled()
              ? undefined
              : async (found) => {
                  if (found.cloud.length + found.runs.length === 0) return false;
                  this.log(
                    formatOrphans({ ...found, acted: false, cleanedRuns: [], deleted: [], notRemovable: [] }, 'list'),
                  );
                  listShown = true;
                  return confirmOnTerminal('Delete all of these?');
                },
          events,
          signal: interrupts.signal,
        }),
      );
      if (!this.jsonEnabled()) this.log(formatOrphans(result, listShown ? 'outcome' : 'all'));
      return result;
    } finally {
      interrupts.dispose();
    }
  }
}
