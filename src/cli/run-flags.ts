import { Args, Flags } from '@oclif/core';
import type { RunInputs } from '../engine/inputs.ts';
import type { PreflightOptions } from '../engine/preflight.ts';
import { UsageError } from '../errors.ts';
import type { TargetName } from '../suite/schema.ts';
import { parseAssignments, targetFlag } from './base-command.ts';

/** The suite argument of `plan` and `run` (the suite's own bin fills it in). */
export const suiteArg = Args.string({
  description: 'built-in suite name (thyme, koorde) or the directory of a suite.yaml',
  required: true,
});

/** Flags that describe a run, shared by `bench plan` and `bench run`. */
export const runInputFlags = {
  target: targetFlag,
  ramp: Flags.string({ summary: "Ramp duration, e.g. 5m, 20s, 0 (default: RAMPUP_MINUTES, else the suite's)." }),
  active: Flags.string({ summary: "Active duration, e.g. 30m (default: ACTIVE_MINUTES, else the suite's)." }),
  cooldown: Flags.string({ summary: "Cool-down duration, e.g. 10m, 0 (default: COOLDOWN_MINUTES, else the suite's)." }),
  set: Flags.string({ summary: 'Set a suite parameter, name=value (repeatable).', multiple: true }),
  image: Flags.string({ summary: 'Override an image, name=reference (repeatable), e.g. an ECR copy.', multiple: true }),
  nodes: Flags.integer({ summary: "Node count of the cluster's node group." }),
  var: Flags.string({
    summary:
      "Set an OpenTofu variable of the target's module, name=value (repeatable), e.g. create_ecr_repository=true.",
    multiple: true,
  }),
};

/** Builds the engine's inputs from the parsed argument and flags. */
export function runInputsFrom(
  suite: string,
  flags: {
    target: string;
    ramp?: string;
    active?: string;
    cooldown?: string;
    set?: string[];
    image?: string[];
    nodes?: number;
    var?: string[];
  },
): RunInputs {
  return {
    suite,
    target: flags.target as TargetName,
    durations: { ramp: flags.ramp, active: flags.active, cooldown: flags.cooldown },
    params: parseAssignments(flags.set, 'set'),
    images: parseAssignments(flags.image, 'image'),
    nodes: flags.nodes,
    variables: parseAssignments(flags.var, 'var'),
  };
}

/** Flags of the preflight of a paid run (`bench run`, `bench compare`). */
export const preflightFlags = {
  yes: Flags.boolean({
    char: 'y',
    summary: 'Do not ask before creating paid resources (needed on aws when no terminal is attached).',
  }),
  'max-cost': Flags.string({
    summary:
      'Refuse the run when its cost estimate for the whole run is above this many USD, e.g. 5 (exit 2, nothing created).',
    helpValue: 'USD',
  }),
};

/** Flags of a run's ownership of its cluster (`bench run`, `bench compare`): src/phases/lease.ts. */
export const leaseFlags = {
  'force-takeover': Flags.boolean({
    summary:
      "Take over the cluster's lease from a run that is provably dead (its journal ended, or its process on this host is gone); a live holder is still refused.",
  }),
};

/** The preflight's options from the flags; the terminal's question when a person is there. */
export function preflightOptionsFrom(
  flags: { yes?: boolean; 'max-cost'?: string },
  confirm: PreflightOptions['confirm'],
): PreflightOptions {
  const text = flags['max-cost'];
  const maxCost = text === undefined ? undefined : Number(text.trim().replace(/^\$/, ''));
  if (text !== undefined && (text.trim() === '' || !Number.isFinite(maxCost) || (maxCost as number) < 0)) {
    throw new UsageError('E_USAGE', `--max-cost ${text}: expected an amount in USD, e.g. 5 or 12.50`, {
      fix: 'give --max-cost a number of dollars of 0 or more',
    });
  }
  return { yes: flags.yes ?? false, maxCost, confirm };
}
