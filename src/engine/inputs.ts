import { UsageError } from '../errors.ts';
import { loadSuite, type LoadedSuite } from '../suite/load.ts';
import { resolvePhaseDurations, type PhaseDurationFlags, type PhaseDurations } from '../suite/phases.ts';
import { renderManifests, type RenderedObject } from '../suite/render.ts';
import { TARGETS, type TargetName } from '../suite/schema.ts';

/** What a run is asked for, as `bench plan` and `bench run` share it. */
export interface RunInputs {
  suite: string;
  target: TargetName;
  durations?: PhaseDurationFlags;
  /** `--set name=value` parameter overrides. */
  params?: Record<string, string>;
  /** `--image name=ref` overrides. */
  images?: Record<string, string>;
  /** Node count override (the node group's size). */
  nodes?: number;
  /** `--var name=value`: OpenTofu variables of the target's module. */
  variables?: Record<string, string>;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** The inputs checked: the suite loaded, the durations resolved, the manifests rendered. */
export interface CheckedInputs {
  loaded: LoadedSuite;
  durations: PhaseDurations;
  objects: RenderedObject[];
}

/**
 * Checks everything a user gave before anything is created: target, node count, suite, phase
 * durations, parameters and images (by rendering the manifests). Bad input is a UsageError (exit 2).
 */
export function checkRunInputs(inputs: RunInputs, runId = 'plan'): CheckedInputs {
  if (!TARGETS.includes(inputs.target)) {
    throw new UsageError('E_TARGET_UNKNOWN', `unknown target '${inputs.target}'`, {
      fix: `use one of: ${TARGETS.join(', ')}`,
    });
  }
  if (inputs.nodes !== undefined && (!Number.isInteger(inputs.nodes) || inputs.nodes < 1)) {
    throw new UsageError('E_NODES', `--nodes ${inputs.nodes}: a cluster needs at least one node`, {
      fix: 'give --nodes a whole number of 1 or more',
    });
  }
  const loaded = loadSuite(inputs.suite, inputs.cwd);
  if (!loaded.suite.targets[inputs.target]) {
    throw new UsageError(
      'E_TARGET_UNSUPPORTED',
      `suite ${loaded.suite.name} does not declare the target '${inputs.target}'`,
      {
        fix: `use one of: ${TARGETS.filter((t) => loaded.suite.targets[t]).join(', ')}`,
      },
    );
  }
  const durations = resolvePhaseDurations(loaded.suite, inputs.durations, inputs.env ?? process.env);
  const objects = renderManifests(loaded, {
    target: inputs.target,
    runId,
    overrides: inputs.params ?? {},
    images: inputs.images ?? {},
  });
  return { loaded, durations, objects };
}
